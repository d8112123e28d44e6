package detect

import (
	"reflect"
	"time"

	"github.com/kubegrant/kubegrant/detect/runtime"
	"github.com/kubegrant/kubegrant/scanner"
)

// DetectOptions tune the detections. For every list, nil means the
// documented default and an empty non-nil slice means "none". Identity and
// name lists are globs where "*" matches any run of characters; allow-lists
// are AllowLists (a user or group, optionally scoped to a namespace or a
// pod). Zero numbers and durations mean the default. The yaml names are the
// keys of the detections: section of .kubegrant.yaml (see ParseOptions).
type DetectOptions struct {
	// TokenRequestAllow are the callers that may mint ServiceAccount tokens
	// without a KGD01 finding (default DefaultTokenRequestAllow). Mints by
	// them are not tracked by KGD26 either.
	TokenRequestAllow AllowList `yaml:"tokenRequestAllow"`
	// SecretReaderAllow are the identities whose Secret reads never count for
	// KGD04 and KGD05 (default DefaultSecretReaderAllow).
	SecretReaderAllow AllowList `yaml:"secretReaderAllow"`
	// SecretBurstAllow are the callers KGD02 ignores: exactly Elastic's
	// exclusions (DefaultSecretBurstAllow), not whole namespaces.
	SecretBurstAllow AllowList `yaml:"secretBurstAllow"`
	// SecretListAllow are the callers whose Secret lists KGD03 ignores
	// (DefaultSecretListAllow: Elastic's, the namespace controller and
	// kube-state-metrics).
	SecretListAllow AllowList `yaml:"secretListAllow"`
	// SecretNameAllow are Secret names ignored by KGD02 (default
	// "sh.helm.release.*": Helm reads every release Secret).
	SecretNameAllow []string `yaml:"secretNameAllow"`
	// SecretBurstThreshold is how many distinct Secrets make a burst
	// (default 3), within SecretBurstWindow (default 6 minutes).
	SecretBurstThreshold int           `yaml:"secretBurstThreshold"`
	SecretBurstWindow    time.Duration `yaml:"secretBurstWindow"`

	// PodClientAgents are user-agent globs that look interactive when they
	// come with a pod's token (default DefaultPodClientAgents);
	// PodGoClientAllow the pods ("namespace/pod" globs) or ServiceAccounts
	// (user-name globs) expected to use a bare Go-http-client (default none).
	PodClientAgents  []string  `yaml:"podClientAgents"`
	PodGoClientAllow AllowList `yaml:"podGoClientAllow"`
	// PodTokenAllow are pods or ServiceAccounts ignored by KGD06 (default none).
	PodTokenAllow AllowList `yaml:"podTokenAllow"`
	// DiscoveryBurstThreshold distinct discovery or list calls from one pod
	// within DiscoveryBurstWindow make a burst (default 12 in 1 minute).
	DiscoveryBurstThreshold int           `yaml:"discoveryBurstThreshold"`
	DiscoveryBurstWindow    time.Duration `yaml:"discoveryBurstWindow"`

	// ExecAllow are callers whose exec/attach is not reported (default none).
	ExecAllow AllowList `yaml:"execAllow"`
	// PrivilegedIdentities are users and groups KGD11 treats as privileged
	// impersonation targets (default DefaultPrivilegedIdentities);
	// ImpersonationAllow the callers that may impersonate them (default none).
	PrivilegedIdentities []string  `yaml:"privilegedIdentities"`
	ImpersonationAllow   AllowList `yaml:"impersonationAllow"`
	// RBACWriterAllow are ServiceAccounts allowed to write RBAC objects
	// (default DefaultRBACWriterAllow).
	RBACWriterAllow AllowList `yaml:"rbacWriterAllow"`
	// RoleWriterAllow are callers whose wildcard roles are not reported
	// (default DefaultRoleWriterAllow).
	RoleWriterAllow AllowList `yaml:"roleWriterAllow"`
	// ClusterAdminBinderAllow are callers whose bindings to cluster-admin
	// are not reported (default DefaultClusterAdminBinderAllow).
	ClusterAdminBinderAllow AllowList `yaml:"clusterAdminBinderAllow"`
	// PrivilegedPodAllow are the callers whose privileged or host pods
	// KGD17 does not report (DefaultPrivilegedPodAllow: the workload
	// controllers, whose pods come from a workload already checked, and
	// the platform agents in the system namespaces).
	PrivilegedPodAllow AllowList `yaml:"privilegedPodAllow"`
	// PodImageAllow are image globs whose privileged or host pods are not
	// reported (default none).
	PodImageAllow []string `yaml:"podImageAllow"`
	// AnonymousPathAllow are request paths anonymous users may reach
	// (default the health endpoints and /version).
	AnonymousPathAllow []string `yaml:"anonymousPathAllow"`
	// EventDeleteAllow are callers that delete events as part of their job
	// (default DefaultEventDeleteAllow).
	EventDeleteAllow AllowList `yaml:"eventDeleteAllow"`

	// ScriptingAgents are user-agent globs of scripting HTTP clients whose
	// Secret reads KGD05 reports, matched case-insensitively against the
	// whole user agent (default DefaultScriptingAgents).
	ScriptingAgents []string `yaml:"scriptingAgents"`
	// SequenceWindow is how soon after an RBAC change a workload change by
	// the same identity makes a KGD15 sequence (default 5 minutes);
	// SequenceAllow the identities never tracked (default
	// DefaultSequenceAllow).
	SequenceWindow time.Duration `yaml:"sequenceWindow"`
	SequenceAllow  AllowList     `yaml:"sequenceAllow"`
	// ControllerServiceAccounts are ServiceAccount-name globs KGD16 treats
	// as controllers (default "*controller*"); ControllerPodAllow the
	// callers that may create kube-system pods running as them (default
	// DefaultControllerPodAllow).
	ControllerServiceAccounts []string  `yaml:"controllerServiceAccounts"`
	ControllerPodAllow        AllowList `yaml:"controllerPodAllow"`
	// SelfReviewAgentAllow are user-agent globs whose self-subject reviews
	// by ServiceAccounts and nodes KGD18 accepts besides the client-go
	// default agents (default none).
	SelfReviewAgentAllow []string `yaml:"selfReviewAgentAllow"`
	// CSRAllow are callers that create and approve CertificateSigningRequests
	// as part of their job (default DefaultCSRAllow).
	CSRAllow AllowList `yaml:"csrAllow"`
	// WebhookWriterAllow are callers that write admission webhook
	// configurations and policies by design (default
	// DefaultWebhookWriterAllow).
	WebhookWriterAllow AllowList `yaml:"webhookWriterAllow"`
	// SensitiveConfigMaps are "namespace/name" globs of ConfigMaps whose
	// changes KGD21 reports (default DefaultSensitiveConfigMaps);
	// ConfigMapWriterAllow the callers that may change them (default
	// DefaultConfigMapWriterAllow).
	SensitiveConfigMaps  []string  `yaml:"sensitiveConfigMaps"`
	ConfigMapWriterAllow AllowList `yaml:"configMapWriterAllow"`
	// ConfigMapCredentialAllow are callers whose ConfigMaps KGD27 does not
	// check (default none); CredentialMarkers the substrings of a key or a
	// value, matched case-insensitively, that it reports (default
	// DefaultCredentialMarkers, Falco's).
	ConfigMapCredentialAllow AllowList `yaml:"configMapCredentialAllow"`
	CredentialMarkers        []string  `yaml:"credentialMarkers"`
	// KubeNamespaceImageAllow are image repositories (globs, without tag)
	// whose pods KGD28 does not report in kube-system and kube-public
	// (default DefaultKubeNamespaceImageAllow);
	// KubeNamespaceServiceAccountAllow the ServiceAccount names it does
	// not report there (default DefaultKubeNamespaceServiceAccounts).
	KubeNamespaceImageAllow          []string `yaml:"kubeNamespaceImageAllow"`
	KubeNamespaceServiceAccountAllow []string `yaml:"kubeNamespaceServiceAccountAllow"`
	// SystemRoleAllow are system: role names KGD29 does not report
	// (default system:coredns and system:managed-certificate-controller,
	// which add-on managers rewrite).
	SystemRoleAllow []string `yaml:"systemRoleAllow"`
	// ForbiddenBurstThreshold distinct request paths denied to one user and
	// source IP within ForbiddenBurstWindow make a KGD24 enumeration burst
	// (default 10 in 5 minutes). ForbiddenAllow are callers KGD24 ignores
	// (default none).
	ForbiddenBurstThreshold int           `yaml:"forbiddenBurstThreshold"`
	ForbiddenBurstWindow    time.Duration `yaml:"forbiddenBurstWindow"`
	ForbiddenAllow          AllowList     `yaml:"forbiddenAllow"`
	// UserAgentBaseline is the start of the log during which KGD24 learns
	// user agents: a user agent first seen after it, with a denied request,
	// is new (default 1 hour).
	UserAgentBaseline time.Duration `yaml:"userAgentBaseline"`
	// ServiceExposeAllow are callers whose NodePort and LoadBalancer
	// Services KGD25 does not report (default none).
	ServiceExposeAllow AllowList `yaml:"serviceExposeAllow"`

	// TokenUseWindow is how long after minting a token's uses are linked to
	// its mint (default 48 hours, the longest bound-token lifetime kubelet
	// asks for).
	TokenUseWindow time.Duration `yaml:"tokenUseWindow"`
	// MaxKeys bounds the keys (actors, targets, open tokens) one detector
	// tracks (default 10000). Keys beyond it are counted in a diagnostic.
	MaxKeys int `yaml:"maxKeys"`
	// EvidenceCap bounds the evidence per finding (default 10).
	EvidenceCap int `yaml:"evidenceCap"`

	// Runtime are the runtime events (--runtime-events) KGD31 and KGD32
	// join with the audit log; TokenReadWindow is how soon after a token
	// read a request with the pod's token counts (default 60 seconds).
	Runtime         []runtime.Event `yaml:"-"`
	TokenReadWindow time.Duration   `yaml:"tokenReadWindow"`
	// Model is the scanned RBAC, when there is one: detectors use it to
	// rate what a request could reach (set by Replay, never configured).
	Model *scanner.Graph `yaml:"-"`
}

// DefaultTokenRequestAllow are the control-plane and managed-platform
// identities that mint ServiceAccount tokens as part of their job
// (Elastic's TokenRequest rule exclusions).
var DefaultTokenRequestAllow = Users(
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:node:*",
	"system:serviceaccount:kube-system:*",
	"eks:*",
	"aksService",
	"aks-service",
	"masterclient",
	"nodeclient",
	"system:serviceaccount:gke-managed-system:*",
	"system:serviceaccount:gke-connect:*",
	"system:serviceaccount:anthos-identity-service:*",
	"system:gke-controller-manager",
	"system:serviceaccount:tigera-operator:*",
	"system:serviceaccount:calico-system:*",
)

// DefaultSecretBurstAllow are the identities Elastic's rapid Secret GET
// rule excludes, exactly: the control plane, three Flux controllers and
// trivy-operator in the namespace security.
var DefaultSecretBurstAllow = Users(
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:serviceaccount:flux-system:kustomize-controller",
	"system:serviceaccount:flux-system:helm-controller",
	"system:serviceaccount:flux-system:source-controller",
	"system:serviceaccount:security:trivy-operator",
)

// DefaultSecretListAllow are the callers Elastic's Secret list rule
// excludes (users and ServiceAccount groups), plus the namespace
// controller, which lists a namespace's Secrets to delete them, and
// kube-state-metrics, which lists them all for their metadata.
var DefaultSecretListAllow = AllowList{
	{User: "system:kube-controller-manager"},
	{User: "eks:cloud-controller-manager"},
	{User: "eks:kms-storage-migrator"},
	{User: "system:serviceaccount:argocd:argocd-application-controller"},
	{User: "system:serviceaccount:elastic:kube-state-metrics"},
	{User: "system:serviceaccount:cert-manager:cert-manager-cainjector"},
	{Group: "system:serviceaccounts:ibm-csi"},
	{Group: "system:serviceaccounts:argocd"},
	{Group: "system:serviceaccounts:elastic"},
	{User: "system:serviceaccount:kube-system:namespace-controller"},
	{User: "system:serviceaccount:*:kube-state-metrics"},
}

// DefaultPrivilegedPodAllow are the control plane and the platforms'
// agents in the system namespaces, as Elastic and Panther allow them: the
// workload controllers creating the pods of kube-system DaemonSets and
// Deployments (whose own writes KGD17 checks, with the identity of whoever
// made them), the kubelet mirroring static pods, the GKE robot, EKS and
// AKS installing node agents. Elsewhere their pods are reported.
var DefaultPrivilegedPodAllow = AllowList{
	{User: "system:kube-controller-manager", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:daemon-set-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:replicaset-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:deployment-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:statefulset-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:job-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:cronjob-controller", Namespace: "kube-system"},
	{User: "system:serviceaccount:kube-system:*-controller", Namespace: "gke-managed-*"},
	{User: "system:serviceaccount:kube-system:*-controller", Namespace: "gmp-system"},
	{User: "system:node:*", Namespace: "kube-system"},
	{User: "system:addon-manager", Namespace: "kube-system"},
	{User: "*@container-engine-robot.iam.gserviceaccount.com", Namespace: "kube-system"},
	{User: "eks:*", Namespace: "kube-system"},
	{User: "aksService", Namespace: "kube-system"},
}

// DefaultSecretReaderAllow are controllers that read many Secrets by design
// (control plane, Flux, trivy-operator).
var DefaultSecretReaderAllow = Users(
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:apiserver",
	"system:serviceaccount:flux-system:*",
	"system:serviceaccount:trivy-system:trivy-operator",
)

// DefaultPodClientAgents are user agents of interactive or scripted clients.
var DefaultPodClientAgents = []string{
	"kubectl/*", "curl/*", "Wget/*", "wget/*", "python-requests/*", "python-urllib*", "HTTPie/*", "Go-http-client/*",
}

// DefaultPrivilegedIdentities are the users and groups whose impersonation
// amounts to cluster takeover.
var DefaultPrivilegedIdentities = []string{
	"system:masters", "system:admin", "kubernetes-admin", "cluster-admin", "admin",
	"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
	"system:node:*", "system:nodes", "system:serviceaccount:kube-system:*", "eks:*",
}

// DefaultRBACWriterAllow are ServiceAccounts that write RBAC by design.
var DefaultRBACWriterAllow = Users(
	"system:serviceaccount:kube-system:*",
)

// DefaultClusterAdminBinderAllow: the apiserver reconciles the bootstrap
// policy (cluster-admin to system:masters) itself at every start.
var DefaultClusterAdminBinderAllow = Users("system:apiserver")

// DefaultRoleWriterAllow are callers that legitimately write wildcard roles
// (bootstrap policy and the aggregation controller).
var DefaultRoleWriterAllow = Users(
	"system:apiserver",
	"system:serviceaccount:kube-system:clusterrole-aggregation-controller",
)

// DefaultCredentialMarkers are what KGD27 looks for in a ConfigMap (Falco's
// contains_private_credentials).
var DefaultCredentialMarkers = []string{
	"aws_access_key_id", "aws-access-key-id", "aws_s3_access_key_id", "aws-s3-access-key-id", "password", "passphrase",
}

// DefaultKubeNamespaceImageAllow are the platform images that run in
// kube-system (Falco's allowed_kube_namespace_image_list, with the
// registry.k8s.io images of a kubeadm control plane).
var DefaultKubeNamespaceImageAllow = []string{
	"registry.k8s.io/kube-apiserver", "registry.k8s.io/kube-controller-manager", "registry.k8s.io/kube-scheduler",
	"registry.k8s.io/kube-proxy", "registry.k8s.io/etcd", "registry.k8s.io/coredns/coredns", "registry.k8s.io/pause",
	"registry.k8s.io/metrics-server/metrics-server", "registry.k8s.io/dns/k8s-dns-node-cache",
	"registry.k8s.io/ip-masq-agent-amd64", "registry.k8s.io/addon-resizer", "registry.k8s.io/prometheus-to-sd",
	"registry.k8s.io/k8s-dns-dnsmasq-nanny-amd64", "registry.k8s.io/k8s-dns-kube-dns-amd64",
	"registry.k8s.io/k8s-dns-sidecar-amd64", "registry.k8s.io/metrics-server-amd64",
	"gcr.io/google-containers/prometheus-to-sd", "gcr.io/projectcalico-org/node", "gke.gcr.io/*",
	"kope/kube-apiserver-healthcheck",
}

// DefaultKubeNamespaceServiceAccounts are the ServiceAccounts the control
// plane creates in kube-system (Falco's known_sa_list and the
// controller-manager's).
var DefaultKubeNamespaceServiceAccounts = []string{
	"coredns", "coredns-autoscaler", "kube-dns", "kube-proxy", "default", "*-controller", "generic-garbage-collector",
	"horizontal-pod-autoscaler", "persistent-volume-binder", "pod-garbage-collector", "pv-protection-controller",
	"pvc-protection-controller", "root-ca-cert-publisher", "attachdetach-controller", "bootstrap-signer",
	"certificate-controller", "clusterrole-aggregation-controller", "expand-controller", "token-cleaner",
	"legacy-service-account-token-cleaner", "ttl-after-finished-controller", "service-account-controller",
}

// DefaultEventDeleteAllow are controllers that delete events with their
// namespace or owner.
var DefaultEventDeleteAllow = Users(
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:namespace-controller",
	"system:serviceaccount:kube-system:generic-garbage-collector",
)

// DefaultScriptingAgents are scripting HTTP clients and offensive
// distributions (Elastic's scripting-client Secret access rule), as
// lowercase globs over the whole user agent.
var DefaultScriptingAgents = []string{
	"curl/*", "wget/*", "python-requests/*", "python-urllib*", "python-httpx/*", "python/*", "aiohttp/*",
	"go-http-client/*", "httpie/*", "postmanruntime/*", "libwww-perl/*", "axios/*", "node-fetch/*",
	"*powershell*", "*kali*",
}

// DefaultSequenceAllow are control-plane identities whose RBAC and
// workload writes are routine.
var DefaultSequenceAllow = Users(
	"system:apiserver",
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:serviceaccount:kube-system:*",
	"eks:*",
)

// DefaultControllerPodAllow are the callers that create kube-system pods
// running as controller ServiceAccounts: the workload controllers and the
// kubelet (mirror pods).
var DefaultControllerPodAllow = Users(
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*controller*",
	"system:node:*",
)

// DefaultCSRAllow are the identities that create and approve
// CertificateSigningRequests in normal operation: kubelets (and their
// bootstrap tokens), the controller manager and kube-system controllers,
// and the EKS control plane.
var DefaultCSRAllow = Users(
	"system:node:*",
	"system:bootstrap:*",
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*",
	"eks:*",
)

// DefaultWebhookWriterAllow are the operators that install or patch their
// own admission webhooks (cert-manager's CA injector, Gatekeeper, Kyverno,
// Istio, Linkerd) and the control plane.
var DefaultWebhookWriterAllow = Users(
	"system:apiserver",
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*",
	"system:serviceaccount:*:cert-manager*",
	"system:serviceaccount:gatekeeper-system:*",
	"system:serviceaccount:*:kyverno*",
	"system:serviceaccount:istio-system:*",
	"system:serviceaccount:linkerd:*",
	"eks:*",
)

// DefaultSensitiveConfigMaps are the cluster DNS configurations (CoreDNS,
// kube-dns, AKS coredns-custom) and the EKS aws-auth mapping.
var DefaultSensitiveConfigMaps = []string{
	"kube-system/coredns",
	"kube-system/coredns-custom",
	"kube-system/kube-dns",
	"kube-system/aws-auth",
}

// DefaultConfigMapWriterAllow are the managed-platform identities that
// maintain the sensitive ConfigMaps.
var DefaultConfigMapWriterAllow = Users(
	"eks:*",
	"system:addon-manager",
)

// defaults are the documented defaults of the options that have one.
var defaults = DetectOptions{
	TokenRequestAllow:                DefaultTokenRequestAllow,
	SecretReaderAllow:                DefaultSecretReaderAllow,
	SecretBurstAllow:                 DefaultSecretBurstAllow,
	SecretListAllow:                  DefaultSecretListAllow,
	PrivilegedPodAllow:               DefaultPrivilegedPodAllow,
	SecretNameAllow:                  []string{"sh.helm.release.*"},
	PodClientAgents:                  DefaultPodClientAgents,
	PrivilegedIdentities:             DefaultPrivilegedIdentities,
	RBACWriterAllow:                  DefaultRBACWriterAllow,
	RoleWriterAllow:                  DefaultRoleWriterAllow,
	ClusterAdminBinderAllow:          DefaultClusterAdminBinderAllow,
	AnonymousPathAllow:               []string{"/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/version", "/version/"},
	EventDeleteAllow:                 DefaultEventDeleteAllow,
	ScriptingAgents:                  DefaultScriptingAgents,
	SequenceAllow:                    DefaultSequenceAllow,
	ControllerServiceAccounts:        []string{"*controller*"},
	ControllerPodAllow:               DefaultControllerPodAllow,
	CSRAllow:                         DefaultCSRAllow,
	WebhookWriterAllow:               DefaultWebhookWriterAllow,
	SensitiveConfigMaps:              DefaultSensitiveConfigMaps,
	ConfigMapWriterAllow:             DefaultConfigMapWriterAllow,
	CredentialMarkers:                DefaultCredentialMarkers,
	KubeNamespaceImageAllow:          DefaultKubeNamespaceImageAllow,
	KubeNamespaceServiceAccountAllow: DefaultKubeNamespaceServiceAccounts,
	SystemRoleAllow:                  []string{"system:coredns", "system:managed-certificate-controller"},
	SequenceWindow:                   5 * time.Minute,
	ForbiddenBurstThreshold:          10,
	ForbiddenBurstWindow:             5 * time.Minute,
	UserAgentBaseline:                time.Hour,
	SecretBurstThreshold:             3,
	SecretBurstWindow:                6 * time.Minute,
	DiscoveryBurstThreshold:          12,
	DiscoveryBurstWindow:             time.Minute,
	TokenUseWindow:                   48 * time.Hour,
	TokenReadWindow:                  time.Minute,
	MaxKeys:                          10000,
	EvidenceCap:                      10,
}

// withDefaults is o with each nil list and each zero (or negative) number
// or duration replaced by its default.
func (o DetectOptions) withDefaults() DetectOptions {
	v, def := reflect.ValueOf(&o).Elem(), reflect.ValueOf(defaults)
	for i := range v.NumField() {
		f, d := v.Field(i), def.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			if f.IsNil() {
				f.Set(d)
			}
		case reflect.Int, reflect.Int64: // counts and durations
			if f.Int() <= 0 && d.Int() > 0 {
				f.Set(d)
			}
		}
	}
	return o
}
