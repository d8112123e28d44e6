package detect

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/detect/runtime"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Credential access (ATT&CK TA0006), continued: the runtime half of
// "ServiceAccount token read, then an API request from the pod". These two
// detections join runtime events (DetectOptions.Runtime: Falco or Tetragon,
// package runtime) with the audit log; without runtime events they see
// nothing.

var ruleTokenReadThenUsed = reports.Rule{
	ID:       "KGD31",
	Slug:     "sa-token-read-then-used",
	Title:    "ServiceAccount token read by an interactive process, then used",
	Severity: reports.High,
	Description: "An interactive process (a shell opened with kubectl exec or attach) read the pod's ServiceAccount token or CA " +
		"(/var/run/secrets/kubernetes.io/serviceaccount/token, ca.crt), and within the window (60 s) the API server received " +
		"requests authenticated with that pod's token. Applications read their token too, but not from a terminal: this is " +
		"someone in the pod using its identity by hand. The finding links the exec or attach that opened the session.",
	Remediation: "Find who opened the exec or attach session and why; revoke the pod's token by deleting the pod, review what the requests did, and remove pods/exec and pods/attach from identities that do not need a shell. Set automountServiceAccountToken: false where the pod does not call the API.",
	Tags:        []string{"security", "credential-access", "MITRE ATT&CK T1528", "MITRE ATT&CK T1609"},
	Catalogue:   []string{"D06", "U57", "U20"},
	References:  []string{"Elastic: Kubernetes Service Account Token Access Followed by API Request (execution_d4c_k8s_mda_service_account_token_access_followed_by_api_request)"},
}

var ruleTokenForeignIP = reports.Rule{
	ID:       "KGD32",
	Slug:     "pod-token-used-off-pod",
	Title:    "Pod-bound token used from an address that is not the pod's",
	Severity: reports.High,
	Description: "A request authenticated with a token bound to a pod (user.extra authentication.kubernetes.io/pod-name) came " +
		"from a source IP other than that pod's IP, as the runtime events report it. A bound token leaves its pod only when " +
		"someone copies it: it is being replayed from another machine.",
	Remediation: "Delete the pod to invalidate its bound token, find how the token left it (exec sessions, logs, volumes), and review what the requests did.",
	Tags:        []string{"security", "credential-access", "lateral-movement", "MITRE ATT&CK T1528", "MITRE ATT&CK T1550.001"},
	Catalogue:   []string{"D06", "U57"},
	References:  []string{"Elastic: Kubernetes Service Account Token Access Followed by API Request", "kubegrant: bound token binding (KEP-4193)"},
}

func init() {
	register(
		Detection{Rule: ruleTokenReadThenUsed, Resources: nil, New: newTokenReadThenUsedDetector, UserExtra: true, Runtime: true},
		Detection{Rule: ruleTokenForeignIP, Resources: nil, New: newTokenForeignIPDetector, UserExtra: true, Runtime: true},
	)
}

// podKey is "namespace/pod".
func podKey(ns, pod string) string { return ns + "/" + pod }

// tokenPod is the pod a request's bound token was issued for, or "".
func tokenPod(e *audit.Event) string {
	u := &e.User
	ns, ok := saNamespace(u.Name)
	if !ok || u.PodName == "" {
		return ""
	}
	return podKey(ns, u.PodName)
}

// execSession is an allowed exec or attach into a pod.
type execSession struct {
	t        time.Time
	who      string
	kind     string // exec or attach
	command  string
	evidence reports.Evidence
}

type tokenReadThenUsed struct {
	o      DetectOptions
	window time.Duration
	reads  map[string][]runtime.Event // by pod, interactive token reads, by time
	execs  map[string][]execSession
	keys   *keyed
	hits   map[string]runtime.Event // aggregate key → the read it follows
}

func newTokenReadThenUsedDetector(o DetectOptions) Detector {
	d := &tokenReadThenUsed{o: o, window: o.TokenReadWindow, reads: map[string][]runtime.Event{},
		execs: map[string][]execSession{}, keys: newKeyed(o.MaxKeys), hits: map[string]runtime.Event{}}
	for _, ev := range o.Runtime {
		if ev.Interactive && ev.ReadsToken() {
			k := podKey(ev.Namespace, ev.Pod)
			d.reads[k] = append(d.reads[k], ev)
		}
	}
	return d
}

func (d *tokenReadThenUsed) Rule() reports.Rule { return ruleTokenReadThenUsed }

func (d *tokenReadThenUsed) Observe(e *audit.Event) {
	if len(d.reads) == 0 {
		return
	}
	r := e.Object
	if r.Resource == "pods" && (r.Subresource == "exec" || r.Subresource == "attach") && r.Group == "" && e.Allowed() {
		k := podKey(r.Namespace, r.Name)
		if _, ok := d.reads[k]; ok && len(d.execs[k]) < d.o.MaxKeys {
			d.execs[k] = append(d.execs[k], execSession{t: e.Time, who: e.Who(), kind: r.Subresource, command: execCommand(e.RequestURI), evidence: evidence(e)})
		}
		return
	}
	k := tokenPod(e)
	if k == "" {
		return
	}
	for _, rd := range d.reads[k] {
		if e.Time.Before(rd.Time) || e.Time.Sub(rd.Time) > d.window {
			continue
		}
		key := k + "\x00" + rd.Time.UTC().Format(time.RFC3339Nano)
		a := d.keys.get(key)
		if a == nil {
			return
		}
		d.hits[key] = rd
		a.add(e, d.o.EvidenceCap)
		a.attr("calls").add(e.Verb + " " + e.Resource())
		return // the latest read before the request is enough
	}
}

func (d *tokenReadThenUsed) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		rd := d.hits[a.key]
		k := podKey(rd.Namespace, rd.Pod)
		msg := fmt.Sprintf("%s read the ServiceAccount %s of pod %s interactively at %s (%s %s); %s with the pod's token followed within %s: %s",
			rd.Program, path.Base(rd.File), k, rfc3339(rd.Time), rd.Format, rd.Source, plural(a.count, "request"), d.window, a.attr("calls"))
		f := a.finding(ruleTokenReadThenUsed, msg)
		// The session the read came from: the latest exec or attach into
		// the pod that started before the read.
		var s *execSession
		for i := range d.execs[k] {
			x := &d.execs[k][i]
			if !x.t.After(rd.Time) && (s == nil || x.t.After(s.t)) {
				s = x
			}
		}
		if s != nil {
			f.Message += fmt.Sprintf("; the read came from the %s session %s opened at %s", s.kind, s.who, rfc3339(s.t))
			if s.command != "" {
				f.Message += fmt.Sprintf(" (command %q)", s.command)
			}
			f.Evidence = append([]reports.Evidence{s.evidence}, f.Evidence...)
		} else {
			f.Message += "; no exec or attach into the pod is in the audit log"
		}
		out = append(out, f)
	}
	return out
}

func (d *tokenReadThenUsed) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleTokenReadThenUsed, d.keys.dropped, d.keys.max)
}

// newTokenForeignIPDetector reports requests with a pod's bound token from
// an IP that is not the pod's, when runtime events tell the pod's IP.
func newTokenForeignIPDetector(o DetectOptions) Detector {
	podIPs := map[string][]string{}
	for _, ev := range o.Runtime {
		if ev.PodIP == "" {
			continue
		}
		k := podKey(ev.Namespace, ev.Pod)
		if !slices.Contains(podIPs[k], ev.PodIP) {
			podIPs[k] = append(podIPs[k], ev.PodIP)
		}
	}
	return newPerKey(o, ruleTokenForeignIP, func(e *audit.Event) (hit, bool) {
		k := tokenPod(e)
		ips := podIPs[k]
		if k == "" || len(ips) == 0 || len(e.SourceIPs) == 0 {
			return hit{}, false
		}
		// The apiserver sees the last address; proxies add the first.
		from := e.SourceIPs[len(e.SourceIPs)-1]
		if slices.Contains(ips, from) || slices.Contains(ips, e.ClientIP()) {
			return hit{}, false
		}
		return hit{key: k + "\x00" + from, attrs: map[string]string{"pod": k, "from": from, "podIP": strings.Join(ips, ", "), "calls": e.Verb + " " + e.Resource()}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("the bound token of pod %s (IP %s) was used from %s: %s: %s", a.attr("pod"), a.attr("podIP"), a.attr("from"), plural(a.count, "request"), a.attr("calls"))
	})
}
