package detect

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Credential access (ATT&CK TA0006): Secrets and ServiceAccount tokens.

func init() {
	register(
		Detection{Rule: ruleTokenRequest, Resources: []string{"serviceaccounts"}, New: newTokenRequestDetector},
		Detection{Rule: ruleSecretBurst, Resources: []string{"secrets"}, New: newSecretBurstDetector},
		Detection{Rule: ruleSecretList, Resources: []string{"secrets"}, New: newSecretListDetector},
		Detection{Rule: ruleSecretNodeOrSA, Resources: []string{"secrets"}, New: newSecretNodeOrSADetector},
		Detection{Rule: ruleSecretScripting, Resources: []string{"secrets"}, New: newSecretScriptingDetector},
		Detection{Rule: rulePodToken, Resources: nil, New: newPodTokenDetector, UserExtra: true},
		Detection{Rule: ruleMintedTokenUse, Resources: nil, New: newMintedTokenUseDetector, UserExtra: true},
	)
}

// allLoopback reports whether every source IP is 127.0.0.0/8 or ::1: a
// request the apiserver made to itself, or a node-local client. One
// loopback entry is not enough: sourceIPs starts with X-Forwarded-For,
// which the client writes.
func allLoopback(ips []string) bool {
	for _, ip := range ips {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Unmap().IsLoopback() {
			return false
		}
	}
	return len(ips) > 0
}

// scopeOf is "namespace NS", or "all namespaces" for a cluster-wide request.
func scopeOf(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return "namespace " + ns
}

func isSecrets(e *audit.Event) bool {
	r := e.Object
	return r.Resource == "secrets" && r.Subresource == "" && r.Group == ""
}

var ruleSecretBurst = reports.Rule{
	ID:       "KGD02",
	Slug:     "rapid-secret-get-burst",
	Title:    "Rapid GET of many distinct Secrets",
	Severity: reports.High,
	Description: "One client (user, source IP and user agent) read several distinct Secrets within a few minutes, allowed or denied. " +
		"Controllers read the Secrets they own through watches; a burst of GETs by name looks like credential harvesting with stolen access.",
	Remediation: "Identify the client from the source IP and user agent; if the reads were not expected, rotate the Secrets that were returned and remove get on secrets from the identity's roles.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1552.007"},
	Catalogue:   []string{"D02", "U08"},
	References:  []string{"Elastic: Kubernetes Rapid Secret Retrieval From Multiple Objects (multiple_secret_retrieval_burst)"},
}

// secretBurst keeps, per (user, source IP, user agent), the Secrets read in
// the last window and turns a window with enough distinct Secrets into a
// burst; overlapping windows extend the same burst.
type secretBurst struct {
	o      DetectOptions
	allow  AllowList
	names  globs
	bursts bursts
}

const maxWindowEntries = 64

func newSecretBurstDetector(o DetectOptions) Detector {
	d := &secretBurst{o: o, allow: o.SecretBurstAllow, names: globs(o.SecretNameAllow)}
	d.bursts = bursts{
		span: o.SecretBurstWindow, threshold: o.SecretBurstThreshold, maxItems: maxWindowEntries,
		keys: newBoundedMap[*burstKey](o.MaxKeys),
		// Every finished burst is kept.
		doneLimit: keyLimit{max: math.MaxInt},
		// Earlier reads of the same Secret in the window count too.
		countRepeats: true,
		add: func(b *aggregate, e *audit.Event, name string) {
			b.add(e, o.EvidenceCap)
			b.attr("names").add(name)
			b.attr("secrets").add(objName(e.Object))
			b.attr("namespaces").add(e.Object.Namespace)
		},
	}
	return d
}

func (d *secretBurst) Rule() reports.Rule { return ruleSecretBurst }

func (d *secretBurst) Observe(e *audit.Event) {
	if e.Verb != "get" || !isSecrets(e) {
		return
	}
	r := e.Object
	if r.Name == "" || d.names.match(r.Name) || allLoopback(e.SourceIPs) || d.allow.allows(e) {
		return
	}
	// Elastic counts distinct Secret names per user, source IP and user
	// agent.
	key := e.Who() + "\x00" + e.ClientIP() + "\x00" + e.UserAgent
	d.bursts.observe(key, r.Name, e, e.Time)
}

func (d *secretBurst) Findings() []reports.Finding {
	all := d.bursts.all()
	sortAggregates(all)
	out := []reports.Finding{}
	for _, b := range all {
		msg := fmt.Sprintf("%s read %d distinct Secrets (%s) in namespaces %s from %s within %s: %s",
			b.user, b.attr("names").len(), outcome(b), b.attr("namespaces").String(), orNone(b.ips.String()),
			b.last.Sub(b.first).Round(time.Second), b.attr("secrets").String())
		f := b.finding(ruleSecretBurst, msg)
		// Each burst of the same client is its own finding.
		f.Key = b.key + "\x00" + rfc3339(b.first)
		out = append(out, f)
	}
	return out
}

func (d *secretBurst) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleSecretBurst, d.bursts.dropped(), d.o.MaxKeys)
}

var ruleSecretList = reports.Rule{
	ID:       "KGD03",
	Slug:     "secret-list-sensitive-scope",
	Title:    "Secrets listed cluster-wide or in kube-system/default",
	Severity: reports.High,
	Description: "A list of Secrets across all namespaces, or in kube-system or default, was allowed from a client that is not the " +
		"node itself. Listing returns every Secret's data at once, including ServiceAccount tokens and cloud credentials of the control plane.",
	Remediation: "Confirm the identity needs to list Secrets there; otherwise remove list and watch on secrets from its cluster-wide and kube-system roles and rotate the Secrets it could read.",
	Tags:        []string{"security", "credential-access", "discovery", "MITRE ATT&CK T1552.007", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D03", "U09"},
	References:  []string{"Elastic: Kubernetes Secrets List Cluster-Wide or in Sensitive Namespaces", "Sigma: Kubernetes Secrets Enumeration (kubernetes_audit_secrets_enumeration)"},
}

func newSecretListDetector(o DetectOptions) Detector {
	allow := o.SecretListAllow
	return newPerKey(o, ruleSecretList, func(e *audit.Event) (hit, bool) {
		if e.Verb != "list" || !isSecrets(e) || !e.Allowed() || allLoopback(e.SourceIPs) || allow.allows(e) {
			return hit{}, false
		}
		ns := e.Object.Namespace
		if ns != "" && ns != "kube-system" && ns != "default" {
			return hit{}, false
		}
		scope := scopeOf(ns)
		return hit{key: e.Who() + "\x00" + scope, attrs: map[string]string{"who": e.Who(), "scope": scope, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s listed Secrets in %s (%s: %s)", a.attr("who"), a.attr("scope"), a.attr("verbs"), plural(a.count, "request"))
	})
}

var ruleSecretNodeOrSA = reports.Rule{
	ID:       "KGD04",
	Slug:     "secret-read-by-node-or-serviceaccount",
	Title:    "Secret read by a node, or denied to a ServiceAccount",
	Severity: reports.Medium,
	Description: "A node identity (system:node:*) read Secrets with get or list, or a ServiceAccount was refused a Secret read. " +
		"Kubelets fetch only the Secrets of their own pods; a node credential reading others, and a workload probing Secrets " +
		"it was never granted, both suggest a stolen credential looking for more. A denied node read is high.",
	Remediation: "Find the node or pod behind the credential; rotate the node's or ServiceAccount's credentials if the reads were not expected, keep the Node authorizer and NodeRestriction admission enabled, and do not grant nodes or workloads get or list on secrets beyond their own.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1552.007"},
	Catalogue:   []string{"D04", "U08", "U09"},
	References:  []string{"Elastic: Kubernetes Secret Read by Node or Pod Service Account (credential_access_kubernetes_secret_read_by_node_or_pod_service_account, PR #6779)"},
}

func newSecretNodeOrSADetector(o DetectOptions) Detector {
	allow := o.SecretReaderAllow
	return newPerKey(o, ruleSecretNodeOrSA, func(e *audit.Event) (hit, bool) {
		if !isVerb(e, "get", "list") || !isSecrets(e) || allow.allows(e) {
			return hit{}, false
		}
		user, _ := e.Actor()
		kind := ""
		var sev reports.Severity
		switch {
		case strings.HasPrefix(user, "system:node:"):
			kind = "node"
			if !e.Allowed() {
				sev = reports.High
			}
		case strings.HasPrefix(user, "system:serviceaccount:"):
			if e.Allowed() {
				return hit{}, false // the tuned rule: ServiceAccounts only when denied
			}
			kind = "ServiceAccount"
		default:
			return hit{}, false
		}
		r := e.Object
		return hit{key: e.Who() + "\x00" + r.Namespace, severity: sev, attrs: map[string]string{
			"who": kind + " " + e.Who(), "scope": scopeOf(r.Namespace), "verbs": e.Verb, "secrets": objName(r),
		}}, true
	}, func(a *aggregate) string {
		msg := fmt.Sprintf("%s read Secrets in %s (%s: %s, %s)", a.attr("who"), a.attr("scope"), a.attr("verbs"), plural(a.count, "request"), outcome(a))
		if s := a.attr("secrets"); s.len() > 0 {
			msg += ": " + s.String()
		}
		return msg
	})
}

var ruleSecretScripting = reports.Rule{
	ID:       "KGD05",
	Slug:     "secret-access-by-scripting-client",
	Title:    "Secrets accessed by a scripting HTTP client",
	Severity: reports.Medium,
	Description: "Secrets were read (get, list or watch) by a client whose user agent is a scripting HTTP library or tool (curl, wget, " +
		"python-requests, urllib, a bare Go-http-client, PowerShell, Kali). Operators and kubectl identify themselves; hand-rolled " +
		"requests for Secrets usually come from someone using a stolen token. It is high when a read was allowed.",
	Remediation: "Identify the client from the identity and source IP; if the access was not expected, rotate the identity's credentials and the Secrets it read, and remove its get, list and watch on secrets.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1552.007"},
	Catalogue:   []string{"D05", "U08"},
	References:  []string{"Elastic: Kubernetes Secret Access via Scripting HTTP Client (credential_access_kubernetes_secret_access_scripting_http_clients)"},
}

// lowerGlobs lowercases patterns matched against lowercased user agents.
func lowerGlobs(ps []string) globs {
	g := make(globs, 0, len(ps))
	for _, p := range ps {
		g = append(g, strings.ToLower(p))
	}
	return g
}

func newSecretScriptingDetector(o DetectOptions) Detector {
	agents := lowerGlobs(o.ScriptingAgents)
	allow := o.SecretReaderAllow
	return newPerKey(o, ruleSecretScripting, func(e *audit.Event) (hit, bool) {
		if !isVerb(e, "get", "list", "watch") || !isSecrets(e) || e.UserAgent == "" || allow.allows(e) {
			return hit{}, false
		}
		if !agents.match(strings.ToLower(e.UserAgent)) {
			return hit{}, false
		}
		var sev reports.Severity
		if e.Allowed() {
			sev = reports.High
		}
		r := e.Object
		target := objName(r)
		if r.Name == "" {
			target = scopeOf(r.Namespace)
		}
		return hit{key: e.Who() + "\x00" + e.UserAgent, severity: sev, attrs: map[string]string{
			"who": e.Who(), "agent": e.UserAgent, "reads": e.Verb + " " + target,
		}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s accessed Secrets with %s (%s, %s): %s", a.attr("who"), a.attr("agent"), plural(a.count, "request"), outcome(a), a.attr("reads"))
	})
}

// isTokenRequest reports whether e is a TokenRequest: create on
// serviceaccounts/token in the core group.
func isTokenRequest(e *audit.Event) bool {
	r := e.Object
	return e.Verb == "create" && r.Resource == "serviceaccounts" && r.Subresource == "token" && r.Group == ""
}

var ruleTokenRequest = reports.Rule{
	ID:       "KGD01",
	Slug:     "tokenrequest-by-non-system-identity",
	Title:    "ServiceAccount token minted by a non-system identity",
	Severity: reports.High,
	Description: "A TokenRequest (create serviceaccounts/token) was made by a caller outside the control plane and managed-platform " +
		"identities. Minting a token for a ServiceAccount lets the caller act as it, with every permission it holds, for the token's lifetime. " +
		"With the RBAC model, a token for a ServiceAccount that is cluster-admin is critical and one for a ServiceAccount that holds nothing " +
		"medium; a refused attempt is reported apart, as medium.",
	Remediation: "Confirm the caller needed a token for this ServiceAccount; if not, remove create on serviceaccounts/token from its roles (or restrict it with resourceNames) and let the minted token expire or delete the ServiceAccount to revoke it.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1528", "MITRE ATT&CK T1550"},
	Catalogue:   []string{"D01", "U11"},
	References:  []string{"Elastic: Kubernetes Service Account Token Requested by Non-System Identity (credential_access_kubernetes_tokenrequest)"},
}

func newTokenRequestDetector(o DetectOptions) Detector {
	allow := o.TokenRequestAllow
	reach := newReach(o.Model)
	return newPerKey(o, ruleTokenRequest, func(e *audit.Event) (hit, bool) {
		if !isTokenRequest(e) || allow.allows(e) {
			return hit{}, false
		}
		r := e.Object
		target := r.Namespace + "/" + r.Name
		h := hit{
			key:   e.Who() + "\x00" + target,
			attrs: map[string]string{"caller": e.Who(), "target": target, "jti": e.IssuedCredentialID},
		}
		switch {
		case e.Decision == audit.Forbid:
			// Elastic's rule has no outcome filter: a refused mint is an
			// attempt, reported apart and lower.
			h.key += "\x00denied"
			h.severity = reports.Medium
			h.attrs["attempt"] = "denied"
		case !e.Allowed():
			return hit{}, false
		default:
			h.severity, h.attrs["reach"] = reach.serviceAccount(r.Namespace, r.Name)
		}
		return h, true
	}, func(a *aggregate) string {
		if a.attr("attempt").len() > 0 {
			return fmt.Sprintf("%s tried to mint a token for ServiceAccount %s via TokenRequest and was refused (%s)",
				a.attr("caller"), a.attr("target"), plural(a.count, "attempt"))
		}
		msg := fmt.Sprintf("%s minted %s for ServiceAccount %s via TokenRequest", a.attr("caller"), plural(a.count, "token"), a.attr("target"))
		if r := a.attr("reach"); r.len() > 0 {
			msg += ", which " + r.String()
		}
		if a.attr("jti").len() > 0 {
			msg += " (credential IDs: " + a.attr("jti").String() + ")"
		}
		return msg
	})
}

var ruleMintedTokenUse = reports.Rule{
	ID:       "KGD26",
	Slug:     "minted-token-used",
	Title:    "Token minted by TokenRequest and then used",
	Severity: reports.High,
	Description: "A ServiceAccount token minted through TokenRequest by a non-system identity was later used against the API. The token's " +
		"credential ID (JTI) links the mint to every request made with it: who minted it, for which ServiceAccount, and what was done with it.",
	Remediation: "Review what the minted token did; if the use was not expected, delete or recreate the ServiceAccount (or its bound object) to revoke the token, and remove the minter's create on serviceaccounts/token.",
	Tags:        []string{"security", "credential-access", "lateral-movement", "MITRE ATT&CK T1528", "MITRE ATT&CK T1550.001"},
	Catalogue:   []string{"D01", "U11"},
	References:  []string{"Elastic: Kubernetes Service Account Token Requested by Non-System Identity", "Kubernetes: authentication.kubernetes.io/credential-id audit user extra (KEP-4193)"},
}

// mint is an open TokenRequest: its JTI can still show up on later requests.
type mint struct {
	jti     string
	at      time.Time
	minter  string
	target  string
	ev      reports.Evidence
	src     scanner.Source
	uses    *aggregate // nil until used
	verbs   strSet
	reason  *audit.Reason
	groups  []string
	agent   string
	mintIPs []string
}

// mintedTokenUse links TokenRequests (issued-credential-id) to the requests
// made with the minted token (user.extra credential-id). Open mints are
// capped by MaxKeys and pruned TokenUseWindow after minting unless used.
type mintedTokenUse struct {
	o     DetectOptions
	allow AllowList
	open  map[string]*mint // bounded by keyLimit
	keyLimit
	used []*mint
	seen int
}

func newMintedTokenUseDetector(o DetectOptions) Detector {
	return &mintedTokenUse{o: o, allow: o.TokenRequestAllow, open: map[string]*mint{}, keyLimit: keyLimit{max: o.MaxKeys}}
}

func (d *mintedTokenUse) Rule() reports.Rule { return ruleMintedTokenUse }

func (d *mintedTokenUse) Observe(e *audit.Event) {
	t := e.Time
	if d.seen++; d.seen%1024 == 0 {
		d.prune(t)
	}
	if isTokenRequest(e) && e.Allowed() && !d.allow.allows(e) {
		jti := e.IssuedCredentialID
		if jti == "" || d.open[jti] != nil {
			return
		}
		if !admit(&d.keyLimit, d.open, func() { d.prune(t) }) {
			return
		}
		r := e.Object
		m := &mint{
			jti: jti, at: t, minter: e.Who(), target: r.Namespace + "/" + r.Name,
			ev: evidence(e), src: e.Source, verbs: strSet{max: 20},
			groups: e.User.Groups, agent: e.UserAgent, mintIPs: e.SourceIPs,
		}
		m.reason = e.RBAC
		d.open[jti] = m
		return
	}
	jti := e.User.CredentialID
	if jti == "" {
		return
	}
	m := d.open[jti]
	if m == nil || (m.uses == nil && !m.at.IsZero() && t.Sub(m.at) > d.o.TokenUseWindow) {
		return
	}
	if m.uses == nil {
		m.uses = newAggregate(jti)
		d.used = append(d.used, m)
	}
	m.uses.add(e, d.o.EvidenceCap-1)
	m.verbs.add(e.Verb + " " + e.Resource())
}

// prune forgets unused mints older than the use window.
func (d *mintedTokenUse) prune(now time.Time) {
	for jti, m := range d.open {
		if m.uses == nil && !m.at.IsZero() && now.Sub(m.at) > d.o.TokenUseWindow {
			delete(d.open, jti)
		}
	}
}

func (d *mintedTokenUse) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, m := range d.used {
		u := m.uses
		a := newAggregate(m.minter + "\x00" + m.jti)
		a.count = u.count + 1
		a.allowed, a.denied = u.allowed+1, u.denied
		a.first, a.last = m.at, u.last
		if a.first.IsZero() || (!u.first.IsZero() && u.first.Before(a.first)) {
			a.first = u.first
		}
		if a.last.Before(m.at) {
			a.last = m.at
		}
		a.src = m.src
		a.user, a.groups = m.minter, m.groups
		for _, ip := range m.mintIPs {
			a.ips.add(ip)
		}
		for _, ip := range u.ips.vals {
			a.ips.add(ip)
		}
		a.agents.add(m.agent)
		a.reason = m.reason
		a.evidence = append([]reports.Evidence{m.ev}, u.evidence...)
		msg := fmt.Sprintf("token %s minted by %s for ServiceAccount %s was used in %s (%s) from %s",
			m.jti, m.minter, m.target, plural(u.count, "request"), outcome(u), orNone(u.ips.String()))
		if u.agents.len() > 0 {
			msg += " with " + u.agents.String()
		}
		msg += ": " + m.verbs.String()
		out = append(out, a.finding(ruleMintedTokenUse, msg))
	}
	return out
}

func (d *mintedTokenUse) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleMintedTokenUse, d.dropped, d.o.MaxKeys)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "no recorded address"
	}
	return s
}

// snapshot keeps an event for later: the event handed to a detector is
// reused by the stream, and bodies are never retained.
func snapshot(e *audit.Event) *audit.Event {
	c := *e
	c.RequestObject, c.ResponseObject = nil, nil
	c.RequestURI = e.Path()
	return &c
}

var rulePodToken = reports.Rule{
	ID:       "KGD06",
	Slug:     "pod-token-interactive-use",
	Title:    "Pod ServiceAccount token used interactively",
	Severity: reports.Medium,
	Description: "A request authenticated with a pod's bound ServiceAccount token (user.extra pod-name) came from an interactive or " +
		"scripted client (kubectl, curl, wget, python-requests, a bare Go-http-client from an unexpected pod) or was part of a " +
		"discovery burst. Workloads use their own client libraries; these clients suggest someone is inside the pod, or took its token.",
	Remediation: "Investigate the pod (exec sessions, image, processes); if the use is not expected, delete the pod to revoke its token, set automountServiceAccountToken: false where the workload does not call the API, and reduce the ServiceAccount's permissions.",
	Tags:        []string{"security", "credential-access", "discovery", "MITRE ATT&CK T1528", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D06", "U57"},
	References:  []string{"Elastic: Kubernetes Service Account Token Access Followed by API Call from Same Pod (execution_d4c_k8s_mda_service_account_token_access)", "Elastic: Kubernetes Direct API Request via Curl or Wget"},
}

// podOf returns the pod ("namespace/pod"), node and ServiceAccount user a
// bound token was issued for, or false when the request did not use one.
func podOf(e *audit.Event) (pod, node, sa string, ok bool) {
	if e.User.PodName == "" {
		return "", "", "", false
	}
	ns, isSA := saNamespace(e.User.Name)
	if !isSA {
		return "", "", "", false
	}
	return ns + "/" + e.User.PodName, e.User.NodeName, e.User.Name, true
}

// discoveryCall names a discovery or enumeration call, or "".
func discoveryCall(e *audit.Event) string {
	r := e.Object
	if r.Resource == "" {
		p, _, _ := strings.Cut(e.RequestURI, "?")
		if p == "/api" || p == "/apis" || p == "/version" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/") || strings.HasPrefix(p, "/openapi/") {
			return "get " + p
		}
		return ""
	}
	if e.Verb == "list" {
		return "list " + r.Group + "/" + r.Resource + " in " + r.Namespace
	}
	if e.Verb == "create" && r.Group == "authorization.k8s.io" && (r.Resource == "selfsubjectaccessreviews" || r.Resource == "selfsubjectrulesreviews") {
		return "create " + r.Resource
	}
	return ""
}

type podToken struct {
	o       DetectOptions
	agents  globs
	goAllow AllowList
	allow   AllowList
	keys    *keyed
	windows boundedMap[*window] // discovery calls per pod
	seen    int
}

func newPodTokenDetector(o DetectOptions) Detector {
	return &podToken{o: o, agents: globs(o.PodClientAgents), goAllow: o.PodGoClientAllow, allow: o.PodTokenAllow,
		keys: newKeyed(o.MaxKeys), windows: newBoundedMap[*window](o.MaxKeys)}
}

func (d *podToken) Rule() reports.Rule { return rulePodToken }

func (d *podToken) Observe(e *audit.Event) {
	pod, node, sa, ok := podOf(e)
	if !ok || d.allow.covers(&e.User, e) {
		return
	}
	t := e.Time
	span := d.o.DiscoveryBurstWindow
	if d.seen++; d.seen%1024 == 0 {
		for k, w := range d.windows.m {
			if w.idle(t, span) {
				delete(d.windows.m, k)
			}
		}
	}
	agent, _, _ := strings.Cut(e.UserAgent, " ")
	if agent != "" && d.agents.match(agent) && !(strings.HasPrefix(agent, "Go-http-client/") && d.goAllow.covers(&e.User, e)) {
		d.record("agent\x00"+pod+"\x00"+agent, e, pod, node, sa, "client "+agent, reports.High)
	}
	call := discoveryCall(e)
	if call == "" {
		return
	}
	w, ok := d.windows.get(pod, nil, newWindow)
	if !ok {
		return
	}
	w.advance(t, span)
	key := "burst\x00" + pod
	if a := d.keys.m[key]; a != nil && t.Sub(a.last) <= span {
		d.record(key, e, pod, node, sa, "discovery burst", "")
		return
	}
	w.add(call, e, t, 4*d.o.DiscoveryBurstThreshold)
	if w.len() < d.o.DiscoveryBurstThreshold {
		return
	}
	for _, it := range w.sorted() {
		d.record(key, it.ev, pod, node, sa, "discovery burst", "")
	}
	clear(w.items)
}

func (d *podToken) record(key string, e *audit.Event, pod, node, sa, why string, sev reports.Severity) {
	a := d.keys.get(key)
	if a == nil {
		return
	}
	a.add(e, d.o.EvidenceCap)
	a.raise(sev)
	a.attr("pod").add(pod)
	a.attr("node").add(node)
	a.attr("sa").add(sa)
	a.attr("why").add(why)
	if c := discoveryCall(e); c != "" {
		a.attr("calls").add(c)
	}
}

func (d *podToken) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		msg := fmt.Sprintf("token of pod %s (ServiceAccount %s", a.attr("pod"), a.attr("sa"))
		if a.attr("node").len() > 0 {
			msg += ", node " + a.attr("node").String()
		}
		msg += fmt.Sprintf(") used by %s: %s (%s)", a.attr("why"), plural(a.count, "request"), outcome(a))
		if a.attr("calls").len() > 0 {
			msg += ": " + a.attr("calls").String()
		}
		out = append(out, a.finding(rulePodToken, msg))
	}
	return out
}

func (d *podToken) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(rulePodToken, d.windows.dropped+d.keys.dropped, d.o.MaxKeys)
}

var ruleConfigMapCredentials = reports.Rule{
	ID:       "KGD27",
	Slug:     "configmap-written-with-credentials",
	Title:    "ConfigMap written with credentials",
	Severity: reports.Medium,
	Description: "A ConfigMap was created or changed with what looks like a credential (an AWS access key id, a password, a " +
		"passphrase) in a key or a value. ConfigMaps are not Secrets: every identity that can read ConfigMaps in the namespace " +
		"(often many, and many controllers) reads the credential, it is not encrypted at rest, and it shows in logs and diffs.",
	Remediation: "Move the credential into a Secret (or an external secret store), rotate it, and restrict who can read ConfigMaps in the namespace.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1552.007"},
	Catalogue:   []string{"U12", "U13"},
	References:  []string{"Falco: Create/Modify Configmap With Private Credentials"},
}

func init() {
	register(Detection{Rule: ruleConfigMapCredentials, Resources: []string{"configmaps"}, New: newConfigMapCredentialsDetector})
}

// configMapBody is a ConfigMap, or a merge patch of one.
type configMapBody struct {
	Data map[string]string `json:"data"`
}

// credentialKeys finds the ConfigMap keys whose name or value holds a
// credential marker, from a create or update body, a merge patch, or a
// JSON patch. It returns key names and the marker, never a value.
func credentialKeys(raw json.RawMessage, markers []string) []string {
	data := map[string]string{}
	var cm configMapBody
	if json.Unmarshal(raw, &cm) == nil {
		data = cm.Data
	} else {
		var ops []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(raw, &ops) != nil {
			return nil
		}
		for _, op := range ops {
			if op.Op != "add" && op.Op != "replace" {
				continue
			}
			switch {
			case op.Path == "/data":
				var m map[string]string
				if json.Unmarshal(op.Value, &m) == nil {
					maps.Copy(data, m)
				}
			case strings.HasPrefix(op.Path, "/data/"):
				var v string
				if json.Unmarshal(op.Value, &v) == nil {
					key := strings.NewReplacer("~1", "/", "~0", "~").Replace(op.Path[len("/data/"):])
					data[key] = v
				}
			}
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(data)) {
		lk, lv := strings.ToLower(k), strings.ToLower(data[k])
		for _, m := range markers {
			m = strings.ToLower(m)
			if strings.Contains(lk, m) {
				out = append(out, fmt.Sprintf("key %q", k))
				break
			}
			if strings.Contains(lv, m) {
				out = append(out, fmt.Sprintf("key %q (%s in its value)", k, m))
				break
			}
		}
	}
	return out
}

func newConfigMapCredentialsDetector(o DetectOptions) Detector {
	allow := o.ConfigMapCredentialAllow
	markers := o.CredentialMarkers
	return newPerKey(o, ruleConfigMapCredentials, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "configmaps" || r.Group != "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch") || !e.Succeeded() || allow.allows(e) || len(e.RequestObject) == 0 {
			return hit{}, false
		}
		keys := credentialKeys(e.RequestObject, markers)
		if len(keys) == 0 {
			return hit{}, false
		}
		cm := r.Namespace + "/" + nameOf(e)
		return hit{key: e.Who() + "\x00" + cm, attrs: map[string]string{"who": e.Who(), "cm": cm, "keys": strings.Join(keys, ", "), "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s ConfigMap %s with credentials in %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()),
			a.attr("cm"), a.attr("keys"), plural(a.count, "request"))
	})
}
