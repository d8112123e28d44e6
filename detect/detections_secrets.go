package detect

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// isLoopback reports whether ip is 127.0.0.0/8 or ::1 (requests the
// apiserver makes to itself and node-local clients).
func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().IsLoopback()
}

// scopeOf is "namespace NS", or "all namespaces" for a cluster-wide request.
func scopeOf(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return "namespace " + ns
}

func isSecrets(e *Event) bool {
	r := objRef(e)
	return r.Resource == "secrets" && r.Subresource == "" && r.APIGroup == ""
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
	gate   stageGate
	allow  globs
	names  globs
	bursts bursts
}

const maxWindowEntries = 64

func newSecretBurstDetector(o DetectOptions) Detector {
	d := &secretBurst{o: o, allow: globs(o.SecretReaderAllow), names: globs(o.SecretNameAllow)}
	d.bursts = bursts{
		span: o.SecretBurstWindow, threshold: o.SecretBurstThreshold, maxItems: maxWindowEntries,
		keys: newBoundedMap[*burstKey](o.MaxKeys),
		// Every finished burst is kept.
		doneLimit: keyLimit{max: math.MaxInt},
		// Earlier reads of the same Secret in the window count too.
		countRepeats: true,
		add: func(b *aggregate, e *Event, id string) {
			b.add(e, o.EvidenceCap)
			b.attr("secrets").add(id)
			b.attr("namespaces").add(objRef(e).Namespace)
		},
	}
	return d
}

func (d *secretBurst) Rule() reports.Rule { return ruleSecretBurst }

func (d *secretBurst) Observe(e *Event) {
	if !d.gate.pass(e) || e.Verb != "get" || !isSecrets(e) {
		return
	}
	r := objRef(e)
	if r.Name == "" || d.names.match(r.Name) || isLoopback(clientIP(e)) || callerAllowed(d.allow, e) {
		return
	}
	key := who(e) + "\x00" + clientIP(e) + "\x00" + e.UserAgent
	d.bursts.observe(key, r.Namespace+"/"+r.Name, e, when(e))
}

func (d *secretBurst) Findings() []reports.Finding {
	all := d.bursts.all()
	sortAggregates(all)
	out := []reports.Finding{}
	for _, b := range all {
		msg := fmt.Sprintf("%s read %d distinct Secrets (%s) in namespaces %s from %s within %s: %s",
			b.user, b.attr("secrets").len(), outcome(b), b.attr("namespaces").String(), orNone(b.ips.String()),
			b.last.Sub(b.first).Round(time.Second), b.attr("secrets").String())
		f := b.finding(ruleSecretBurst, msg)
		// Each burst of the same client is its own finding.
		f.Fingerprint = fingerprint(ruleSecretBurst.ID, b.key+"\x00"+rfc3339(b.first))
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
	Description: "A list or watch of Secrets across all namespaces, or in kube-system or default, was allowed. Listing returns every " +
		"Secret's data at once, including ServiceAccount tokens and cloud credentials of the control plane.",
	Remediation: "Confirm the identity needs to list Secrets there; otherwise remove list and watch on secrets from its cluster-wide and kube-system roles and rotate the Secrets it could read.",
	Tags:        []string{"security", "credential-access", "discovery", "MITRE ATT&CK T1552.007", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D03", "U09"},
	References:  []string{"Elastic: Kubernetes Secrets List Cluster-Wide or in Sensitive Namespaces", "Sigma: Kubernetes Secrets Enumeration (kubernetes_audit_secrets_enumeration)"},
}

func newSecretListDetector(o DetectOptions) Detector {
	allow := globs(o.SecretReaderAllow)
	return newPerKey(o, ruleSecretList, func(e *Event) (hit, bool) {
		if !isVerb(e, "list", "watch") || !isSecrets(e) || !allowedEvent(e) || isLoopback(clientIP(e)) || callerAllowed(allow, e) {
			return hit{}, false
		}
		ns := objRef(e).Namespace
		if ns != "" && ns != "kube-system" && ns != "default" {
			return hit{}, false
		}
		scope := scopeOf(ns)
		return hit{key: who(e) + "\x00" + scope, attrs: map[string]string{"who": who(e), "scope": scope, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s listed Secrets in %s (%s: %s)", a.attr("who"), a.attr("scope"), a.attr("verbs"), plural(a.count, "request"))
	})
}
