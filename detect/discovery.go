package detect

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Discovery (ATT&CK TA0007): permission enumeration.

func init() {
	register(
		Detection{Rule: ruleSelfReview, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, New: newSelfReviewDetector},
		Detection{Rule: ruleForbidden, Resources: nil, New: newForbiddenDetector},
	)
}

var ruleSelfReview = reports.Rule{
	ID:       "KGD18",
	Slug:     "self-subject-review-by-workload",
	Title:    "Self-subject review by a ServiceAccount or node from an unusual client",
	Severity: reports.Medium,
	Description: "A ServiceAccount or node asked the API server what it may do (selfsubjectaccessreviews or selfsubjectrulesreviews) " +
		"from a client that is not a client-go controller: kubectl, curl, a scripting library or an unknown tool. Workloads do not " +
		"enumerate their own permissions; someone holding their token does (kubectl auth can-i --list). It is high from an " +
		"interactive or scripting client.",
	Remediation: "Find the pod or node the credential belongs to and investigate it; if the review was not expected, rotate the credential and reduce its permissions.",
	Tags:        []string{"security", "discovery", "MITRE ATT&CK T1069", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D18", "U60"},
	References:  []string{"Elastic: Kubernetes Suspicious Self-Subject Review (discovery_suspicious_self_subject_review)", "Sigma: RBAC Permission Enumeration Attempt (kubernetes_audit_rbac_permisions_listing)"}, //nolint:misspell // Sigma's rule file name
}

// clientGoAgent matches client-go's default user agent,
// "binary/version (os/arch) kubernetes/commit", which controllers keep.
var clientGoAgent = regexp.MustCompile(`^[A-Za-z0-9._-]+/v?[0-9][^ ]* \([a-z0-9]+/[a-z0-9_]+\) kubernetes/[0-9a-f]+`)

func newSelfReviewDetector(o DetectOptions) Detector {
	interactive := globs(o.PodClientAgents)
	scripting := lowerGlobs(o.ScriptingAgents)
	agentAllow := globs(o.SelfReviewAgentAllow)
	return newPerKey(o, ruleSelfReview, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != "authorization.k8s.io" || (r.Resource != "selfsubjectaccessreviews" && r.Resource != "selfsubjectrulesreviews") || e.Verb != "create" {
			return hit{}, false
		}
		user, _ := e.Actor()
		_, isSA := saNamespace(user)
		if !isSA && !strings.HasPrefix(user, "system:node:") {
			return hit{}, false
		}
		ua := e.UserAgent
		first, _, _ := strings.Cut(ua, " ")
		if ua != "" && agentAllow.match(ua) {
			return hit{}, false
		}
		// kubectl also sends client-go's agent shape: interactive and
		// scripting clients are checked first.
		loud := ua == "" || interactive.match(first) || scripting.match(strings.ToLower(ua))
		if !loud && clientGoAgent.MatchString(ua) {
			return hit{}, false
		}
		var sev reports.Severity
		if loud {
			sev = reports.High
		}
		agent := ua
		if agent == "" {
			agent = "(no user agent)"
		}
		return hit{key: e.Who() + "\x00" + ua, severity: sev, attrs: map[string]string{"who": e.Who(), "agent": agent, "reviews": r.Resource}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s reviewed its own permissions with %s (%s: %s)", a.attr("who"), a.attr("agent"), a.attr("reviews"), plural(a.count, "request"))
	})
}

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
	allow  AllowList
	bursts bursts
	agents boundedMap[*agentState]
	start  time.Time
}

func newForbiddenDetector(o DetectOptions) Detector {
	return &forbidden{o: o, allow: o.ForbiddenAllow, agents: newBoundedMap[*agentState](o.MaxKeys), bursts: bursts{
		span: o.ForbiddenBurstWindow, threshold: o.ForbiddenBurstThreshold, maxItems: 4 * o.ForbiddenBurstThreshold,
		keys: newBoundedMap[*burstKey](o.MaxKeys), doneLimit: keyLimit{max: o.MaxKeys},
		prefix: "burst\x00",
		add: func(b *aggregate, e *audit.Event, path string) {
			b.add(e, o.EvidenceCap)
			b.attr("who").add(e.Who())
			b.attr("paths").add(path)
		},
	}}
}

func (d *forbidden) Rule() reports.Rule { return ruleForbidden }

func isForbidden(e *audit.Event) bool {
	return e.Decision == audit.Forbid || e.Code == 403
}

// pathOf is the request path without its query.
func pathOf(e *audit.Event) string {
	p, _, _ := strings.Cut(e.RequestURI, "?")
	if p == "" {
		return e.Resource()
	}
	return p
}

func (d *forbidden) Observe(e *audit.Event) {
	t := e.Time
	if !t.IsZero() && (d.start.IsZero() || t.Before(d.start)) {
		d.start = t
	}
	denied := isForbidden(e)
	exempt := d.allow.allows(e)
	d.observeAgent(e, t, denied && !exempt)
	if !denied || exempt {
		return
	}
	d.bursts.observe(e.Who()+"\x00"+e.ClientIP(), pathOf(e), e, t)
}

// observeAgent tracks user agents for the "new client refused" half.
func (d *forbidden) observeAgent(e *audit.Event, t time.Time, denied bool) {
	ua := e.UserAgent
	if ua == "" {
		return
	}
	st, ok := d.agents.get(ua, nil, func() *agentState { return &agentState{first: t, firstDenied: denied} })
	if !ok {
		return
	}
	if e.Allowed() {
		st.allowed++
	}
	if !denied || !st.firstDenied {
		return
	}
	if st.denials == nil {
		st.denials = newAggregate("agent\x00" + ua)
	}
	st.denials.add(e, d.o.EvidenceCap)
	st.denials.attr("who").add(e.Who())
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
		f.Key = a.key + "\x00" + rfc3339(a.first)
		out = append(out, f)
	}
	return out
}

func (d *forbidden) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleForbidden, d.bursts.dropped()+d.agents.dropped, d.o.MaxKeys)
}
