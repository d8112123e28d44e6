package detect

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubegrant/kubegrant/scanner"
)

// usage records, per identity, the requests RBAC allowed it to make: the
// material of a least-privilege Role (like audit2rbac, but for every subject
// of the scanned bindings at once). Memory is bounded by the number of
// distinct (identity, namespace, group, resource, verb) tuples, not by the
// log.
type usage struct {
	// subjects are the subjects of the scanned bindings, by identity key:
	// the username of a User or ServiceAccount, "group:"+name of a Group.
	// Only their use is recorded; a Group's is what its members did.
	subjects map[string]scanner.Ref
	// used[identity][namespace][group/resource or URL][verb] = the object
	// names requested ("" for a request without a name).
	used map[string]map[string]map[usedKey]map[string]map[string]bool
}

type usedKey struct {
	group, resource, url string
}

func newUsage(g *scanner.Graph) *usage {
	u := &usage{subjects: map[string]scanner.Ref{}, used: map[string]map[string]map[usedKey]map[string]map[string]bool{}}
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

// record notes one request RBAC allowed: for the user when it is a subject
// of a scanned binding, and for each of its groups that is.
func (u *usage) record(user string, groups []string, req *scanner.Request) {
	if user == anonymousUser {
		return
	}
	if _, ok := u.subjects[user]; ok {
		u.add(user, req)
	}
	for _, g := range groups {
		if _, ok := u.subjects["group:"+g]; ok {
			u.add("group:"+g, req)
		}
	}
}

func (u *usage) add(id string, req *scanner.Request) {
	byNS := u.used[id]
	if byNS == nil {
		byNS = map[string]map[usedKey]map[string]map[string]bool{}
		u.used[id] = byNS
	}
	key := usedKey{url: req.Path}
	if req.ResourceRequest {
		key = usedKey{group: req.APIGroup, resource: req.Resource}
		if req.Subresource != "" {
			key.resource += "/" + req.Subresource
		}
	}
	byKey := byNS[req.Namespace]
	if byKey == nil {
		byKey = map[usedKey]map[string]map[string]bool{}
		byNS[req.Namespace] = byKey
	}
	if byKey[key] == nil {
		byKey[key] = map[string]map[string]bool{}
	}
	if byKey[key][req.Verb] == nil {
		byKey[key][req.Verb] = map[string]bool{}
	}
	byKey[key][req.Verb][req.Name] = true
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

// RolesYAML renders, for every subject seen in the window, the Roles (one
// per namespace it used) and the ClusterRole (cluster-scoped resources and
// non-resource URLs) that cover exactly what it did, with their bindings,
// as multi-document YAML. Deterministic.
func (u *usage) RolesYAML(window string) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Least-privilege RBAC suggested by kubegrant from what each subject did in the audit window\n# %s.\n# Review before applying: requests outside the window are not covered.\n", window)
	users := make([]string, 0, len(u.used))
	for user := range u.used {
		users = append(users, user)
	}
	sort.Strings(users)
	for _, user := range users {
		subj := u.subjects[user]
		name := suggestedName(subj)
		byNS := u.used[user]
		namespaces := make([]string, 0, len(byNS))
		for ns := range byNS {
			namespaces = append(namespaces, ns)
		}
		sort.Strings(namespaces)
		for _, ns := range namespaces {
			rules := rulesOf(byNS[ns])
			rbSubject := rbacv1.Subject{Kind: subj.Kind, Name: subj.Name, Namespace: subj.Namespace}
			if subj.Kind != scanner.KindServiceAccount {
				rbSubject.APIGroup = rbacv1.GroupName
			}
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
					return nil, fmt.Errorf("rendering suggested role for %s: %w", user, err)
				}
				buf.WriteString("---\n")
				buf.Write(bytes.ReplaceAll(data, []byte("  creationTimestamp: null\n"), nil))
			}
		}
	}
	return buf.Bytes(), nil
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
