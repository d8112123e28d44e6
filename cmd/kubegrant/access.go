package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/detect"
	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/scanner"
)

const whoCanUsage = `who-can VERB RESOURCE[/SUBRESOURCE]|URL [PATH|-]... [flags]

Lists who may make a request: every subject of the input's bindings whose
grants allow it (with the binding and the rule, file:line), groups expanded
to the identities of the input the apiserver puts in them, and
system:masters, which bypasses RBAC. RESOURCE is a resource as kubectl takes
it (secrets, deploy, deployments.apps, pods/exec, a CRD of the input); URL a
non-resource path (/healthz, /metrics). Without -n, a namespaced resource is
asked in every namespace. Reads the same inputs as scan.`

const canUsage = `can SUBJECT [PATH|-]... [flags]

Lists what an identity may do: the grants that apply to it directly or
through its groups (implicit ones included: system:authenticated,
system:serviceaccounts, system:serviceaccounts:<ns>), with their bindings
(file:line). SUBJECT is ServiceAccount:NAMESPACE/NAME, User:NAME, Group:NAME
or system:serviceaccount:NAMESPACE:NAME. With --audit-log, says which
permissions the identity used. Reads the same inputs as scan.`

// inputFlags are the RBAC inputs every command that reads RBAC takes.
type inputFlags struct {
	cluster     bool
	clusterOpts scanner.ClusterOptions
}

func (f *inputFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.cluster, "cluster", false, "read RBAC from the live cluster (kubeconfig or in-cluster config)")
	fs.StringVar(&f.clusterOpts.Kubeconfig, "kubeconfig", "", "with --cluster: the kubeconfig file")
	fs.StringVar(&f.clusterOpts.Context, "context", "", "with --cluster: the kubeconfig context")
}

// load reads and resolves the RBAC of paths (and the cluster), printing
// the diagnostics on stderr.
func (f *inputFlags) load(ctx context.Context, paths []string, io stdio) (*scanner.Graph, error) {
	if len(paths) == 0 && !f.cluster {
		return nil, usageErrorf("give manifests (PATH) or --cluster")
	}
	if !f.cluster && (f.clusterOpts.Kubeconfig != "" || f.clusterOpts.Context != "") {
		return nil, usageErrorf("--kubeconfig and --context apply to --cluster only")
	}
	if stdinCount(paths) > 1 {
		return nil, usageErrorf("standard input ('-') can be read only once")
	}
	root, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the working directory: %w", err)
	}
	inv, err := loadRBAC(ctx, &scanConfig{paths: paths, cluster: f.cluster, clusterOpts: f.clusterOpts}, io, root)
	if err != nil {
		return nil, err
	}
	g := scanner.Resolve(inv)
	printDiagnostics(io, g.Diagnostics)
	if len(inv.NotEvaluated) > 0 {
		fmt.Fprintf(io.err, "kubegrant: warning: could not list %v: the answer leaves out what they grant\n", inv.NotEvaluated)
	}
	return g, nil
}

func stdinCount(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	return n
}

func runWhoCan(ctx context.Context, args []string, io stdio) error {
	fs := newFlagSet("who-can", whoCanUsage, io)
	format := newEnum("text", "text", "json")
	var in inputFlags
	in.register(fs)
	namespace := fs.StringP("namespace", "n", "", "the request's namespace (default: every namespace)")
	name := fs.String("name", "", "the name of the object asked for")
	fs.Var(format, "format", "output format: "+format.choices())
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usageErrorf("who-can needs a VERB and a RESOURCE (or URL)")
	}
	verb, what, paths := fs.Arg(0), fs.Arg(1), fs.Args()[2:]
	g, err := in.load(ctx, paths, io)
	if err != nil {
		return err
	}
	q, err := whoCanRequest(verb, what, *namespace, *name, scanner.NewAPIs(g.CRDs), io)
	if err != nil {
		return err
	}
	res := scanner.WhoCan(g, q.req, q.anyNamespace)
	w := bufio.NewWriter(io.out)
	if format.String() == "json" {
		err = writeJSON(w, whoCanJSON(q, res))
	} else {
		writeWhoCanText(w, q, res)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// whoCanQuery is a resolved who-can question.
type whoCanQuery struct {
	req          scanner.Request
	anyNamespace bool
	// resource names the resource as resolved ("deployments.apps").
	resource string
}

// whoCanRequest resolves the command line into the authorizer's request.
func whoCanRequest(verb, what, namespace, name string, apis *scanner.APIs, io stdio) (whoCanQuery, error) {
	q := whoCanQuery{req: scanner.Request{Verb: verb}}
	if strings.HasPrefix(what, "/") {
		if namespace != "" || name != "" {
			return q, usageErrorf("a non-resource URL has no namespace or name")
		}
		q.req.Path, q.resource = what, what
		return q, nil
	}
	if verb != strings.ToLower(verb) {
		return q, usageErrorf("verbs are lower-case: %q", strings.ToLower(verb))
	}
	q.req.ResourceRequest = true
	found := apis.Find(what)
	switch {
	case len(found) > 1:
		var names []string
		for _, r := range found {
			names = append(names, r.GroupResource())
		}
		return q, usageErrorf("%q is ambiguous: %s", what, strings.Join(names, ", "))
	case len(found) == 1:
		r := found[0]
		q.req.APIGroup = r.Group
		q.req.Resource, q.req.Subresource, _ = strings.Cut(r.Resource, "/")
		q.resource = r.GroupResource()
		if !r.Namespaced && namespace != "" {
			fmt.Fprintf(io.err, "kubegrant: %s is cluster-scoped; -n %s ignored\n", q.resource, namespace)
			namespace = ""
		}
		q.anyNamespace = r.Namespaced && namespace == ""
	default:
		// Not a known resource: a CRD or an aggregated API the input does
		// not define, which must then be named with its group.
		base, sub, _ := strings.Cut(what, "/")
		res, group, ok := strings.Cut(base, ".")
		if !ok {
			return q, usageErrorf("unknown resource %q: name a resource of another API as RESOURCE.GROUP", what)
		}
		q.req.APIGroup, q.req.Resource, q.req.Subresource = group, res, sub
		q.resource = what
		q.anyNamespace = namespace == ""
		fmt.Fprintf(io.err, "kubegrant: %s is not defined in the input; asked as a namespaced resource of group %q\n", what, group)
	}
	q.req.Namespace = namespace
	q.req.Name = name
	if name != "" && scanner.Unnamed(verb, q.req.Subresource) {
		// The authorizer sees no name on a create or deletecollection of
		// a collection: a rule restricted by resourceNames never allows it.
		fmt.Fprintf(io.err, "kubegrant: a %s carries no name; --name %s ignored\n", verb, name)
		q.req.Name = ""
	}
	return q, nil
}

func (q whoCanQuery) String() string {
	s := fmt.Sprintf("%s %s", q.req.Verb, q.resource)
	if q.req.Name != "" {
		s += fmt.Sprintf(" named %q", q.req.Name)
	}
	switch {
	case !q.req.ResourceRequest:
	case q.req.Namespace != "":
		s += fmt.Sprintf(" in namespace %q", q.req.Namespace)
	case q.anyNamespace:
		s += " in any namespace"
	default:
		s += " (cluster-scoped)"
	}
	return s
}

func writeWhoCanText(w io.Writer, q whoCanQuery, res *scanner.WhoCanResult) {
	fmt.Fprintf(w, "Who can %s:\n", q)
	for _, a := range res.Subjects {
		fmt.Fprintf(w, "\n%s\n", subjectText(a.Subject))
		if a.Superuser {
			fmt.Fprintln(w, "    bypasses RBAC: the apiserver allows every request of its members")
		}
		for _, gr := range a.Grants {
			fmt.Fprintf(w, "    %s\n", grantText(gr, q.anyNamespace))
		}
		if a.Subject.Kind == scanner.KindGroup {
			fmt.Fprintf(w, "    members: %s\n", membersText(a))
		}
	}
	fmt.Fprintf(w, "\n%d subject(s). Identities of the input allowed (groups expanded):", len(res.Subjects))
	if len(res.Identities) == 0 {
		fmt.Fprintln(w, " none.")
		return
	}
	fmt.Fprintln(w)
	for _, id := range res.Identities {
		var via []string
		for _, t := range id.Through {
			if t != id.Identity {
				via = append(via, subjectText(t))
			}
		}
		line := "  " + subjectText(id.Identity)
		if len(via) > 0 {
			line += " (through " + strings.Join(via, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func subjectText(r scanner.Ref) string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

func membersText(a scanner.Access) string {
	var names []string
	for _, m := range a.Members {
		names = append(names, subjectText(m))
	}
	list := strings.Join(names, ", ")
	switch {
	case a.Subject.Name == scanner.GroupAuthenticated && list == "":
		return "every authenticated user and ServiceAccount"
	case a.Subject.Name == scanner.GroupAuthenticated:
		return "every authenticated user and ServiceAccount; in the input: " + list
	case a.MembersKnown && list == "":
		return "none in the input"
	case a.MembersKnown:
		return list
	case list == "":
		return "not known offline (the authenticator decides this group's members)"
	}
	return list + ", and whoever else the authenticator puts in the group"
}

// grantText renders one grant: binding → role, scope, where.
func grantText(gr *scanner.Grant, withScope bool) string {
	s := fmt.Sprintf("%s %s → %s %s", gr.Binding.Kind, refName(gr.Binding), gr.Role.Kind, refName(gr.Role))
	if gr.AggregatedFrom != nil {
		s += fmt.Sprintf(" (aggregated from ClusterRole %q)", gr.AggregatedFrom.Name)
	}
	if withScope {
		s += ", " + scopeText(gr.Scope)
	}
	s += "  " + gr.BindingSource.String()
	switch rs := gr.RuleSource; {
	case rs == gr.BindingSource || rs.String() == "":
	case rs.File != "" && rs.File == gr.BindingSource.File && rs.Line > 0:
		s += fmt.Sprintf(", rule at line %d", rs.Line)
	default:
		s += ", rule " + rs.String()
	}
	return s
}

func refName(r scanner.Ref) string {
	if r.Namespace != "" {
		return fmt.Sprintf("%q", r.Namespace+"/"+r.Name)
	}
	return fmt.Sprintf("%q", r.Name)
}

func scopeText(scope string) string {
	if scope == "" {
		return "cluster-wide"
	}
	return "in " + scope
}

// JSON shapes of who-can and can.

type requestJSON struct {
	Verb           string `json:"verb"`
	APIGroup       string `json:"apiGroup"`
	Resource       string `json:"resource,omitempty"`
	Subresource    string `json:"subresource,omitempty"`
	Name           string `json:"name,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	AnyNamespace   bool   `json:"anyNamespace,omitempty"`
	NonResourceURL string `json:"nonResourceURL,omitempty"`
}

type grantJSON struct {
	Binding         scanner.Ref    `json:"binding"`
	BindingLocation scanner.Source `json:"bindingLocation"`
	Role            scanner.Ref    `json:"role"`
	AggregatedFrom  *scanner.Ref   `json:"aggregatedFrom,omitempty"`
	Scope           string         `json:"scope"`
	Rule            ruleJSON       `json:"rule"`
	RuleLocation    scanner.Source `json:"ruleLocation"`
	Used            *int           `json:"used,omitempty"`
	LastUsed        string         `json:"lastUsed,omitempty"`
}

type ruleJSON struct {
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	Verbs           []string `json:"verbs"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

func newGrantJSON(gr *scanner.Grant) grantJSON {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return grantJSON{
		Binding: gr.Binding, BindingLocation: gr.BindingSource, Role: gr.Role, AggregatedFrom: gr.AggregatedFrom,
		Scope: gr.Scope, RuleLocation: gr.RuleSource,
		Rule: ruleJSON{APIGroups: nonNil(gr.Rule.APIGroups), Resources: nonNil(gr.Rule.Resources), Verbs: nonNil(gr.Rule.Verbs),
			ResourceNames: nonNil(gr.Rule.ResourceNames), NonResourceURLs: nonNil(gr.Rule.NonResourceURLs)},
	}
}

type subjectJSON struct {
	scanner.Ref
	BypassesRBAC bool          `json:"bypassesRBAC,omitempty"`
	Grants       []grantJSON   `json:"grants"`
	Members      []scanner.Ref `json:"members,omitempty"`
	// MembersKnown: the members listed are all there are in the input.
	MembersKnown *bool `json:"membersKnown,omitempty"`
}

type identityJSON struct {
	scanner.Ref
	Through []scanner.Ref `json:"through"`
}

type whoCanDoc struct {
	Request    requestJSON    `json:"request"`
	Subjects   []subjectJSON  `json:"subjects"`
	Identities []identityJSON `json:"identities"`
}

func whoCanJSON(q whoCanQuery, res *scanner.WhoCanResult) whoCanDoc {
	doc := whoCanDoc{
		Request: requestJSON{Verb: q.req.Verb, APIGroup: q.req.APIGroup, Resource: q.req.Resource, Subresource: q.req.Subresource,
			Name: q.req.Name, Namespace: q.req.Namespace, AnyNamespace: q.anyNamespace, NonResourceURL: q.req.Path},
		Subjects:   []subjectJSON{},
		Identities: []identityJSON{},
	}
	for _, a := range res.Subjects {
		s := subjectJSON{Ref: a.Subject, BypassesRBAC: a.Superuser, Grants: []grantJSON{}}
		for _, gr := range a.Grants {
			s.Grants = append(s.Grants, newGrantJSON(gr))
		}
		if a.Subject.Kind == scanner.KindGroup {
			known := a.MembersKnown
			s.Members, s.MembersKnown = a.Members, &known
		}
		doc.Subjects = append(doc.Subjects, s)
	}
	for _, id := range res.Identities {
		doc.Identities = append(doc.Identities, identityJSON{Ref: id.Identity, Through: id.Through})
	}
	return doc
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func runCan(ctx context.Context, args []string, io stdio) error {
	fs := newFlagSet("can", canUsage, io)
	format := newEnum("text", "text", "json")
	var in inputFlags
	in.register(fs)
	namespace := fs.StringP("namespace", "n", "", "only what the identity may do in this namespace (and cluster-wide)")
	groups := fs.StringArray("group", nil, "a group the user is in besides the implicit ones (repeatable; the authenticator decides these)")
	auditLogs := fs.StringArray("audit-log", nil, "audit log file, directory, glob or '-' (repeatable; .gz ok): say which permissions were used")
	fs.Var(format, "format", "output format: "+format.choices())
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usageErrorf("can needs a SUBJECT (ServiceAccount:NAMESPACE/NAME, User:NAME or Group:NAME)")
	}
	subject, err := scanner.ParseSubject(fs.Arg(0))
	if err != nil {
		return usageErrorf("%v", err)
	}
	if subject.Kind == scanner.KindGroup && len(*groups) > 0 {
		return usageErrorf("--group applies to a User or a ServiceAccount")
	}
	paths := fs.Args()[1:]
	if slices.Contains(*auditLogs, "-") && slices.Contains(paths, "-") {
		return usageErrorf("standard input ('-') can be read only once")
	}
	g, err := in.load(ctx, paths, io)
	if err != nil {
		return err
	}
	id := scanner.NewIdentity(subject, *groups...)
	grants := scanner.Can(g, id, *namespace)
	var use *usage
	if len(*auditLogs) > 0 {
		if use, err = auditUse(ctx, *auditLogs, id, grants, io); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(io.out)
	if format.String() == "json" {
		err = writeJSON(w, canJSON(id, *namespace, grants, use))
	} else {
		writeCanText(w, g, id, *namespace, grants, use)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// usage is what the audit log says an identity used.
type usage struct {
	// count and last per grant; a request allowed by several grants
	// counts for each.
	count map[*scanner.Grant]int
	last  map[*scanner.Grant]time.Time
	// requests are the identity's requests RBAC allowed; unmatched those
	// no grant of the input allows (the RBAC changed, or the input is
	// incomplete).
	requests, unmatched int
	first, to           time.Time
	events              int
}

// auditUse replays the audit logs for one identity over its grants.
func auditUse(ctx context.Context, sources []string, id scanner.Identity, grants []*scanner.Grant, io stdio) (*usage, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the working directory: %w", err)
	}
	u := &usage{count: map[*scanner.Grant]int{}, last: map[*scanner.Grant]time.Time{}}
	stats, err := audit.Stream(ctx, sources, audit.StreamOptions{Stdin: io.in, Root: root}, func(e *audit.Event) error {
		for _, c := range detect.RBACChecks(e) {
			if !id.Matches(c.User, c.Groups) {
				continue
			}
			u.requests++
			matched := false
			for _, gr := range grants {
				if gr.Allows(&c.Request) {
					matched = true
					u.count[gr]++
					if e.Time.After(u.last[gr]) {
						u.last[gr] = e.Time
					}
				}
			}
			if !matched {
				u.unmatched++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	printDiagnostics(io, stats.Diagnostics)
	u.events, u.first, u.to = stats.Events, stats.First, stats.Last
	return u, nil
}

func writeCanText(w io.Writer, g *scanner.Graph, id scanner.Identity, namespace string, grants []*scanner.Grant, use *usage) {
	fmt.Fprintf(w, "%s", subjectText(id.Subject))
	if id.User != "" {
		fmt.Fprintf(w, ": user %q, groups %s", id.User, strings.Join(id.Groups, ", "))
	}
	if namespace != "" {
		fmt.Fprintf(w, " (in namespace %q and cluster-wide)", namespace)
	}
	fmt.Fprintln(w)
	if note := subjectNote(g, id); note != "" {
		fmt.Fprintln(w, note)
	}
	if id.Superuser() {
		fmt.Fprintln(w, "\nIn system:masters: the apiserver allows every request without asking RBAC.")
	}
	if len(grants) == 0 {
		fmt.Fprintln(w, "\nNo grant of the input applies.")
	}
	for _, gr := range grants {
		fmt.Fprintf(w, "\n%-14s %s\n", scopeText(gr.Scope), ruleText(gr.Rule))
		fmt.Fprintf(w, "               via %s", grantText(gr, false))
		if gr.Subject.Ref != id.Subject {
			fmt.Fprintf(w, " (bound to %s)", subjectText(gr.Subject.Ref))
		}
		fmt.Fprintln(w)
		if use != nil {
			if n := use.count[gr]; n > 0 {
				fmt.Fprintf(w, "               used: %d request(s), last %s\n", n, use.last[gr].UTC().Format(time.RFC3339))
			} else {
				fmt.Fprintln(w, "               used: never in the audit window")
			}
		}
	}
	if use != nil {
		fmt.Fprintf(w, "\nAudit window: %s; %d event(s) read, %d authorizer check(s) by this identity",
			windowText(use), use.events, use.requests)
		if use.unmatched > 0 {
			fmt.Fprintf(w, ", %d of them allowed by no grant of the input (RBAC changed, or the input is incomplete)", use.unmatched)
		}
		fmt.Fprintln(w, ".")
	}
}

func windowText(u *usage) string {
	if u.first.IsZero() {
		return "no events"
	}
	return u.first.UTC().Format(time.RFC3339) + " to " + u.to.UTC().Format(time.RFC3339)
}

// subjectNote says when the input does not define the identity.
func subjectNote(g *scanner.Graph, id scanner.Identity) string {
	switch id.Subject.Kind {
	case scanner.KindServiceAccount:
		for _, o := range g.Objects {
			if o.Kind == "ServiceAccount" && o.Namespace == id.Subject.Namespace && o.Name == id.Subject.Name {
				return ""
			}
		}
		return "(the input does not define this ServiceAccount)"
	case scanner.KindUser:
		return "(a user's groups come from the authenticator: add them with --group)"
	}
	return ""
}

// ruleText renders a rule compactly: verbs on group-qualified resources.
func ruleText(r rbacv1.PolicyRule) string {
	verbs := strings.Join(r.Verbs, ",")
	if len(r.NonResourceURLs) > 0 {
		return verbs + " " + strings.Join(r.NonResourceURLs, ",")
	}
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			base, sub, hasSub := strings.Cut(x, "/")
			if g != "" {
				base += "." + g
			}
			if hasSub {
				base += "/" + sub
			}
			res = append(res, base)
		}
	}
	s := verbs + " " + strings.Join(res, ",")
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ",")
	}
	return s
}

type canDoc struct {
	Subject   scanner.Ref `json:"subject"`
	User      string      `json:"user,omitempty"`
	Groups    []string    `json:"groups"`
	Namespace string      `json:"namespace,omitempty"`
	Superuser bool        `json:"bypassesRBAC,omitempty"`
	Grants    []grantJSON `json:"grants"`
	Audit     *canAudit   `json:"audit,omitempty"`
}

type canAudit struct {
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Events    int    `json:"events"`
	Checks    int    `json:"checks"`
	Unmatched int    `json:"unmatched"`
}

func canJSON(id scanner.Identity, namespace string, grants []*scanner.Grant, use *usage) canDoc {
	doc := canDoc{Subject: id.Subject, User: id.User, Groups: id.Groups, Namespace: namespace, Superuser: id.Superuser(), Grants: []grantJSON{}}
	for _, gr := range grants {
		j := newGrantJSON(gr)
		if use != nil {
			n := use.count[gr]
			j.Used = &n
			if n > 0 {
				j.LastUsed = use.last[gr].UTC().Format(time.RFC3339Nano)
			}
		}
		doc.Grants = append(doc.Grants, j)
	}
	if use != nil {
		doc.Audit = &canAudit{Events: use.events, Checks: use.requests, Unmatched: use.unmatched}
		if !use.first.IsZero() {
			doc.Audit.From, doc.Audit.To = use.first.UTC().Format(time.RFC3339Nano), use.to.UTC().Format(time.RFC3339Nano)
		}
	}
	return doc
}
