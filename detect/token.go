package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// isTokenRequest reports whether e is a TokenRequest: create on
// serviceaccounts/token in the core group.
func isTokenRequest(e *Event) bool {
	r := objRef(e)
	return e.Verb == "create" && r.Resource == "serviceaccounts" && r.Subresource == "token" && r.APIGroup == ""
}

// issuedJTI is the credential ID of the token a TokenRequest minted
// ("JTI=<id>"): an identifier, never the token.
func issuedJTI(e *Event) string {
	return e.Annotations[AnnotationIssuedCredential]
}

// usedJTI is the credential ID of the bound token that authenticated e.
func usedJTI(e *Event) string {
	if v := e.User.Extra[ExtraCredentialID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var ruleTokenRequest = reports.Rule{
	ID:       "KGD01",
	Slug:     "tokenrequest-by-non-system-identity",
	Title:    "ServiceAccount token minted by a non-system identity",
	Severity: reports.High,
	Description: "A TokenRequest (create serviceaccounts/token) was allowed for a caller outside the control plane and managed-platform " +
		"identities. Minting a token for a ServiceAccount lets the caller act as it, with every permission it holds, for the token's lifetime.",
	Remediation: "Confirm the caller needed a token for this ServiceAccount; if not, remove create on serviceaccounts/token from its roles (or restrict it with resourceNames) and let the minted token expire or delete the ServiceAccount to revoke it.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1528", "MITRE ATT&CK T1550"},
	Catalogue:   []string{"D01", "U11"},
	References:  []string{"Elastic: Kubernetes Service Account Token Requested by Non-System Identity (credential_access_kubernetes_tokenrequest)"},
}

func newTokenRequestDetector(o DetectOptions) Detector {
	allow := globs(o.TokenRequestAllow)
	return newPerKey(o, ruleTokenRequest, func(e *Event) (hit, bool) {
		if !isTokenRequest(e) || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		r := objRef(e)
		target := r.Namespace + "/" + r.Name
		return hit{
			key:   who(e) + "\x00" + target,
			attrs: map[string]string{"caller": who(e), "target": target, "jti": issuedJTI(e)},
		}, true
	}, func(a *aggregate) string {
		msg := fmt.Sprintf("%s minted %s for ServiceAccount %s via TokenRequest", a.attr("caller"), plural(a.count, "token"), a.attr("target"))
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
	reason  *Reason
	groups  []string
	agent   string
	mintIPs []string
}

// mintedTokenUse links TokenRequests (issued-credential-id) to the requests
// made with the minted token (user.extra credential-id). Open mints are
// capped by MaxKeys and pruned TokenUseWindow after minting unless used.
type mintedTokenUse struct {
	o     DetectOptions
	allow globs
	gate  stageGate
	open  map[string]*mint // bounded by keyLimit
	keyLimit
	used []*mint
	seen int
}

func newMintedTokenUseDetector(o DetectOptions) Detector {
	return &mintedTokenUse{o: o, allow: globs(o.TokenRequestAllow), open: map[string]*mint{}, keyLimit: keyLimit{max: o.MaxKeys}}
}

func (d *mintedTokenUse) Rule() reports.Rule { return ruleMintedTokenUse }

func (d *mintedTokenUse) Observe(e *Event) {
	if !d.gate.pass(e) {
		return
	}
	t := when(e)
	if d.seen++; d.seen%1024 == 0 {
		d.prune(t)
	}
	if isTokenRequest(e) && allowedEvent(e) && !callerAllowed(d.allow, e) {
		jti := issuedJTI(e)
		if jti == "" || d.open[jti] != nil {
			return
		}
		if !admit(&d.keyLimit, d.open, func() { d.prune(t) }) {
			return
		}
		r := objRef(e)
		m := &mint{
			jti: jti, at: t, minter: who(e), target: r.Namespace + "/" + r.Name,
			ev: evidenceOf(e), src: e.Source, verbs: strSet{max: 20},
			groups: e.User.Groups, agent: e.UserAgent, mintIPs: e.SourceIPs,
		}
		if rr, ok := ParseReason(e.Annotations[AnnotationReason]); ok {
			m.reason = &rr
		}
		d.open[jti] = m
		return
	}
	jti := usedJTI(e)
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
	m.verbs.add(e.Verb + " " + resourceOf(e))
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
