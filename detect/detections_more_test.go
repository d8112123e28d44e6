package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
)

// detectionCase is one table case: the events, the rule, how many
// findings it must produce and what the first one must say.
type detectionCase struct {
	name   string
	opts   DetectOptions
	events []*audit.Event
	rule   string
	want   int
	msg    string // substring of the first finding's message
	sev    reports.Severity
}

func checkDetectionCases(t *testing.T, cases []detectionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.opts, tc.events)[tc.rule]
			if len(got) != tc.want {
				t.Fatalf("%s fired %d times, want %d: %+v", tc.rule, len(got), tc.want, got)
			}
			if tc.want == 0 {
				return
			}
			f := got[0]
			if tc.msg != "" && !strings.Contains(f.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", f.Message, tc.msg)
			}
			if tc.sev != "" && f.Severity != tc.sev {
				t.Errorf("severity = %s, want %s", f.Severity, tc.sev)
			}
			if f.Kind != reports.KindDetection || f.RuleID != tc.rule || f.Key == "" || f.Actor == nil || f.ExerciseCount == 0 || len(f.Evidence) == 0 {
				t.Errorf("incomplete finding: %+v", f)
			}
			for _, fs := range got {
				for _, e := range fs.Evidence {
					if strings.Contains(e.Resource, "?") {
						t.Errorf("evidence keeps a query string: %q", e.Resource)
					}
				}
			}
		})
	}
}

const (
	nodeUser = "system:node:node-1"
	appSA    = "system:serviceaccount:apps:web"
	kubectl  = "kubectl/v1.34.0 (linux/amd64) kubernetes/abc1234"
	clientGo = "web/v1.2.0 (linux/amd64) kubernetes/abc1234"
)

func TestSecretAccessDetections(t *testing.T) {
	secret := func(user, verb, ns, name string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name = user, verb, "secrets", ns, name
		if o.ua == "" {
			o.ua = clientGo
		}
		return ev(o)
	}
	checkDetectionCases(t, []detectionCase{
		// KGD04
		{name: "D04 node reads a secret", events: []*audit.Event{secret(nodeUser, "get", "apps", "db", evo{})},
			rule: "KGD04", want: 1, sev: reports.Medium, msg: "node system:node:node-1 read Secrets in namespace apps (get: 1 request, 1 allowed, 0 denied): apps/db"},
		{name: "D04 node denied is high", events: []*audit.Event{secret(nodeUser, "get", "kube-system", "admin", evo{dec: "forbid"})},
			rule: "KGD04", want: 1, sev: reports.High},
		{name: "D04 node lists cluster-wide", events: []*audit.Event{secret(nodeUser, "list", "", "", evo{})}, rule: "KGD04", want: 1, msg: "in all namespaces (list"},
		{name: "D04 node watch is the kubelet's own reflector", events: []*audit.Event{secret(nodeUser, "watch", "apps", "", evo{})}, rule: "KGD04", want: 0},
		{name: "D04 SA denied", events: []*audit.Event{secret(appSA, "get", "kube-system", "admin", evo{dec: "forbid"})},
			rule: "KGD04", want: 1, msg: "ServiceAccount system:serviceaccount:apps:web read Secrets in namespace kube-system"},
		{name: "D04 SA allowed is tuned out", events: []*audit.Event{secret(appSA, "get", "apps", "db", evo{})}, rule: "KGD04", want: 0},
		{name: "D04 user denied is not this rule", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{dec: "forbid"})}, rule: "KGD04", want: 0},
		{name: "D04 node creating a secret is not a read", events: []*audit.Event{secret(nodeUser, "create", "kube-system", "bootstrap-token-x", evo{})}, rule: "KGD04", want: 0},
		{name: "D04 allow-listed reader", opts: DetectOptions{SecretReaderAllow: Users("system:node:*")},
			events: []*audit.Event{secret(nodeUser, "get", "apps", "db", evo{})}, rule: "KGD04", want: 0},
		{name: "D04 impersonating a node counts as the node", events: []*audit.Event{secret("mallory", "get", "apps", "db", evo{imp: &audit.RawUser{Username: nodeUser}})},
			rule: "KGD04", want: 1, msg: "node mallory (as system:node:node-1)"},
		{name: "D04 reads grouped per identity and namespace", events: []*audit.Event{
			secret(nodeUser, "get", "apps", "a", evo{}), secret(nodeUser, "get", "apps", "b", evo{at: time.Minute}), secret(nodeUser, "get", "db", "c", evo{at: 2 * time.Minute}),
		}, rule: "KGD04", want: 2, msg: "(get: 2 requests, 2 allowed, 0 denied): apps/a, apps/b"},

		// KGD05
		{name: "D05 curl reads a secret", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: "curl/8.5.0"})},
			rule: "KGD05", want: 1, sev: reports.High, msg: "alice accessed Secrets with curl/8.5.0 (1 request, 1 allowed, 0 denied): get apps/db"},
		{name: "D05 denied python is medium", events: []*audit.Event{secret("alice", "list", "", "", evo{ua: "python-requests/2.31.0", dec: "forbid"})},
			rule: "KGD05", want: 1, sev: reports.Medium, msg: "list all namespaces"},
		{name: "D05 Go-http-client", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: "Go-http-client/2.0"})}, rule: "KGD05", want: 1},
		{name: "D05 Kali anywhere in the agent", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: "Mozilla/5.0 (X11; Kali Linux x86_64)"})}, rule: "KGD05", want: 1},
		{name: "D05 kubectl does not fire", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: kubectl})}, rule: "KGD05", want: 0},
		{name: "D05 controller does not fire", events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: clientGo})}, rule: "KGD05", want: 0},
		{name: "D05 curl creating a secret is not a read", events: []*audit.Event{secret("alice", "create", "apps", "db", evo{ua: "curl/8.5.0"})}, rule: "KGD05", want: 0},
		{name: "D05 curl on configmaps", events: []*audit.Event{ev(evo{user: "alice", verb: "get", res: "configmaps", ns: "apps", name: "c", ua: "curl/8.5.0"})}, rule: "KGD05", want: 0},
		{name: "D05 custom agents", opts: DetectOptions{ScriptingAgents: []string{"MyTool/*"}},
			events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: "mytool/1.0"}), secret("bob", "get", "apps", "db", evo{ua: "curl/8.5.0"})},
			rule:   "KGD05", want: 1, msg: "alice accessed"},
		{name: "D05 empty agent list", opts: DetectOptions{ScriptingAgents: []string{}}, events: []*audit.Event{secret("alice", "get", "apps", "db", evo{ua: "curl/8.5.0"})}, rule: "KGD05", want: 0},
		{name: "D05 allow-listed reader", events: []*audit.Event{secret("system:serviceaccount:flux-system:source-controller", "get", "apps", "db", evo{ua: "Go-http-client/2.0"})}, rule: "KGD05", want: 0},
	})
}

func TestControlPlaneDetections(t *testing.T) {
	kubeSystemPod := func(user, sa string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns = user, "create", "pods", "kube-system"
		o.req = `{"kind":"Pod","metadata":{"name":"p1"},"spec":{"serviceAccountName":"` + sa + `","containers":[{"name":"c","image":"alpine"}]}}`
		return ev(o)
	}
	review := func(user, res, ua string) *audit.Event {
		return ev(evo{user: user, verb: "create", group: "authorization.k8s.io", res: res, ua: ua})
	}
	csr := func(user, verb, sub string, o evo) *audit.Event {
		o.user, o.verb, o.group, o.res, o.sub, o.name = user, verb, "certificates.k8s.io", "certificatesigningrequests", sub, "c1"
		return ev(o)
	}
	webhook := func(user, verb, res string) *audit.Event {
		return ev(evo{user: user, verb: verb, group: "admissionregistration.k8s.io", res: res, name: "w1"})
	}
	cm := func(user, verb, ns, name string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name = user, verb, "configmaps", ns, name
		return ev(o)
	}
	svc := func(user, verb, typ string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name = user, verb, "services", "apps", "web"
		if typ != "" {
			o.req = `{"kind":"Service","metadata":{"name":"web"},"spec":{"type":"` + typ + `","ports":[{"port":80}]}}`
		}
		return ev(o)
	}
	checkDetectionCases(t, []detectionCase{
		// KGD16
		{name: "D16 user runs a pod as a controller SA", events: []*audit.Event{kubeSystemPod("mallory", "clusterrole-aggregation-controller", evo{})},
			rule: "KGD16", want: 1, sev: reports.High, msg: "mallory created 1 pod in kube-system running as controller ServiceAccount clusterrole-aggregation-controller: kube-system/p1"},
		{name: "D16 deprecated serviceAccount field", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", res: "pods", ns: "kube-system",
			req: `{"spec":{"serviceAccount":"replicaset-controller"}}`})}, rule: "KGD16", want: 1},
		{name: "D16 replicaset controller creates it", events: []*audit.Event{kubeSystemPod("system:serviceaccount:kube-system:replicaset-controller", "ebs-csi-controller-sa", evo{})}, rule: "KGD16", want: 0},
		{name: "D16 kubelet mirror pod", events: []*audit.Event{kubeSystemPod(nodeUser, "kube-controller", evo{})}, rule: "KGD16", want: 0},
		{name: "D16 ordinary SA", events: []*audit.Event{kubeSystemPod("mallory", "coredns", evo{})}, rule: "KGD16", want: 0},
		{name: "D16 other namespace", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", res: "pods", ns: "apps", req: `{"spec":{"serviceAccountName":"replicaset-controller"}}`})}, rule: "KGD16", want: 0},
		{name: "D16 denied", events: []*audit.Event{kubeSystemPod("mallory", "replicaset-controller", evo{dec: "forbid"})}, rule: "KGD16", want: 0},
		{name: "D16 metadata level (no body)", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", res: "pods", ns: "kube-system"})}, rule: "KGD16", want: 0},
		{name: "D16 custom controller names", opts: DetectOptions{ControllerServiceAccounts: []string{"admin-*"}},
			events: []*audit.Event{kubeSystemPod("mallory", "admin-bot", evo{}), kubeSystemPod("mallory", "replicaset-controller", evo{})}, rule: "KGD16", want: 1, msg: "admin-bot"},

		// KGD18
		{name: "D18 SA lists its rules with kubectl", events: []*audit.Event{review(appSA, "selfsubjectrulesreviews", kubectl)},
			rule: "KGD18", want: 1, sev: reports.High, msg: "system:serviceaccount:apps:web reviewed its own permissions with kubectl/v1.34.0"},
		{name: "D18 node with curl", events: []*audit.Event{review(nodeUser, "selfsubjectaccessreviews", "curl/8.5.0")}, rule: "KGD18", want: 1, sev: reports.High},
		{name: "D18 no user agent", events: []*audit.Event{review(appSA, "selfsubjectaccessreviews", "")}, rule: "KGD18", want: 1, msg: "(no user agent)"},
		{name: "D18 unknown tool is medium", events: []*audit.Event{review(appSA, "selfsubjectaccessreviews", "peirates")}, rule: "KGD18", want: 1, sev: reports.Medium},
		{name: "D18 client-go controller", events: []*audit.Event{review(appSA, "selfsubjectaccessreviews", clientGo)}, rule: "KGD18", want: 0},
		{name: "D18 user with kubectl", events: []*audit.Event{review("alice", "selfsubjectrulesreviews", kubectl)}, rule: "KGD18", want: 0},
		{name: "D18 subjectaccessreviews is not a self review", events: []*audit.Event{review(appSA, "subjectaccessreviews", kubectl)}, rule: "KGD18", want: 0},
		{name: "D18 allow-listed agent", opts: DetectOptions{SelfReviewAgentAllow: []string{"argocd-*"}},
			events: []*audit.Event{review(appSA, "selfsubjectaccessreviews", "argocd-application-controller/v2.9")}, rule: "KGD18", want: 0},

		// KGD19
		{name: "D19 user creates a CSR", events: []*audit.Event{csr("alice", "create", "", evo{name: "c1", req: `{"spec":{"signerName":"kubernetes.io/kube-apiserver-client","request":"LS0tLS1CRUdJTi..."}}`})},
			rule: "KGD19", want: 1, sev: reports.High, msg: "alice created 1 CertificateSigningRequest: c1 (signer kubernetes.io/kube-apiserver-client)"},
		{name: "D19 user approves a CSR", events: []*audit.Event{csr("alice", "update", "approval", evo{})}, rule: "KGD19", want: 1, sev: reports.Critical, msg: "alice approved"},
		{name: "D19 kubelet bootstrap", events: []*audit.Event{csr("system:bootstrap:abcdef", "create", "", evo{}), csr(nodeUser, "create", "", evo{})}, rule: "KGD19", want: 0},
		{name: "D19 controller manager approves", events: []*audit.Event{csr("system:serviceaccount:kube-system:certificate-controller", "update", "approval", evo{})}, rule: "KGD19", want: 0},
		{name: "D19 status update is not approval", events: []*audit.Event{csr("alice", "update", "status", evo{})}, rule: "KGD19", want: 0},
		{name: "D19 denied", events: []*audit.Event{csr("alice", "create", "", evo{dec: "forbid"})}, rule: "KGD19", want: 0},
		{name: "D19 read", events: []*audit.Event{csr("alice", "get", "", evo{})}, rule: "KGD19", want: 0},

		// KGD20
		{name: "D20 user creates a mutating webhook", events: []*audit.Event{webhook("mallory", "create", "mutatingwebhookconfigurations")},
			rule: "KGD20", want: 1, msg: "mallory created MutatingWebhookConfiguration w1 (1 request)"},
		{name: "D20 user deletes a validating webhook", events: []*audit.Event{webhook("mallory", "delete", "validatingwebhookconfigurations")}, rule: "KGD20", want: 1, msg: "deleted ValidatingWebhookConfiguration"},
		{name: "D20 admission policy binding", events: []*audit.Event{webhook("mallory", "patch", "validatingadmissionpolicybindings")}, rule: "KGD20", want: 1},
		{name: "D20 cert-manager cainjector", events: []*audit.Event{webhook("system:serviceaccount:cert-manager:cert-manager-cainjector", "patch", "validatingwebhookconfigurations")}, rule: "KGD20", want: 0},
		{name: "D20 kyverno", events: []*audit.Event{webhook("system:serviceaccount:kyverno:kyverno-admission-controller", "update", "mutatingwebhookconfigurations")}, rule: "KGD20", want: 0},
		{name: "D20 gatekeeper", events: []*audit.Event{webhook("system:serviceaccount:gatekeeper-system:gatekeeper-admin", "update", "validatingwebhookconfigurations")}, rule: "KGD20", want: 0},
		{name: "D20 empty allow-list flags cert-manager", opts: DetectOptions{WebhookWriterAllow: AllowList{}},
			events: []*audit.Event{webhook("system:serviceaccount:cert-manager:cert-manager-cainjector", "patch", "validatingwebhookconfigurations")}, rule: "KGD20", want: 1},
		{name: "D20 list", events: []*audit.Event{webhook("mallory", "list", "mutatingwebhookconfigurations")}, rule: "KGD20", want: 0},
		{name: "D20 denied", events: []*audit.Event{ev(evo{user: "mallory", verb: "create", group: "admissionregistration.k8s.io", res: "mutatingwebhookconfigurations", dec: "forbid"})}, rule: "KGD20", want: 0},

		// KGD21
		{name: "D21 coredns patched", events: []*audit.Event{cm("alice", "patch", "kube-system", "coredns", evo{})},
			rule: "KGD21", want: 1, sev: reports.High, msg: "alice patched ConfigMap kube-system/coredns (1 request)"},
		{name: "D21 aws-auth updated is critical", events: []*audit.Event{cm("alice", "update", "kube-system", "aws-auth", evo{})}, rule: "KGD21", want: 1, sev: reports.Critical},
		{name: "D21 aws-auth created (name from body)", events: []*audit.Event{cm("alice", "create", "kube-system", "", evo{req: `{"metadata":{"name":"aws-auth"}}`})}, rule: "KGD21", want: 1, msg: "created ConfigMap kube-system/aws-auth"},
		{name: "D21 EKS control plane", events: []*audit.Event{cm("eks:addon-manager", "patch", "kube-system", "coredns", evo{})}, rule: "KGD21", want: 0},
		{name: "D21 coredns in another namespace", events: []*audit.Event{cm("alice", "patch", "apps", "coredns", evo{})}, rule: "KGD21", want: 0},
		{name: "D21 other kube-system configmap", events: []*audit.Event{cm("alice", "patch", "kube-system", "kube-proxy", evo{})}, rule: "KGD21", want: 0},
		{name: "D21 read", events: []*audit.Event{cm("alice", "get", "kube-system", "aws-auth", evo{})}, rule: "KGD21", want: 0},
		{name: "D21 denied", events: []*audit.Event{cm("alice", "patch", "kube-system", "aws-auth", evo{dec: "forbid"})}, rule: "KGD21", want: 0},
		{name: "D21 custom names", opts: DetectOptions{SensitiveConfigMaps: []string{"kube-system/kube-proxy"}},
			events: []*audit.Event{cm("alice", "patch", "kube-system", "kube-proxy", evo{}), cm("alice", "patch", "kube-system", "coredns", evo{})}, rule: "KGD21", want: 1, msg: "kube-proxy"},

		// KGD25
		{name: "D25 NodePort service created", events: []*audit.Event{svc("alice", "create", "NodePort", evo{})},
			rule: "KGD25", want: 1, msg: "alice created Service apps/web of type NodePort (1 request)"},
		{name: "D25 patched to LoadBalancer", events: []*audit.Event{svc("alice", "patch", "LoadBalancer", evo{})}, rule: "KGD25", want: 1, msg: "patched Service apps/web of type LoadBalancer"},
		{name: "D25 ClusterIP", events: []*audit.Event{svc("alice", "create", "ClusterIP", evo{})}, rule: "KGD25", want: 0},
		{name: "D25 patch without type", events: []*audit.Event{svc("alice", "patch", "", evo{req: `{"metadata":{"labels":{"a":"b"}}}`})}, rule: "KGD25", want: 0},
		{name: "D25 patch of an exposed service leaving the type alone", events: []*audit.Event{svc("alice", "patch", "", evo{req: `{"spec":{"ports":[{"port":81}]}}`, resp: `{"spec":{"type":"NodePort"}}`})}, rule: "KGD25", want: 0},
		{name: "D25 denied", events: []*audit.Event{svc("alice", "create", "NodePort", evo{dec: "forbid"})}, rule: "KGD25", want: 0},
		{name: "D25 services/status is not the service", events: []*audit.Event{svc("alice", "patch", "NodePort", evo{sub: "status"})}, rule: "KGD25", want: 0},
		{name: "D25 allow-listed caller", opts: DetectOptions{ServiceExposeAllow: Users("system:serviceaccount:ingress-nginx:*")},
			events: []*audit.Event{svc("system:serviceaccount:ingress-nginx:ingress-nginx", "create", "LoadBalancer", evo{})}, rule: "KGD25", want: 0},
	})
}

func TestSequenceDetections(t *testing.T) {
	binding := func(user string, at time.Duration) *audit.Event {
		return ev(evo{user: user, verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "b1", at: at})
	}
	deploy := func(user string, at time.Duration, o evo) *audit.Event {
		o.user, o.verb, o.group, o.res, o.ns, o.at = user, "create", "apps", "deployments", "apps", at
		if o.name == "" {
			o.name = "d1"
		}
		return ev(o)
	}
	denied := func(user, ip, path string, at time.Duration, ua string) *audit.Event {
		return ev(evo{user: user, verb: "get", ip: ip, uri: path + "?limit=500", ua: ua, dec: "forbid", code: 403, at: at})
	}
	enumeration := func(user string, n int, step time.Duration) []*audit.Event {
		var es []*audit.Event
		for i := 0; i < n; i++ {
			es = append(es, denied(user, "198.51.100.9", fmt.Sprintf("/api/v1/namespaces/ns%d/secrets", i), time.Duration(i)*step, kubectl))
		}
		return es
	}
	checkDetectionCases(t, []detectionCase{
		// KGD15
		{name: "D15 binding then deployment", events: []*audit.Event{binding("mallory", 0), deploy("mallory", 90*time.Second, evo{})},
			rule: "KGD15", want: 1, sev: reports.High, msg: "mallory changed RBAC (create ClusterRoleBinding b1) then workloads (create deployments apps/d1) within 5m0s (first gap 1m30s)"},
		{name: "D15 evidence holds both events", events: []*audit.Event{binding("mallory", 0), deploy("mallory", time.Minute, evo{}), deploy("mallory", 2*time.Minute, evo{name: "d2"})},
			rule: "KGD15", want: 1, msg: "create deployments apps/d1, create deployments apps/d2"},
		{name: "D15 a system:masters admin applying a bundle cannot escalate", events: []*audit.Event{
			ev(evo{user: "kubernetes-admin", groups: []string{"system:masters", "system:authenticated"}, verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "b1", reason: " "}),
			ev(evo{user: "kubernetes-admin", groups: []string{"system:masters", "system:authenticated"}, verb: "create", group: "apps", res: "deployments", ns: "apps", name: "d1", at: time.Minute}),
		}, rule: "KGD15", want: 0},
		{name: "D15 allowed outside RBAC (no reason, groups not logged)", events: []*audit.Event{
			ev(evo{user: "admin@example.com", verb: "create", group: rbacGroup, res: "clusterrolebindings", name: "b1", ann: map[string]string{audit.AnnotationReason: ""}}),
			ev(evo{user: "admin@example.com", verb: "create", group: "apps", res: "deployments", ns: "apps", name: "d1", at: time.Minute, ann: map[string]string{audit.AnnotationReason: ""}}),
		}, rule: "KGD15", want: 0},
		{name: "D15 a failed workload create", events: []*audit.Event{binding("mallory", 0), deploy("mallory", time.Minute, evo{code: 422})}, rule: "KGD15", want: 0},
		{name: "D15 too late", events: []*audit.Event{binding("mallory", 0), deploy("mallory", 6*time.Minute, evo{})}, rule: "KGD15", want: 0},
		{name: "D15 wrong order", events: []*audit.Event{deploy("mallory", 0, evo{}), binding("mallory", time.Minute)}, rule: "KGD15", want: 0},
		{name: "D15 different users", events: []*audit.Event{binding("mallory", 0), deploy("alice", time.Minute, evo{})}, rule: "KGD15", want: 0},
		{name: "D15 denied workload", events: []*audit.Event{binding("mallory", 0), deploy("mallory", time.Minute, evo{dec: "forbid"})}, rule: "KGD15", want: 0},
		{name: "D15 RBAC read then workload", events: []*audit.Event{ev(evo{user: "mallory", verb: "get", group: rbacGroup, res: "clusterrolebindings", name: "b1"}), deploy("mallory", time.Minute, evo{})}, rule: "KGD15", want: 0},
		{name: "D15 pod created", events: []*audit.Event{binding("mallory", 0), ev(evo{user: "mallory", verb: "create", res: "pods", ns: "apps", name: "p", at: time.Minute})}, rule: "KGD15", want: 1},
		{name: "D15 control plane", events: []*audit.Event{binding("system:serviceaccount:kube-system:x", 0), deploy("system:serviceaccount:kube-system:x", time.Minute, evo{})}, rule: "KGD15", want: 0},
		{name: "D15 window option", opts: DetectOptions{SequenceWindow: 10 * time.Minute}, events: []*audit.Event{binding("mallory", 0), deploy("mallory", 6*time.Minute, evo{})}, rule: "KGD15", want: 1},

		// KGD24 enumeration
		{name: "D24 ten distinct denied paths", events: enumeration("mallory", 10, 5*time.Second),
			rule: "KGD24", want: 1, msg: "mallory from 198.51.100.9 was refused at least 10 distinct paths within 45s (10 requests)"},
		{name: "D24 nine paths are not enough", events: enumeration("mallory", 9, 5*time.Second), rule: "KGD24", want: 0},
		{name: "D24 spread beyond the window", events: enumeration("mallory", 10, time.Minute), rule: "KGD24", want: 0},
		{name: "D24 same path repeated", events: func() []*audit.Event {
			var es []*audit.Event
			for i := 0; i < 20; i++ {
				es = append(es, denied("mallory", "198.51.100.9", "/api/v1/secrets", time.Duration(i)*time.Second, kubectl))
			}
			return es
		}(), rule: "KGD24", want: 0},
		{name: "D24 threshold option", opts: DetectOptions{ForbiddenBurstThreshold: 3}, events: enumeration("mallory", 3, time.Second), rule: "KGD24", want: 1},
		{name: "D24 allow-listed caller", opts: DetectOptions{ForbiddenAllow: Users("mallory")}, events: enumeration("mallory", 10, time.Second), rule: "KGD24", want: 0},
		{name: "D24 allowed requests are no enumeration", events: func() []*audit.Event {
			var es []*audit.Event
			for i := 0; i < 12; i++ {
				es = append(es, ev(evo{user: "alice", verb: "get", uri: fmt.Sprintf("/api/v1/namespaces/n%d/pods", i), ua: kubectl, at: time.Duration(i) * time.Second}))
			}
			return es
		}(), rule: "KGD24", want: 0},

		// KGD24 user agents
		{name: "D24 new agent refused", events: []*audit.Event{
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl}),
			denied("alice", "198.51.100.9", "/api/v1/secrets", 90*time.Minute, "kubescan/0.1"),
			denied("alice", "198.51.100.9", "/api/v1/secrets", 91*time.Minute, "kubescan/0.1"),
		}, rule: "KGD24", want: 1, sev: reports.Medium, msg: `new user agent "kubescan/0.1" (first seen 1h30m0s after the log start) was refused 2 requests by alice (get /api/v1/secrets)`},
		{name: "D24 refused agent inside the baseline", events: []*audit.Event{
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl}),
			denied("alice", "198.51.100.9", "/api/v1/secrets", time.Minute, "kubescan/0.1"),
		}, rule: "KGD24", want: 0},
		{name: "D24 baseline option", opts: DetectOptions{UserAgentBaseline: time.Minute}, events: []*audit.Event{
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl}),
			denied("alice", "198.51.100.9", "/api/v1/secrets", time.Minute, "kubescan/0.1"),
		}, rule: "KGD24", want: 1},
		{name: "D24 new agent refused then allowed", events: []*audit.Event{
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl}),
			denied("alice", "198.51.100.9", "/api/v1/secrets", 2*time.Hour, "kubescan/0.1"),
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: "kubescan/0.1", at: 2*time.Hour + time.Minute}),
		}, rule: "KGD24", want: 1, sev: reports.High, msg: "first seen 2h0m0s after the log start) was refused 1 request by alice (get /api/v1/secrets), then allowed 1 request"},
		{name: "D24 agent known from the baseline", events: []*audit.Event{
			denied("alice", "198.51.100.9", "/api/v1/secrets", 0, kubectl),
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl, at: time.Minute}),
		}, rule: "KGD24", want: 0},
		{name: "D24 agent first allowed, later refused", events: []*audit.Event{
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: kubectl}),
			ev(evo{user: "alice", verb: "get", uri: "/api/v1/pods", ua: "tool/1", at: 2 * time.Hour}),
			denied("alice", "198.51.100.9", "/api/v1/secrets", 2*time.Hour+time.Minute, "tool/1"),
		}, rule: "KGD24", want: 0},
	})
}

// TestSequenceKeyLimit checks that KGD15 and KGD24 keep bounded state and
// say so when they drop keys.
func TestSequenceKeyLimit(t *testing.T) {
	o := DetectOptions{MaxKeys: 2}.withDefaults()
	for _, d := range []Detector{newRBACThenWorkloadDetector(o), newForbiddenDetector(o)} {
		for i := 0; i < 5; i++ {
			user := fmt.Sprintf("u%d", i)
			d.Observe(ev(evo{user: user, verb: "create", group: rbacGroup, res: "roles", ns: "a", name: "r"}))
			d.Observe(ev(evo{user: user, verb: "get", uri: "/x", ua: user, dec: "forbid"}))
		}
		diags := d.(DiagnosticReporter).Diagnostics()
		if len(diags) != 1 || !strings.Contains(diags[0].Message, "not tracked") {
			t.Errorf("%s: diagnostics = %+v, want one key-limit warning", d.Rule().ID, diags)
		}
	}
}
