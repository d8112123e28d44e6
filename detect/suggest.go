package detect

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// usage records, per identity, the requests RBAC allowed it to make: the
// material of a least-privilege Role (like audit2rbac, but for every subject
// of the scanned bindings at once). Memory is bounded by the number of
// distinct requests (identity, namespace, group, resource, verb, name) and
// event shapes, not by the log.
type usage struct {
	graph *scanner.Graph
	// subjects are the subjects of the scanned bindings, by identity key:
	// the username of a User or ServiceAccount, "group:"+name of a Group.
	// Only their use is recorded; a Group's is what its members did.
	subjects map[string]scanner.Ref
	// used holds each request an identity made, with the shapes
	// (eventShape) of the events it came from: a request a detection
	// reported is found by the shapes of the detection's evidence.
	used map[usedRequest][]shape
	// groups are the groups the log showed each user identity in: what
	// RBAC could have allowed its requests through.
	groups map[string]map[string]bool
}

type usedKey struct {
	group, resource, url string
}

// usedRequest is one distinct request of an identity. name is "" for a
// request without an object name.
type usedRequest struct {
	id, namespace string
	key           usedKey
	verb, name    string
}

// request is the RBAC request u stands for.
func (u usedRequest) request() scanner.Request {
	if u.key.resource == "" {
		return scanner.Request{Verb: u.verb, Path: u.key.url}
	}
	res, sub, _ := strings.Cut(u.key.resource, "/")
	return scanner.Request{Verb: u.verb, ResourceRequest: true, APIGroup: u.key.group, Resource: res, Subresource: sub, Namespace: u.namespace, Name: u.name}
}

func newUsage(g *scanner.Graph) *usage {
	u := &usage{graph: g, subjects: map[string]scanner.Ref{}, used: map[usedRequest][]shape{}, groups: map[string]map[string]bool{}}
	for _, b := range g.Bindings {
		for _, s := range b.Subjects {
			switch s.Kind {
			case scanner.KindUser:
				if s.Name != anonymousUser {
					u.subjects[s.Name] = s.Ref
				}
			case scanner.KindGroup:
				// system: groups (system:authenticated…) hold everyone:
				// a role for them would be everybody's activity.
				if !strings.HasPrefix(s.Name, "system:") {
					u.subjects["group:"+s.Name] = s.Ref
				}
			case scanner.KindServiceAccount:
				if s.Namespace != "" {
					u.subjects[scanner.ServiceAccountUsername(s.Namespace, s.Name)] = s.Ref
				}
			}
		}
	}
	return u
}

// anonymousUser is who an unauthenticated request is: no role is
// proposed for it (a binding to it is the problem, not its least privilege).
const anonymousUser = "system:anonymous"

// eventShape identifies an event as a detection's evidence does (who,
// verb, resource, namespace, name; see evidence): a request made by an
// event of the same shape as one a detection reported is marked.
func eventShape(e *audit.Event) shape {
	return shapeOf(e.Who(), e.Verb, e.Resource(), e.Object.Namespace, e.Object.Name)
}

func evidenceShape(ev *reports.Evidence) shape {
	return shapeOf(ev.User, ev.Verb, ev.Resource, ev.Namespace, ev.Name)
}

// shape is the 64-bit FNV-1a hash of an event's shape: kept for every
// distinct request, 8 bytes cost far less than the strings (two shapes
// would have to collide for a request to be marked wrongly: about one
// chance in 10^7 for a million shapes).
type shape uint64

func shapeOf(parts ...string) shape {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i, p := range parts {
		if i > 0 {
			h *= prime // a separator: a zero byte
		}
		for j := 0; j < len(p); j++ {
			h ^= uint64(p[j])
			h *= prime
		}
	}
	return shape(h)
}

// record notes one request RBAC allowed, made by an event of the given
// shape: for the user when it is a subject of a scanned binding, and for
// each of its groups that is. Callers pass only allowed requests (RBACChecks
// leaves out denied ones).
func (u *usage) record(user string, groups []string, req *scanner.Request, sh shape) {
	if user == anonymousUser {
		return
	}
	if _, ok := u.subjects[user]; ok {
		u.add(user, req, sh)
		seen := u.groups[user]
		if seen == nil {
			seen = map[string]bool{}
			u.groups[user] = seen
		}
		for _, g := range groups {
			seen[g] = true
		}
	}
	for _, g := range groups {
		if _, ok := u.subjects["group:"+g]; ok {
			u.add("group:"+g, req, sh)
		}
	}
}

func (u *usage) add(id string, req *scanner.Request, sh shape) {
	r := usedRequest{id: id, namespace: req.Namespace, key: usedKey{url: req.Path}, verb: req.Verb, name: req.Name}
	if req.ResourceRequest {
		r.key = usedKey{group: req.APIGroup, resource: req.Resource}
		if req.Subresource != "" {
			r.key.resource += "/" + req.Subresource
		}
	} else {
		r.namespace, r.name = "", ""
	}
	// Most requests come from events of one shape: a short list costs far
	// less than a set per request.
	if shapes := u.used[r]; !slices.Contains(shapes, sh) {
		u.used[r] = append(shapes, sh)
	}
}

// suggestedName names a generated role after the subject it is for.
// ServiceAccounts carry their namespace: two "deployer" accounts in
// different namespaces must not share a role.
func suggestedName(s scanner.Ref) string {
	name := s.Name
	switch s.Kind {
	case scanner.KindServiceAccount:
		name = s.Namespace + "-" + s.Name
	case scanner.KindGroup:
		name = "group-" + s.Name
	}
	return "kubegrant-observed-" + strings.NewReplacer(":", "-", "@", "-at-").Replace(name)
}

// Suggestion is what --suggest-roles writes, with counts for the CLI.
type Suggestion struct {
	// YAML is the multi-document file: per subject, a comment block with
	// the diff against its current grants and the requests left out, then
	// its Roles and ClusterRole with their bindings.
	YAML []byte
	// Subjects counts the subjects seen in the window; Unused the rules of
	// their current grants nothing used (each would be removed), Narrowed
	// those used only in part; Flagged the requests left out because a
	// detection reported them; NotGranted the proposed requests no grant of
	// the scanned RBAC to the subject gives.
	Subjects, Unused, Narrowed, Flagged, NotGranted int
}

// flaggedBy maps event shapes to the rule IDs of the detections whose
// evidence holds an event of that shape, less the detections a person
// accepted (an inline or config suppression).
func flaggedBy(detections []reports.Finding) map[shape][]string {
	out := map[shape][]string{}
	for i := range detections {
		f := &detections[i]
		if f.Kind != reports.KindDetection || f.Suppression != nil && f.Suppression.Accepted() {
			continue
		}
		for j := range f.Evidence {
			sh := evidenceShape(&f.Evidence[j])
			if !slices.Contains(out[sh], f.RuleID) {
				out[sh] = append(out[sh], f.RuleID)
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// suggest renders, for every subject seen in the window, the Roles (one per
// namespace it used) and the ClusterRole (cluster-scoped resources and
// non-resource URLs) that cover exactly what it did, with their bindings,
// as multi-document YAML. A request an event of the same shape as a
// detection's evidence made is left out of them and listed, commented, with
// the detections' rule IDs: it is not least privilege but what to
// investigate. Before each subject's documents, comments give the diff
// against its current grants (see grantDiff). Deterministic.
func (u *usage) suggest(window string, detections []reports.Finding) (*Suggestion, error) {
	flagged := flaggedBy(detections)
	byID := map[string][]usedRequest{}
	for r := range u.used {
		byID[r.id] = append(byID[r.id], r)
	}
	// The grants by subject, in graph order.
	bySubject := map[scanner.Ref][]*scanner.Grant{}
	for i := range u.graph.Grants {
		g := &u.graph.Grants[i]
		bySubject[g.Subject.Ref] = append(bySubject[g.Subject.Ref], g)
	}
	sug := &Suggestion{Subjects: len(byID)}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Least-privilege RBAC suggested by kubegrant from what each subject did in the audit window\n# %s.\n# Review before applying: requests outside the window are not covered.\n", window)
	buf.WriteString("# Before each subject: the diff against its current grants (its own bindings; grants to groups it is in are\n# not listed), and the requests left out because a detection reported them.\n")
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		subj := u.subjects[id]
		reqs := byID[id]
		slices.SortFunc(reqs, compareUsed)
		// A group's use is what its members did through its grants: a
		// request a member's own grants allowed is not the group's.
		others := 0
		if subj.Kind == scanner.KindGroup {
			kept := reqs[:0]
			for _, r := range reqs {
				req := r.request()
				if slices.ContainsFunc(bySubject[subj], func(g *scanner.Grant) bool { return g.Allows(&req) }) {
					kept = append(kept, r)
				}
			}
			others, reqs = len(reqs)-len(kept), kept
		}
		// Which requests a detection reported.
		marks := map[usedRequest][]string{}
		for _, r := range reqs {
			for _, sh := range u.used[r] {
				for _, rule := range flagged[sh] {
					if !slices.Contains(marks[r], rule) {
						marks[r] = append(marks[r], rule)
					}
				}
			}
			slices.Sort(marks[r])
		}
		d := u.grantDiff(bySubject, subj, id, reqs, marks)
		sug.Unused += d.unused
		sug.Narrowed += d.narrowed
		sug.NotGranted += len(d.notGranted)
		sug.Flagged += len(marks)
		fmt.Fprintf(&buf, "#\n# == %s ==\n", subjectString(subj))
		for _, l := range d.lines {
			buf.WriteString("#   " + l + "\n")
		}
		if others > 0 {
			fmt.Fprintf(&buf, "# Not proposed: %s its members made that no grant of the group allows (they hold them otherwise).\n", plural(others, "request"))
		}
		if len(d.notGranted) > 0 {
			buf.WriteString("# Proposed below but given by no grant of the scanned RBAC to this subject (RBAC allowed it through a\n# group or a binding the scan did not see): check before applying:\n")
			for _, r := range d.notGranted {
				buf.WriteString("#   + " + describeUsed(r) + "\n")
			}
		}
		if len(marks) > 0 {
			buf.WriteString("# Left out: requests a detection reported. Grant them back only if the detection was a false positive:\n")
			for _, r := range reqs {
				if ids := marks[r]; ids != nil {
					fmt.Fprintf(&buf, "#   ! %s (%s)\n", describeUsed(r), strings.Join(ids, ", "))
				}
			}
		}
		// The roles, per namespace, of the requests not reported.
		byNS := map[string]map[usedKey]map[string]map[string]bool{}
		for _, r := range reqs {
			if marks[r] != nil {
				continue
			}
			byKey := byNS[r.namespace]
			if byKey == nil {
				byKey = map[usedKey]map[string]map[string]bool{}
				byNS[r.namespace] = byKey
			}
			if byKey[r.key] == nil {
				byKey[r.key] = map[string]map[string]bool{}
			}
			if byKey[r.key][r.verb] == nil {
				byKey[r.key][r.verb] = map[string]bool{}
			}
			byKey[r.key][r.verb][r.name] = true
		}
		switch {
		case len(byNS) > 0:
		case len(marks) > 0:
			buf.WriteString("# Nothing proposed: every request it made was reported by a detection.\n")
		default:
			buf.WriteString("# Nothing proposed.\n")
		}
		if err := writeRoles(&buf, subj, byNS); err != nil {
			return nil, fmt.Errorf("rendering suggested role for %s: %w", id, err)
		}
	}
	sug.YAML = buf.Bytes()
	return sug, nil
}

// writeRoles writes a subject's Role and RoleBinding per namespace of
// byNS, and its ClusterRole and ClusterRoleBinding for "".
func writeRoles(buf *bytes.Buffer, subj scanner.Ref, byNS map[string]map[usedKey]map[string]map[string]bool) error {
	name := suggestedName(subj)
	rbSubject := rbacv1.Subject{Kind: subj.Kind, Name: subj.Name, Namespace: subj.Namespace}
	if subj.Kind != scanner.KindServiceAccount {
		rbSubject.APIGroup = rbacv1.GroupName
	}
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		rules := rulesOf(byNS[ns])
		var objs []any
		if ns == "" {
			objs = []any{
				rbacv1.ClusterRole{TypeMeta: typeMeta("ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules},
				rbacv1.ClusterRoleBinding{TypeMeta: typeMeta("ClusterRoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: []rbacv1.Subject{rbSubject}},
			}
		} else {
			objs = []any{
				rbacv1.Role{TypeMeta: typeMeta("Role"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules},
				rbacv1.RoleBinding{TypeMeta: typeMeta("RoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: []rbacv1.Subject{rbSubject}},
			}
		}
		for _, o := range objs {
			data, err := yaml.Marshal(o)
			if err != nil {
				return err
			}
			buf.WriteString("---\n")
			buf.Write(bytes.ReplaceAll(data, []byte("  creationTimestamp: null\n"), nil))
		}
	}
	return nil
}

// diff is a subject's current grants against what it used.
type diff struct {
	lines            []string
	unused, narrowed int
	// notGranted are the proposed (unreported) requests that no grant of
	// the scanned RBAC covering the subject allows.
	notGranted []usedRequest
}

// grantDiff compares the rules of the subject's own grants with its
// requests in the window. Each rule is:
//
//   - "never used: would be removed" when no request of the subject falls
//     under it;
//   - "used only by requests a detection reported: would be removed" when
//     the only ones do (the suggestion leaves them out);
//   - "used in part" with the verbs and resources it lists that no request
//     used, which the suggestion drops (a "*" is reported as what was used);
//   - "used" otherwise, saying so when every request named its object (the
//     suggestion then lists them in resourceNames).
//
// It also lists the unreported requests that no grant covering the subject
// (its own, its implicit groups', the groups the log showed it in) allows.
func (u *usage) grantDiff(bySubject map[scanner.Ref][]*scanner.Grant, subj scanner.Ref, id string, reqs []usedRequest, marks map[usedRequest][]string) diff {
	var d diff
	own := bySubject[subj]
	covering := slices.Clone(own)
	identity := scanner.NewIdentity(subj, slices.Sorted(maps.Keys(u.groups[id]))...)
	for _, grp := range identity.Groups {
		if ref := (scanner.Ref{Kind: scanner.KindGroup, Name: grp}); ref != subj {
			covering = append(covering, bySubject[ref]...)
		}
	}
	if identity.User != "" && subj.Kind != scanner.KindUser {
		// A User subject naming a ServiceAccount's user name covers it.
		covering = append(covering, bySubject[scanner.Ref{Kind: scanner.KindUser, Name: identity.User}]...)
	}
	reqOf := make([]scanner.Request, len(reqs))
	for i, r := range reqs {
		reqOf[i] = r.request()
	}
	if len(own) == 0 {
		d.lines = append(d.lines, "no grant of the scanned RBAC names it directly")
	}
	seen := map[string]bool{}
	for _, g := range own {
		line := fmt.Sprintf("%s -> %s: %s", g.Binding, g.Role, describeRule(&g.Rule))
		if g.Scope != "" && g.Binding.Kind == scanner.KindRoleBinding && g.Role.Kind == scanner.KindClusterRole {
			line += " in " + g.Scope
		}
		if src := g.RuleSource; src.File != "" {
			line += " (" + src.String() + ")"
		}
		if seen[line] {
			continue
		}
		seen[line] = true
		var used, clean []int
		for i := range reqs {
			if g.Allows(&reqOf[i]) {
				used = append(used, i)
				if marks[reqs[i]] == nil {
					clean = append(clean, i)
				}
			}
		}
		switch {
		case len(used) == 0:
			d.unused++
			d.lines = append(d.lines, "- "+line+": never used: would be removed")
			continue
		case len(clean) == 0:
			d.unused++
			d.lines = append(d.lines, "- "+line+": used only by requests a detection reported: would be removed")
			continue
		}
		verbs, resources := unusedParts(&g.Rule, reqs, clean)
		if len(verbs) == 0 && len(resources) == 0 {
			named := len(g.Rule.ResourceNames) == 0 && g.Rule.NonResourceURLs == nil &&
				!slices.ContainsFunc(clean, func(i int) bool { return reqs[i].name == "" })
			if named {
				d.lines = append(d.lines, "  "+line+": used, on named objects only: the suggestion lists them in resourceNames")
			} else {
				d.lines = append(d.lines, "  "+line+": used")
			}
			continue
		}
		d.narrowed++
		var parts []string
		if len(verbs) > 0 {
			parts = append(parts, "verbs "+strings.Join(verbs, ", "))
		}
		if len(resources) > 0 {
			parts = append(parts, "resources "+strings.Join(resources, ", "))
		}
		d.lines = append(d.lines, "~ "+line+": used in part; never used: "+strings.Join(parts, "; ")+": would be dropped")
	}
	for i, r := range reqs {
		if marks[r] != nil {
			continue
		}
		if !slices.ContainsFunc(covering, func(g *scanner.Grant) bool { return g.Allows(&reqOf[i]) }) {
			d.notGranted = append(d.notGranted, r)
		}
	}
	return d
}

// unusedParts returns the verbs and the resources a rule lists that none
// of the requests at idx used. A "*" is never unused: the rest of the rule
// names what was.
func unusedParts(rule *rbacv1.PolicyRule, reqs []usedRequest, idx []int) (verbs, resources []string) {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || slices.ContainsFunc(idx, func(i int) bool { return reqs[i].verb == v }) {
			continue
		}
		verbs = append(verbs, v)
	}
	for _, res := range rule.Resources {
		if res == rbacv1.ResourceAll || slices.ContainsFunc(idx, func(i int) bool { return resourceUses(res, reqs[i].key.resource) }) {
			continue
		}
		resources = append(resources, res)
	}
	for _, url := range rule.NonResourceURLs {
		one := rbacv1.PolicyRule{NonResourceURLs: []string{url}}
		if slices.ContainsFunc(idx, func(i int) bool { return reqs[i].key.url != "" && scanner.NonResourceURLMatches(&one, reqs[i].key.url) }) {
			continue
		}
		resources = append(resources, url)
	}
	return verbs, resources
}

// resourceUses reports whether a rule's resource entry res ("pods",
// "pods/exec", "*/scale", "pods/*") covers the used "resource[/sub]".
func resourceUses(res, used string) bool {
	_, sub, _ := strings.Cut(used, "/")
	return scanner.ResourceMatches(&rbacv1.PolicyRule{Resources: []string{res}}, used, sub)
}

func compareUsed(a, b usedRequest) int {
	return cmp.Or(
		strings.Compare(a.namespace, b.namespace),
		strings.Compare(a.key.group, b.key.group),
		strings.Compare(a.key.resource, b.key.resource),
		strings.Compare(a.key.url, b.key.url),
		strings.Compare(a.verb, b.verb),
		strings.Compare(a.name, b.name),
	)
}

// describeUsed renders a request as "create serviceaccounts/token
// kube-system/rbac-operator", "get deployments.apps in apps" or "get /healthz".
func describeUsed(r usedRequest) string {
	if r.key.resource == "" {
		return r.verb + " " + r.key.url
	}
	res := r.key.resource
	if r.key.group != "" {
		base, sub, ok := strings.Cut(res, "/")
		res = base + "." + r.key.group
		if ok {
			res += "/" + sub
		}
	}
	s := r.verb + " " + res
	switch {
	case r.name != "" && r.namespace != "":
		s += " " + r.namespace + "/" + r.name
	case r.name != "":
		s += " " + r.name
	case r.namespace != "":
		s += " in " + r.namespace
	}
	return s
}

// describeRule renders a policy rule on one line: "get,list secrets
// [a b]", "create pods/exec", "get /healthz".
func describeRule(r *rbacv1.PolicyRule) string {
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g != "" {
				x += "." + g
			}
			res = append(res, x)
		}
	}
	res = append(res, r.NonResourceURLs...)
	s := strings.Join(r.Verbs, ",") + " " + strings.Join(res, ",")
	if len(r.ResourceNames) > 0 {
		s += " [" + strings.Join(r.ResourceNames, " ") + "]"
	}
	return s
}

// subjectString names a subject as kubegrant's reports do: "ServiceAccount
// ci/deployer", "User alice", "Group oncall".
func subjectString(s scanner.Ref) string {
	if s.Namespace != "" {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind}
}

// rulesOf groups used (group, resource) pairs by identical verb sets into
// rules, as audit2rbac compacts its output. A verb whose every request
// named its object gets resourceNames: a token minted for one
// ServiceAccount does not become a grant to mint for all of them.
func rulesOf(used map[usedKey]map[string]map[string]bool) []rbacv1.PolicyRule {
	type groupVerbs struct{ group, verbs, names string }
	resources := map[groupVerbs][]string{}
	urls := map[string][]string{}
	for k, byVerb := range used {
		if k.resource == "" {
			verbs := make([]string, 0, len(byVerb))
			for v := range byVerb {
				verbs = append(verbs, v)
			}
			sort.Strings(verbs)
			joined := strings.Join(verbs, ",")
			urls[joined] = append(urls[joined], k.url)
			continue
		}
		// Verbs that share the same names (or none) share a rule.
		byNames := map[string][]string{}
		for v, names := range byVerb {
			key := ""
			if !names[""] {
				ns := make([]string, 0, len(names))
				for n := range names {
					ns = append(ns, n)
				}
				sort.Strings(ns)
				key = strings.Join(ns, "\x00")
			}
			byNames[key] = append(byNames[key], v)
		}
		for names, verbs := range byNames {
			sort.Strings(verbs)
			gv := groupVerbs{k.group, strings.Join(verbs, ","), names}
			resources[gv] = append(resources[gv], k.resource)
		}
	}
	var rules []rbacv1.PolicyRule
	for gv, res := range resources {
		sort.Strings(res)
		r := rbacv1.PolicyRule{APIGroups: []string{gv.group}, Resources: res, Verbs: strings.Split(gv.verbs, ",")}
		if gv.names != "" {
			r.ResourceNames = strings.Split(gv.names, "\x00")
		}
		rules = append(rules, r)
	}
	for verbs, us := range urls {
		sort.Strings(us)
		rules = append(rules, rbacv1.PolicyRule{NonResourceURLs: us, Verbs: strings.Split(verbs, ",")})
	}
	sort.Slice(rules, func(i, j int) bool {
		a, b := rules[i], rules[j]
		if c := slices.Compare(a.APIGroups, b.APIGroups); c != 0 {
			return c < 0
		}
		if c := slices.Compare(a.Resources, b.Resources); c != 0 {
			return c < 0
		}
		if c := slices.Compare(a.NonResourceURLs, b.NonResourceURLs); c != 0 {
			return c < 0
		}
		if c := slices.Compare(a.ResourceNames, b.ResourceNames); c != 0 {
			return c < 0
		}
		return slices.Compare(a.Verbs, b.Verbs) < 0
	})
	return rules
}
