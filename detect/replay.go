package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// StreamOptions and Stats are the audit stream's (package audit), named
// here for the callers of Replay.
type (
	StreamOptions = audit.StreamOptions
	Stats         = audit.Stats
)

// ReplayOptions configure the dynamic pass.
type ReplayOptions struct {
	Stream StreamOptions
	Detect DetectOptions
	// EvidenceCap bounds the evidence kept per finding (default 10);
	// ExerciseCount stays exact.
	EvidenceCap int
	// MaxMismatches bounds the reason/model mismatch diagnostics (default 20).
	MaxMismatches int
	// SuggestRoles records what each directly bound subject did, for
	// ReplayResult.SuggestedRoles.
	SuggestRoles bool
}

// ReplayResult is what the dynamic pass adds to a report.
type ReplayResult struct {
	Stats Stats
	// Detections are the findings of the audit detections.
	Detections []reports.Finding
	// Rules are the detections' rules.
	Rules []reports.Rule
	// Diagnostics are the stream's diagnostics plus reason/model mismatches.
	Diagnostics []scanner.Diagnostic
	// Attributed counts allowed RBAC requests whose reason named a binding,
	// and Mismatches those where no grant of that binding in the model allows
	// the request (the model and the log disagree).
	Attributed, Mismatches int

	usage *usage
}

// SuggestedRoles renders least-privilege Roles and ClusterRoles, with their
// bindings, covering exactly what each directly bound user, group and
// ServiceAccount did in the observed window (multi-document YAML), less
// the requests the detections among findings reported, with the diff
// against each subject's current grants (see usage.suggest). findings are
// the report's, suppressed: a detection a person accepted (Suppression
// Accepted) marks nothing; one in the baseline still does.
func (res *ReplayResult) SuggestedRoles(findings []reports.Finding) (*Suggestion, error) {
	window := "no events observed"
	if !res.Stats.First.IsZero() {
		window = fmt.Sprintf("from %s to %s (%d events)", res.Stats.First.UTC().Format(time.RFC3339), res.Stats.Last.UTC().Format(time.RFC3339), res.Stats.Events)
	}
	if res.usage == nil {
		return nil, errors.New("suggested roles need a replay with ReplayOptions.SuggestRoles")
	}
	return res.usage.suggest(window, findings)
}

// Replay streams the audit logs once, marks every static finding exercised
// or not (through its Grant and its rule's ExercisedBy), and runs the audit
// detections on the same pass. static findings are updated in place.
//
// A request exercises a finding when it was allowed by RBAC (requests allowed
// by the Node authorizer or by system:masters are never attributed), its
// effective identity (the impersonated user and groups when impersonating)
// is covered by the grant's subject, the grant allows it with Kubernetes
// RBAC semantics, and the finding's rule counts it as use. Impersonation,
// escalation and binding are checks the apiserver makes without writing them
// to the log: they are derived from the event (impersonatedUser, writes to
// roles, roleRef of binding writes) and matched the same way.
func Replay(ctx context.Context, sources []string, g *scanner.Graph, static []reports.Finding, rules []reports.Rule, opts ReplayOptions) (*ReplayResult, error) {
	if opts.EvidenceCap <= 0 {
		opts.EvidenceCap = 10
	}
	if opts.MaxMismatches <= 0 {
		opts.MaxMismatches = 20
	}
	if opts.Detect.Model == nil && len(g.Grants) > 0 {
		opts.Detect.Model = g
	}
	r := newReplayer(g, static, rules, opts)
	dispatch := newDispatcher(opts.Detect)
	res := &ReplayResult{}
	if opts.SuggestRoles {
		res.usage = newUsage(g)
	}
	stats, err := audit.Stream(ctx, sources, opts.Stream, func(e *audit.Event) error {
		dispatch.observe(e)
		r.observe(e, res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(stats.Rejected) > 0 {
		return nil, rejectedError(stats)
	}
	res.Stats = stats
	res.Diagnostics = append(slices.Clone(stats.Diagnostics), r.diags...)
	res.Diagnostics = append(res.Diagnostics, userExtraDiagnostic(stats.WithoutUserExtra, opts.Detect)...)
	r.finish()
	for _, d := range dispatch.detectors {
		res.Rules = append(res.Rules, d.Rule())
		res.Detections = append(res.Detections, d.Findings()...)
		if dr, ok := d.(DiagnosticReporter); ok {
			res.Diagnostics = append(res.Diagnostics, dr.Diagnostics()...)
		}
	}
	res.Detections = oneIncidentOneFinding(res.Detections)
	return res, nil
}

// rejectedError reports the audit logs none of whose records could be
// read, with the first diagnostic of each: nothing was replayed from them.
func rejectedError(st audit.Stats) error {
	var errs []error
	for _, f := range st.Rejected {
		msg := fmt.Sprintf("audit log %s: no record is a readable audit event", f)
		for _, d := range st.Diagnostics {
			if d.Location.File == f {
				msg += " (" + d.Message + ")"
				break
			}
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// tracked is a static finding the replay watches, with its usage so far.
type tracked struct {
	finding  *reports.Finding
	patterns []rbacv1.PolicyRule
	// grantUsed[i] says whether Grants[i] allowed a request that counted.
	grantUsed []bool
	count     int
	first     time.Time
	last      time.Time
	evidence  []reports.Evidence
}

type replayer struct {
	opts ReplayOptions
	// byUser and byGroup index tracked findings by the user name or group
	// their grant's subject covers (ServiceAccounts by their user name).
	byUser  map[string][]*tracked
	byGroup map[string][]*tracked
	// byReason indexes tracked findings by the bindings and subjects of
	// their grants (binding-level findings, which have no grant, by their
	// binding and subject): what a reason annotation names.
	byReason map[reasonKey][]*tracked
	all      []*tracked
	// bindingGrants indexes every grant of the model by binding, to check
	// the reason annotation against the model.
	bindingGrants map[scanner.Ref][]*scanner.Grant
	diags         []scanner.Diagnostic
	mismatches    int
	seenTracked   map[*tracked]bool // scratch, reset per event
}

func newReplayer(g *scanner.Graph, static []reports.Finding, rules []reports.Rule, opts ReplayOptions) *replayer {
	patterns := make(map[string][]rbacv1.PolicyRule, len(rules))
	for _, rule := range rules {
		for _, p := range rule.ExercisedBy {
			patterns[rule.ID] = append(patterns[rule.ID], rbacv1.PolicyRule{
				Verbs: p.Verbs, APIGroups: p.APIGroups, Resources: p.Resources,
				ResourceNames: p.ResourceNames, NonResourceURLs: p.NonResourceURLs,
			})
		}
	}
	r := &replayer{
		opts:          opts,
		byUser:        map[string][]*tracked{},
		byGroup:       map[string][]*tracked{},
		byReason:      map[reasonKey][]*tracked{},
		bindingGrants: map[scanner.Ref][]*scanner.Grant{},
		seenTracked:   map[*tracked]bool{},
	}
	for i := range static {
		f := &static[i]
		if len(f.Grants) == 0 {
			if f.Binding != nil && f.Subject != nil {
				t := &tracked{finding: f}
				r.all = append(r.all, t)
				k := reasonKey{binding: *f.Binding, subject: *f.Subject}
				r.byReason[k] = append(r.byReason[k], t)
			}
			continue
		}
		t := &tracked{finding: f, patterns: patterns[f.RuleID], grantUsed: make([]bool, len(f.Grants))}
		r.all = append(r.all, t)
		subjects := map[scanner.Ref]bool{}
		keys := map[reasonKey]bool{}
		for _, gr := range f.Grants {
			if k := (reasonKey{binding: gr.Binding, subject: gr.Subject.Ref}); !keys[k] {
				keys[k] = true
				r.byReason[k] = append(r.byReason[k], t)
			}
			if subjects[gr.Subject.Ref] {
				continue
			}
			subjects[gr.Subject.Ref] = true
			switch s := gr.Subject; s.Kind {
			case scanner.KindUser:
				r.byUser[s.Name] = append(r.byUser[s.Name], t)
			case scanner.KindServiceAccount:
				if s.Namespace != "" {
					u := scanner.ServiceAccountUsername(s.Namespace, s.Name)
					r.byUser[u] = append(r.byUser[u], t)
				}
			case scanner.KindGroup:
				r.byGroup[s.Name] = append(r.byGroup[s.Name], t)
			}
		}
	}
	for i := range g.Grants {
		gr := &g.Grants[i]
		r.bindingGrants[gr.Binding] = append(r.bindingGrants[gr.Binding], gr)
	}
	return r
}

// reasonKey is what an RBAC reason annotation names.
type reasonKey struct {
	binding, subject scanner.Ref
}

// hitMatching credits e to every tracked finding whose subject covers the
// user (directly or through one of the groups) and that one of reqs
// exercises. It walks the indexes in place: this runs for every event.
func (r *replayer) hitMatching(e *audit.Event, user string, groups []string, reqs []scanner.Request) {
	visit := func(ts []*tracked) {
		for _, t := range ts {
			for i := range reqs {
				if r.matches(t, &reqs[i]) {
					r.hit(t, e)
					break
				}
			}
		}
	}
	visit(r.byUser[user])
	for _, grp := range groups {
		visit(r.byGroup[grp])
	}
}

// derived are the authorizer checks an event implies besides its own
// request: escalate on role writes, bind on binding writes.
func derived(e *audit.Event, req scanner.Request) []scanner.Request {
	if !req.ResourceRequest || req.APIGroup != rbacv1.GroupName || req.Subresource != "" {
		return nil
	}
	switch req.Verb {
	case "create", "update", "patch":
	default:
		return nil
	}
	switch req.Resource {
	case "roles", "clusterroles":
		esc := req
		esc.Verb = "escalate"
		return []scanner.Request{esc}
	case "rolebindings", "clusterrolebindings":
		ref, ok := roleRefOf(e)
		if !ok {
			return nil
		}
		b := scanner.Request{Verb: "bind", ResourceRequest: true, APIGroup: rbacv1.GroupName,
			Name: ref.Name, Namespace: req.Namespace}
		switch ref.Kind {
		case scanner.KindRole:
			b.Resource = "roles"
		case scanner.KindClusterRole:
			b.Resource = "clusterroles"
		default:
			return nil
		}
		return []scanner.Request{b}
	}
	return nil
}

// roleRefOf reads roleRef from a binding write's request (or response)
// object; only RequestResponse/Request level events have it.
func roleRefOf(e *audit.Event) (rbacv1.RoleRef, bool) {
	for _, raw := range []json.RawMessage{e.RequestObject, e.ResponseObject} {
		if len(raw) == 0 {
			continue
		}
		var obj struct {
			RoleRef rbacv1.RoleRef `json:"roleRef"`
		}
		if json.Unmarshal(raw, &obj) == nil && obj.RoleRef.Name != "" {
			return obj.RoleRef, true
		}
	}
	return rbacv1.RoleRef{}, false
}

// impersonationChecks are the checks the impersonation filter made, as the
// requestor: users/<name> (or serviceaccounts/<name> in the SA's
// namespace) and groups/<group> per requested group. system:authenticated
// and a ServiceAccount's own groups are added by the server, not asked for.
func impersonationChecks(u *audit.User) []scanner.Request {
	check := func(res, name, ns string) scanner.Request {
		return scanner.Request{Verb: "impersonate", ResourceRequest: true, Resource: res, Name: name, Namespace: ns}
	}
	var out []scanner.Request
	if ns, name, ok := strings.Cut(strings.TrimPrefix(u.Name, "system:serviceaccount:"), ":"); ok && strings.HasPrefix(u.Name, "system:serviceaccount:") {
		out = append(out, check("serviceaccounts", name, ns))
	} else {
		out = append(out, check("users", u.Name, ""))
	}
	for _, grp := range u.Groups {
		if !strings.HasPrefix(grp, "system:") {
			out = append(out, check("groups", grp, ""))
		}
	}
	if u.UID != "" {
		out = append(out, check("uids", u.UID, ""))
	}
	return out
}

// authorizedByRBAC tells whether RBAC (not the Node authorizer or the
// system:masters short-circuit) allowed the event.
func authorizedByRBAC(e *audit.Event, groups []string) bool {
	if !e.Allowed() {
		return false
	}
	if e.Annotated {
		return strings.HasPrefix(e.Reason, "RBAC:")
	}
	// No annotations (old logs): everything but system:masters went through
	// RBAC or the Node authorizer; kubelets hold no RBAC grant worth
	// attributing, so both are excluded.
	return !slices.Contains(groups, "system:masters") && !slices.Contains(groups, "system:nodes")
}

// observe credits one request to the tracked findings it exercises.
//
// When the reason annotation names the RBAC binding that allowed the
// request, only that binding's grants to the subject it names are
// credited: the apiserver said which one it used, and other bindings that
// would also have allowed it were not exercised. This also attributes
// requests whose groups the log does not record (GKE) through the group
// the reason names. Without a reason (old logs), every finding whose
// subject covers the identity and whose grant allows the request is
// credited. The checks the apiserver makes without logging a reason
// (impersonation, escalate on role writes, bind on binding writes) are
// always matched by identity.
func (r *replayer) observe(e *audit.Event, res *ReplayResult) {
	clear(r.seenTracked)
	if e.Impersonated != nil && !impersonationDenied(e) && !slices.Contains(e.User.Groups, "system:masters") {
		r.hitMatching(e, e.User.Name, e.User.Groups, impersonationChecks(e.Impersonated))
	}
	if res.usage != nil {
		// Every check RBAC allowed, the implied bind and escalate
		// checks and the impersonation checks included; denied requests
		// yield none.
		if checks := RBACChecks(e); len(checks) > 0 {
			shape := eventShape(e)
			for _, c := range checks {
				res.usage.record(c.User, c.Groups, &c.Request, shape)
			}
		}
	}
	user, groups := e.Actor()
	if !authorizedByRBAC(e, groups) {
		return
	}
	req := e.Attrs
	if reason, ok := r.crossCheck(e, &req, res); ok {
		k := reasonKey{binding: reason.Binding, subject: reason.Subject}
		for _, t := range r.byReason[k] {
			if r.exercisedVia(t, k, &req) {
				r.hit(t, e)
			}
		}
	} else {
		r.hitMatching(e, user, groups, []scanner.Request{req})
	}
	if d := derived(e, req); len(d) > 0 {
		r.hitMatching(e, user, groups, d)
	}
}

// exercisedVia reports whether the request, allowed through binding and
// subject k, exercises t: a grant of t through k allows it and t's rule
// counts it. A binding-level finding (no grants) is exercised by any
// request its binding allowed.
func (r *replayer) exercisedVia(t *tracked, k reasonKey, req *scanner.Request) bool {
	if len(t.finding.Grants) == 0 {
		return true
	}
	if !r.counts(t, req) {
		return false
	}
	found := false
	for i, g := range t.finding.Grants {
		if g.Binding == k.binding && g.Subject.Ref == k.subject && g.Allows(req) {
			found = true
			if i < len(t.grantUsed) {
				t.grantUsed[i] = true
			}
		}
	}
	return found
}

// impersonationDenied: the apiserver answers a refused impersonation with a
// 403 before authorizing the request, so the event has no annotations.
func impersonationDenied(e *audit.Event) bool {
	return e.Code == 403 && !e.Annotated
}

// matches: a grant of the finding allows the request and the finding's
// rule counts it. Every grant that allows it is credited.
func (r *replayer) matches(t *tracked, req *scanner.Request) bool {
	if !r.counts(t, req) {
		return false
	}
	allowed := false
	for i, g := range t.finding.Grants {
		if g.Allows(req) {
			allowed = true
			t.grantUsed[i] = true
		}
	}
	return allowed
}

// counts reports whether the finding's rule counts the request as use
// (its ExercisedBy patterns; every request when it has none).
func (r *replayer) counts(t *tracked, req *scanner.Request) bool {
	if len(t.patterns) == 0 {
		return true
	}
	for i := range t.patterns {
		if scanner.RuleAllows(&t.patterns[i], req) {
			return true
		}
	}
	return false
}

func (r *replayer) hit(t *tracked, e *audit.Event) {
	if r.seenTracked[t] {
		return // one request counts once
	}
	r.seenTracked[t] = true
	when := e.Time
	t.count++
	if t.first.IsZero() || when.Before(t.first) {
		t.first = when
	}
	if when.After(t.last) {
		t.last = when
	}
	if len(t.evidence) < r.opts.EvidenceCap {
		t.evidence = append(t.evidence, evidence(e))
	}
}

// crossCheck parses the reason annotation and compares the binding it
// names with the model: some grant of that binding must allow the request,
// or the model is not the one the log was written against.
func (r *replayer) crossCheck(e *audit.Event, req *scanner.Request, res *ReplayResult) (audit.Reason, bool) {
	if e.RBAC == nil {
		return audit.Reason{}, false
	}
	reason := *e.RBAC
	res.Attributed++
	if len(r.bindingGrants) == 0 {
		// Audit-only mode: no RBAC was scanned, nothing to disagree with.
		return reason, true
	}
	for _, gr := range r.bindingGrants[reason.Binding] {
		if gr.Allows(req) {
			return reason, true
		}
	}
	res.Mismatches++
	r.mismatches++
	if r.mismatches <= r.opts.MaxMismatches {
		r.diags = append(r.diags, scanner.Diagnostic{
			Severity: scanner.DiagWarning,
			Message: fmt.Sprintf("%s: the apiserver allowed %s by %s, but no rule of that binding in the scanned RBAC allows it (RBAC changed, or manifests are incomplete)",
				e.Source, describeRequest(req), reason.Binding),
			Location: e.Source,
		})
	}
	return reason, true
}

func describeRequest(req *scanner.Request) string {
	if !req.ResourceRequest {
		return req.Verb + " " + req.Path
	}
	res := req.Resource
	if req.Subresource != "" {
		res += "/" + req.Subresource
	}
	if req.APIGroup != "" {
		res += "." + req.APIGroup
	}
	return req.Verb + " " + res
}

// finish writes the usage onto the findings: every static finding gets
// exercised true or false.
func (r *replayer) finish() {
	for _, t := range r.all {
		f := t.finding
		used := t.count > 0
		f.Exercised = &used
		f.ExerciseCount = t.count
		for i := range f.GrantRefs {
			if i < len(t.grantUsed) {
				u := t.grantUsed[i]
				f.GrantRefs[i].Exercised = &u
			}
		}
		if used {
			f.FirstSeen = t.first.UTC().Format(time.RFC3339Nano)
			f.LastSeen = t.last.UTC().Format(time.RFC3339Nano)
			sort.SliceStable(t.evidence, func(i, j int) bool { return t.evidence[i].Time < t.evidence[j].Time })
			f.Evidence = t.evidence
		}
	}
}
