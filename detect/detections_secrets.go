package detect

import (
	"fmt"
	"net/netip"
	"sort"
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

// burstEntry is one distinct Secret in a client's window.
type burstEntry struct {
	last           time.Time
	n, allow, deny int
	ev             *Event
}

// burstKey is one client's sliding window and its open burst.
type burstKey struct {
	window map[string]*burstEntry
	burst  *aggregate
	last   time.Time
}

// secretBurst keeps, per (user, source IP, user agent), the Secrets read in
// the last window and turns a window with enough distinct Secrets into a
// burst; overlapping windows extend the same burst.
type secretBurst struct {
	o       DetectOptions
	gate    stageGate
	allow   globs
	names   globs
	keys    map[string]*burstKey
	done    []*aggregate
	dropped int
	seen    int
}

const maxWindowEntries = 64

func newSecretBurstDetector(o DetectOptions) Detector {
	return &secretBurst{o: o, allow: globs(o.SecretReaderAllow), names: globs(o.SecretNameAllow), keys: map[string]*burstKey{}}
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
	t := when(e)
	if d.seen++; d.seen%1024 == 0 {
		d.prune(t)
	}
	key := who(e) + "\x00" + clientIP(e) + "\x00" + e.UserAgent
	k := d.keys[key]
	if k == nil {
		if len(d.keys) >= d.o.MaxKeys {
			d.prune(t)
			if len(d.keys) >= d.o.MaxKeys {
				d.dropped++
				return
			}
		}
		k = &burstKey{window: map[string]*burstEntry{}}
		d.keys[key] = k
	}
	win := d.o.SecretBurstWindow
	// Time going backwards by more than a window (a new, older file)
	// starts afresh rather than mixing unrelated periods.
	if !k.last.IsZero() && k.last.Sub(t) > win {
		d.close(k)
	}
	if t.After(k.last) {
		k.last = t
	}
	for name, en := range k.window {
		if t.Sub(en.last) > win {
			delete(k.window, name)
		}
	}
	id := r.Namespace + "/" + r.Name
	en := k.window[id]
	if en == nil {
		if len(k.window) >= maxWindowEntries {
			d.evictOldest(k)
		}
		en = &burstEntry{}
		k.window[id] = en
	}
	en.last, en.ev = t, snapshot(e)
	en.n++
	if allowedEvent(e) {
		en.allow++
	} else {
		en.deny++
	}

	if k.burst != nil && t.Sub(k.burst.last) <= win {
		// Overlapping window: the burst goes on.
		d.addToBurst(k.burst, e, id)
		return
	}
	if k.burst != nil {
		// The burst ended more than a window ago; the window (already
		// pruned) may start the next one.
		d.done = append(d.done, k.burst)
		k.burst = nil
	}
	if len(k.window) < d.o.SecretBurstThreshold {
		return
	}
	// A new burst: it starts with everything in the window.
	b := newAggregate(key)
	ids := make([]string, 0, len(k.window))
	for id := range k.window {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return k.window[ids[i]].last.Before(k.window[ids[j]].last) })
	for _, wid := range ids {
		w := k.window[wid]
		d.addToBurst(b, w.ev, wid)
		// Earlier reads of the same Secret in the window count too.
		b.count += w.n - 1
		b.allowed += w.allow - boolInt(allowedEvent(w.ev))
		b.denied += w.deny - boolInt(!allowedEvent(w.ev))
	}
	k.burst = b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *secretBurst) addToBurst(b *aggregate, e *Event, id string) {
	b.add(e, d.o.EvidenceCap)
	b.attr("secrets").add(id)
	b.attr("namespaces").add(objRef(e).Namespace)
}

func (d *secretBurst) evictOldest(k *burstKey) {
	var oldest string
	for id, en := range k.window {
		if oldest == "" || en.last.Before(k.window[oldest].last) {
			oldest = id
		}
	}
	delete(k.window, oldest)
}

// close moves the key's open burst to the finished ones.
func (d *secretBurst) close(k *burstKey) {
	if k.burst != nil {
		d.done = append(d.done, k.burst)
		k.burst = nil
	}
	clear(k.window)
}

// prune closes and forgets clients idle for longer than a window.
func (d *secretBurst) prune(now time.Time) {
	for key, k := range d.keys {
		if now.Sub(k.last) > d.o.SecretBurstWindow {
			d.close(k)
			delete(d.keys, key)
		}
	}
}

func (d *secretBurst) Findings() []reports.Finding {
	all := append([]*aggregate{}, d.done...)
	for _, k := range d.keys {
		if k.burst != nil {
			all = append(all, k.burst)
		}
	}
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
	return limitDiagnostics(ruleSecretBurst, d.dropped, d.o.MaxKeys)
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
		scope := "all namespaces"
		if ns != "" {
			scope = "namespace " + ns
		}
		return hit{key: who(e) + "\x00" + scope, attrs: map[string]string{"who": who(e), "scope": scope, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s listed Secrets in %s (%s: %s)", a.attr("who"), a.attr("scope"), a.attr("verbs"), plural(a.count, "request"))
	})
}
