package detect

import (
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
)

// TestFalcoDerivedDetections covers KGD27–KGD30 (the Falco audit rules
// kubegrant lacked) beyond Falco's traces: the cases that must not fire.
func TestFalcoDerivedDetections(t *testing.T) {
	const rbac = "rbac.authorization.k8s.io"
	cm := func(verb, body string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name, o.req = "alice", verb, "configmaps", "apps", "cfg", body
		if o.code == 0 {
			o.code = 201
		}
		return ev(o)
	}
	creds := `{"kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"db.conf":"user=app\npassword=hunter2","DB_PASSWORD":"x"}}`
	pod := func(ns, image string, o evo) *audit.Event {
		o.verb, o.res, o.ns, o.name = "create", "pods", ns, "p"
		if o.user == "" {
			o.user = "alice"
		}
		if o.code == 0 {
			o.code = 201
		}
		o.req = `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"` + image + `"}]}}`
		return ev(o)
	}
	sa := func(ns, name string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name = "alice", "create", "serviceaccounts", ns, name
		if o.code == 0 {
			o.code = 201
		}
		return ev(o)
	}
	role := func(verb, name string, o evo) *audit.Event {
		if o.user == "" {
			o.user = "alice"
		}
		o.verb, o.res, o.group, o.name = verb, "clusterroles", rbac, name
		if o.code == 0 {
			o.code = 200
		}
		return ev(o)
	}
	rules := func(verbs, resources string) string {
		return `{"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":[` + resources + `],"verbs":[` + verbs + `]}]}`
	}
	checkDetectionCases(t, []detectionCase{
		// KGD27
		{name: "credentials in a key and a value", events: []*audit.Event{cm("create", creds, evo{})}, rule: "KGD27", want: 1, sev: reports.Medium,
			msg: `alice created ConfigMap apps/cfg with credentials in key "DB_PASSWORD", key "db.conf" (password in its value)`},
		{name: "merge patch", events: []*audit.Event{cm("patch", `{"data":{"aws_access_key_id":"AKIA"}}`, evo{code: 200})}, rule: "KGD27", want: 1,
			msg: `key "aws_access_key_id"`},
		{name: "JSON patch", events: []*audit.Event{cm("patch", `[{"op":"add","path":"/data/pass~1phrase","value":"x"},{"op":"add","path":"/data/passphrase","value":"y"}]`, evo{code: 200})},
			rule: "KGD27", want: 1, msg: `key "passphrase"`},
		{name: "no credential", events: []*audit.Event{cm("create", `{"data":{"ui.properties":"color=blue"}}`, evo{})}, rule: "KGD27", want: 0},
		{name: "refused", events: []*audit.Event{cm("create", creds, evo{dec: "forbid", code: 403})}, rule: "KGD27", want: 0},
		{name: "failed", events: []*audit.Event{cm("create", creds, evo{code: 500})}, rule: "KGD27", want: 0},
		{name: "allowed caller", opts: DetectOptions{ConfigMapCredentialAllow: Users("alice")}, events: []*audit.Event{cm("create", creds, evo{})}, rule: "KGD27", want: 0},
		{name: "read", events: []*audit.Event{cm("get", creds, evo{code: 200})}, rule: "KGD27", want: 0},

		// KGD28
		{name: "pod in kube-system", events: []*audit.Event{pod("kube-system", "nginx:1.27", evo{})}, rule: "KGD28", want: 1, sev: reports.Medium,
			msg: "alice created in a kube namespace: pod kube-system/p (image nginx:1.27)"},
		{name: "platform image", events: []*audit.Event{pod("kube-system", "registry.k8s.io/kube-proxy:v1.34.1", evo{user: "system:serviceaccount:kube-system:daemon-set-controller"})}, rule: "KGD28", want: 0},
		{name: "platform image by digest", events: []*audit.Event{pod("kube-system", "registry.k8s.io/coredns/coredns@sha256:abc", evo{})}, rule: "KGD28", want: 0},
		{name: "configured image", opts: DetectOptions{KubeNamespaceImageAllow: []string{"quay.io/cilium/*"}},
			events: []*audit.Event{pod("kube-system", "quay.io/cilium/cilium:v1.16", evo{})}, rule: "KGD28", want: 0},
		{name: "pod elsewhere", events: []*audit.Event{pod("apps", "nginx", evo{})}, rule: "KGD28", want: 0},
		{name: "pod create failed", events: []*audit.Event{pod("kube-system", "nginx", evo{code: 500})}, rule: "KGD28", want: 0},
		{name: "ServiceAccount in kube-public", events: []*audit.Event{sa("kube-public", "backdoor", evo{})}, rule: "KGD28", want: 1,
			msg: "ServiceAccount kube-public/backdoor"},
		{name: "controller ServiceAccount", events: []*audit.Event{sa("kube-system", "replicaset-controller", evo{})}, rule: "KGD28", want: 0},
		{name: "ServiceAccount elsewhere", events: []*audit.Event{sa("apps", "backdoor", evo{})}, rule: "KGD28", want: 0},

		// KGD29
		{name: "system role patched", events: []*audit.Event{role("patch", "system:node", evo{})}, rule: "KGD29", want: 1, sev: reports.High,
			msg: "alice patched ClusterRole system:node (1 request)"},
		{name: "system role deleted", events: []*audit.Event{role("delete", "system:kube-aggregator", evo{})}, rule: "KGD29", want: 1},
		{name: "the apiserver reconciles", events: []*audit.Event{role("update", "system:node", evo{user: "system:apiserver"})}, rule: "KGD29", want: 0},
		{name: "coredns is rewritten by its add-on manager", events: []*audit.Event{role("update", "system:coredns", evo{})}, rule: "KGD29", want: 0},
		{name: "not a system role", events: []*audit.Event{role("patch", "my-role", evo{})}, rule: "KGD29", want: 0},
		{name: "refused", events: []*audit.Event{role("patch", "system:node", evo{dec: "forbid", code: 403})}, rule: "KGD29", want: 0},
		{name: "read", events: []*audit.Event{role("get", "system:node", evo{})}, rule: "KGD29", want: 0},

		// KGD30
		{name: "write verbs", events: []*audit.Event{role("create", "r", evo{req: rules(`"get","delete"`, `"pods"`), code: 201})}, rule: "KGD30", want: 1,
			sev: reports.Low, msg: "alice created ClusterRole r with write verbs delete"},
		{name: "pod exec", events: []*audit.Event{role("create", "r", evo{req: rules(`"get"`, `"pods/exec"`), code: 201})}, rule: "KGD30", want: 1,
			sev: reports.Medium, msg: "with pods/exec"},
		{name: "read-only", events: []*audit.Event{role("create", "r", evo{req: rules(`"get","list"`, `"pods"`), code: 201})}, rule: "KGD30", want: 0},
		{name: "wildcards are KGD14's", events: []*audit.Event{role("create", "r", evo{req: rules(`"*"`, `"pods"`), code: 201})}, rule: "KGD30", want: 0},
		{name: "an update is not a creation", events: []*audit.Event{role("update", "r", evo{req: rules(`"delete"`, `"pods"`)})}, rule: "KGD30", want: 0},
		{name: "the aggregation controller", events: []*audit.Event{role("create", "r", evo{req: rules(`"delete"`, `"pods"`), code: 201,
			user: "system:serviceaccount:kube-system:clusterrole-aggregation-controller"})}, rule: "KGD30", want: 0},
	})

	// The value of a ConfigMap key is never reported.
	for _, f := range run(DetectOptions{}, []*audit.Event{cm("create", creds, evo{})})["KGD27"] {
		if strings.Contains(f.Message, "hunter2") || strings.Contains(f.Message, "user=app") {
			t.Errorf("KGD27 leaks a value: %s", f.Message)
		}
	}
}
