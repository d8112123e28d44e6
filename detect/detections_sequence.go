package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// ---- KGD15 ---------------------------------------------------------------

var ruleRBACThenWorkload = reports.Rule{
	ID:       "KGD15",
	Slug:     "rbac-change-then-workload-change",
	Title:    "RBAC change followed by a workload change by the same identity",
	Severity: reports.High,
	Description: "An identity created or changed a Role, ClusterRole or binding, then within a few minutes created or changed a pod or " +
		"workload. Granting oneself (or a ServiceAccount) new rights and immediately running code with them is the shape of an " +
		"escalation: bind a powerful role, then start a pod that uses it.",
	Remediation: "Review the RBAC change and the workload together: which ServiceAccount the workload runs as and what the change granted it; revert both if unexpected, and separate the right to write RBAC from the right to deploy workloads.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006", "MITRE ATT&CK T1610"},
	Catalogue:   []string{"D15", "U28", "U18"},
	References:  []string{"Elastic: Kubernetes Sensitive RBAC Change Followed by Workload Modification (privilege_escalation_sensitive_rbac_change_followed_by_workload_modification)"},
}

// rbacChange is an identity's latest RBAC write.
type rbacChange struct {
	at       time.Time
	ev       *Event
	what     string
	reported bool
}

// rbacThenWorkload remembers, per identity, its latest RBAC write for one
// window, and reports workload writes by the same identity inside it.
type rbacThenWorkload struct {
	o     DetectOptions
	gate  stageGate
	allow globs
	last  boundedMap[*rbacChange]
	keys  *keyed
	seen  int
}

func newRBACThenWorkloadDetector(o DetectOptions) Detector {
	return &rbacThenWorkload{o: o, allow: globs(o.SequenceAllow), last: newBoundedMap[*rbacChange](o.MaxKeys), keys: newKeyed(o.MaxKeys)}
}

func (d *rbacThenWorkload) Rule() reports.Rule { return ruleRBACThenWorkload }

func (d *rbacThenWorkload) prune(now time.Time) {
	for k, c := range d.last.m {
		if now.Sub(c.at) > d.o.SequenceWindow || c.at.Sub(now) > d.o.SequenceWindow {
			delete(d.last.m, k)
		}
	}
}

func (d *rbacThenWorkload) Observe(e *Event) {
	if !d.gate.pass(e) || !isVerb(e, "create", "update", "patch") || !allowedEvent(e) {
		return
	}
	r := objRef(e)
	isRBAC := r.APIGroup == rbacGroup && r.Subresource == "" && (r.Resource == "roles" || r.Resource == "clusterroles" ||
		r.Resource == "rolebindings" || r.Resource == "clusterrolebindings")
	isWorkload := workloadResources[r.Resource] && r.Subresource == "" && (r.APIGroup == "" || r.APIGroup == "apps" || r.APIGroup == "batch")
	if (!isRBAC && !isWorkload) || callerAllowed(d.allow, e) {
		return
	}
	t := when(e)
	if d.seen++; d.seen%1024 == 0 {
		d.prune(t)
	}
	actor := who(e)
	if isRBAC {
		if _, ok := d.last.m[actor]; !ok && !admit(&d.last.keyLimit, d.last.m, func() { d.prune(t) }) {
			return
		}
		d.last.m[actor] = &rbacChange{at: t, ev: snapshot(e), what: e.Verb + " " + kindOf(r.Resource) + " " + objName(ObjectRef{Namespace: r.Namespace, Name: nameOf(e)})}
		return
	}
	c := d.last.m[actor]
	if c == nil || t.Before(c.at) || t.Sub(c.at) > d.o.SequenceWindow {
		return
	}
	a := d.keys.get(actor)
	if a == nil {
		return
	}
	if !c.reported {
		a.add(c.ev, d.o.EvidenceCap)
		a.attr("rbac").add(c.what)
		c.reported = true
	}
	a.add(e, d.o.EvidenceCap)
	a.attr("who").add(actor)
	a.attr("workloads").add(e.Verb + " " + r.Resource + " " + objName(ObjectRef{Namespace: r.Namespace, Name: nameOf(e)}))
	if gap := t.Sub(c.at).Round(time.Second); a.attr("gap").len() == 0 {
		a.attr("gap").add(gap.String())
	}
}

func (d *rbacThenWorkload) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		msg := fmt.Sprintf("%s changed RBAC (%s) then workloads (%s) within %s (first gap %s)",
			a.attr("who"), a.attr("rbac"), a.attr("workloads"), d.o.SequenceWindow, a.attr("gap"))
		out = append(out, a.finding(ruleRBACThenWorkload, msg))
	}
	return out
}

func (d *rbacThenWorkload) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleRBACThenWorkload, d.last.dropped+d.keys.dropped, d.o.MaxKeys)
}

// ---- KGD24 ---------------------------------------------------------------

var ruleForbidden = reports.Rule{
	ID:       "KGD24",
	Slug:     "forbidden-request-burst",
	Title:    "Burst of forbidden requests, or forbidden requests from a new client",
	Severity: reports.Medium,
	Description: "One user from one source IP was refused many distinct request paths within a few minutes (permission enumeration), " +
		"or a user agent first seen after the log's baseline period made forbidden requests with its first request. Legitimate " +
		"clients know what they may do; trial and error against the API is someone mapping a stolen credential's reach. A new " +
		"client that is refused and then succeeds is high.",
	Remediation: "Identify the client from the user, source IP and user agent; if it is not a known tool, revoke the credential it used and check what its allowed requests did.",
	Tags:        []string{"security", "discovery", "MITRE ATT&CK T1613", "MITRE ATT&CK T1069"},
	Catalogue:   []string{"D24", "U60"},
	References: []string{
		"Elastic: Kubernetes Forbidden Request from Unusual User Agent (execution_forbidden_request_from_unusual_user_agent)",
		"Elastic: Kubernetes Potential Endpoint Permission Enumeration Attempt by User and Source (discovery_endpoint_permission_enumeration_by_user_and_source)",
		"Sigma: Kubernetes Unauthorized or Unauthenticated Access (kubernetes_audit_unauthorized_unauthenticated_actions)",
	},
}

// agentState is what KGD24 knows about one user agent: when it was first
// seen, whether that first request was denied, how many requests were
// allowed, and the denials (only for agents whose first request was one).
// An agent is new when first seen UserAgentBaseline or more after the
// earliest event: a log shorter than the baseline has no new agents.
type agentState struct {
	first       time.Time
	firstDenied bool
	allowed     int
	denials     *aggregate
}

type forbidden struct {
	o      DetectOptions
	gate   stageGate
	allow  globs
	bursts bursts
	agents boundedMap[*agentState]
	start  time.Time
}

func newForbiddenDetector(o DetectOptions) Detector {
	return &forbidden{o: o, allow: globs(o.ForbiddenAllow), agents: newBoundedMap[*agentState](o.MaxKeys), bursts: bursts{
		span: o.ForbiddenBurstWindow, threshold: o.ForbiddenBurstThreshold, maxItems: 4 * o.ForbiddenBurstThreshold,
		keys: newBoundedMap[*burstKey](o.MaxKeys), doneLimit: keyLimit{max: o.MaxKeys},
		prefix: "burst\x00",
		add: func(b *aggregate, e *Event, path string) {
			b.add(e, o.EvidenceCap)
			b.attr("who").add(who(e))
			b.attr("paths").add(path)
		},
	}}
}

func (d *forbidden) Rule() reports.Rule { return ruleForbidden }

func isForbidden(e *Event) bool {
	return decisionOf(e) == "forbid" || (e.ResponseStatus != nil && e.ResponseStatus.Code == 403)
}

// pathOf is the request path without its query.
func pathOf(e *Event) string {
	p, _, _ := strings.Cut(e.RequestURI, "?")
	if p == "" {
		return resourceOf(e)
	}
	return p
}

func (d *forbidden) Observe(e *Event) {
	if !d.gate.pass(e) {
		return
	}
	t := when(e)
	if !t.IsZero() && (d.start.IsZero() || t.Before(d.start)) {
		d.start = t
	}
	denied := isForbidden(e)
	exempt := callerAllowed(d.allow, e)
	d.observeAgent(e, t, denied && !exempt)
	if !denied || exempt {
		return
	}
	d.bursts.observe(who(e)+"\x00"+clientIP(e), pathOf(e), e, t)
}

// observeAgent tracks user agents for the "new client refused" half.
func (d *forbidden) observeAgent(e *Event, t time.Time, denied bool) {
	ua := e.UserAgent
	if ua == "" {
		return
	}
	st, ok := d.agents.get(ua, nil, func() *agentState { return &agentState{first: t, firstDenied: denied} })
	if !ok {
		return
	}
	if allowedEvent(e) {
		st.allowed++
	}
	if !denied || !st.firstDenied {
		return
	}
	if st.denials == nil {
		st.denials = newAggregate("agent\x00" + ua)
	}
	st.denials.add(e, d.o.EvidenceCap)
	st.denials.attr("who").add(who(e))
	st.denials.attr("requests").add(e.Verb + " " + pathOf(e))
}

func (d *forbidden) Findings() []reports.Finding {
	all := d.bursts.all()
	agentOf := map[*aggregate]string{}
	for ua, st := range d.agents.m {
		if st.denials == nil {
			continue
		}
		if st.first.Sub(d.start) < d.o.UserAgentBaseline {
			continue // part of the baseline: not new
		}
		if st.allowed > 0 {
			st.denials.raise(reports.High)
		}
		agentOf[st.denials] = ua
		all = append(all, st.denials)
	}
	sortAggregates(all)
	out := []reports.Finding{}
	for _, a := range all {
		if ua, ok := agentOf[a]; ok {
			st := d.agents.m[ua]
			msg := fmt.Sprintf("new user agent %q (first seen %s after the log start) was refused %s by %s (%s)",
				ua, st.first.Sub(d.start).Round(time.Second), plural(a.denied, "request"), a.attr("who"), a.attr("requests"))
			if st.allowed > 0 {
				msg += ", then allowed " + plural(st.allowed, "request")
			}
			out = append(out, a.finding(ruleForbidden, msg))
			continue
		}
		msg := fmt.Sprintf("%s from %s was refused at least %d distinct paths within %s (%s): %s",
			a.attr("who"), orNone(a.ips.String()), a.attr("paths").len(), a.last.Sub(a.first).Round(time.Second), plural(a.count, "request"), a.attr("paths"))
		f := a.finding(ruleForbidden, msg)
		f.Fingerprint = fingerprint(ruleForbidden.ID, a.key+"\x00"+rfc3339(a.first))
		out = append(out, f)
	}
	return out
}

func (d *forbidden) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleForbidden, d.bursts.dropped()+d.agents.dropped, d.o.MaxKeys)
}
