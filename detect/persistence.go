package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Persistence (ATT&CK TA0003): bindings, RBAC writes, certificates,
// webhooks, cluster configuration and exposed services.

func init() {
	register(
		Detection{Rule: ruleClusterAdminBinding, Resources: []string{"rolebindings", "clusterrolebindings"}, New: newClusterAdminBindingDetector},
		Detection{Rule: ruleRBACWriteBySA, Resources: rbacResources, New: newRBACWriteBySADetector},
		Detection{Rule: ruleCSR, Resources: []string{"certificatesigningrequests"}, New: newCSRDetector},
		Detection{Rule: ruleWebhook, Resources: admissionResourceList, New: newWebhookDetector},
		Detection{Rule: ruleSensitiveConfigMap, Resources: []string{"configmaps"}, New: newSensitiveConfigMapDetector},
		Detection{Rule: ruleExposedService, Resources: []string{"services"}, New: newExposedServiceDetector},
	)
}

var ruleClusterAdminBinding = reports.Rule{
	ID:          "KGD12",
	Slug:        "cluster-admin-binding-created",
	Title:       "Binding to cluster-admin created or changed",
	Severity:    reports.High,
	Description: "A RoleBinding or ClusterRoleBinding whose roleRef is the cluster-admin ClusterRole was created or changed: its subjects now hold every permission (in the namespace, or cluster-wide).",
	Remediation: "Confirm the binding was intended; bind a narrower role instead of cluster-admin and delete the binding if it was not.",
	Tags:        []string{"security", "persistence", "privilege-escalation", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D12", "U03", "U28"},
	References:  []string{"Elastic: Kubernetes Cluster-Admin Role Binding Created (persistence_cluster_admin_rolebinding_created)", "Falco: Attach to cluster-admin Role"},
}

// bindingBody is the part of a binding KGD12 reads.
type bindingBody struct {
	RoleRef  rbacv1.RoleRef   `json:"roleRef"`
	Subjects []rbacv1.Subject `json:"subjects"`
}

func newClusterAdminBindingDetector(o DetectOptions) Detector {
	allow := o.ClusterAdminBinderAllow
	return newPerKey(o, ruleClusterAdminBinding, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if (r.Resource != "clusterrolebindings" && r.Resource != "rolebindings") || r.Group != rbacGroup ||
			!isVerb(e, "create", "update", "patch") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		var b bindingBody
		ok := false
		for _, raw := range []json.RawMessage{e.ResponseObject, e.RequestObject} {
			if len(raw) > 0 && json.Unmarshal(raw, &b) == nil && b.RoleRef.Name != "" {
				ok = true
				break
			}
		}
		if !ok || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != "cluster-admin" {
			return hit{}, false
		}
		binding := kindOf(r.Resource) + " " + objName(r)
		subs := make([]string, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			n := s.Kind + " " + s.Name
			if s.Namespace != "" {
				n = s.Kind + " " + s.Namespace + "/" + s.Name
			}
			subs = append(subs, n)
		}
		return hit{key: e.Who() + "\x00" + binding, attrs: map[string]string{"who": e.Who(), "binding": binding, "subjects": strings.Join(subs, ", "), "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s to cluster-admin for %s", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("binding"), orNone(a.attr("subjects").String()))
	})
}

func pastTense(verbs string) string {
	switch verbs {
	case "create":
		return "created"
	case "update":
		return "updated"
	case "patch":
		return "patched"
	case "delete":
		return "deleted"
	}
	return "wrote (" + verbs + ")"
}

func kindOf(resource string) string {
	switch resource {
	case "clusterrolebindings":
		return "ClusterRoleBinding"
	case "rolebindings":
		return "RoleBinding"
	case "clusterroles":
		return "ClusterRole"
	case "roles":
		return "Role"
	}
	return resource
}

var ruleRBACWriteBySA = reports.Rule{
	ID:       "KGD13",
	Slug:     "serviceaccount-writes-rbac",
	Title:    "ServiceAccount wrote RBAC objects",
	Severity: reports.High,
	Description: "A ServiceAccount created, changed or deleted Roles, ClusterRoles or their bindings. Outside a few operators, workloads " +
		"have no reason to write RBAC; a stolen ServiceAccount token doing so is escalating or persisting.",
	Remediation: "Confirm the ServiceAccount belongs to an operator that manages RBAC (then add it to the allow-list); otherwise remove its write verbs on rbac.authorization.k8s.io resources and review what it wrote.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D13", "U28", "U29", "U30"},
	References:  []string{"Elastic: Kubernetes Service Account Modified RBAC Objects (privilege_escalation_service_account_rbac_write_operation)"},
}

var rbacResources = []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}

func newRBACWriteBySADetector(o DetectOptions) Detector {
	allow := o.RBACWriterAllow
	return newPerKey(o, ruleRBACWriteBySA, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != rbacGroup || !slices.Contains(rbacResources, r.Resource) ||
			!isVerb(e, "create", "update", "patch", "delete", "deletecollection") || !e.Succeeded() {
			return hit{}, false
		}
		user, _ := e.Actor()
		if _, ok := saNamespace(user); !ok || allow.allows(e) {
			return hit{}, false
		}
		obj := kindOf(r.Resource) + " " + objName(r)
		return hit{key: e.Who(), attrs: map[string]string{"who": e.Who(), "writes": e.Verb + " " + obj}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("ServiceAccount %s wrote RBAC objects (%s): %s", a.attr("who"), plural(a.count, "request"), a.attr("writes"))
	})
}

var ruleCSR = reports.Rule{
	ID:       "KGD19",
	Slug:     "csr-created-or-approved",
	Title:    "CertificateSigningRequest created or approved by a non-system caller",
	Severity: reports.High,
	Description: "A CertificateSigningRequest was created, or approved, by an identity other than the kubelets and the control plane. " +
		"A client certificate signed by the cluster CA authenticates as whatever name it carries (even system:masters members) until " +
		"it expires, and cannot be revoked. An approval is critical.",
	Remediation: "Check the CSR's signer and requested subject (kubectl get csr -o yaml); deny or delete it if unexpected, and restrict create on certificatesigningrequests, update on certificatesigningrequests/approval and approve on signers to administrators.",
	Tags:        []string{"security", "persistence", "credential-access", "MITRE ATT&CK T1649", "MITRE ATT&CK T1098"},
	Catalogue:   []string{"D19", "U35"},
	References:  []string{"Elastic: Kubernetes Client Certificate Signing Request Created or Approved (persistence_kubernetes_client_certificate_signing_request_created_or_approved)"},
}

func newCSRDetector(o DetectOptions) Detector {
	allow := o.CSRAllow
	return newPerKey(o, ruleCSR, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != "certificates.k8s.io" || r.Resource != "certificatesigningrequests" || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		var action string
		var sev reports.Severity
		switch {
		case r.Subresource == "" && e.Verb == "create":
			action = "created"
		case r.Subresource == "approval" && isVerb(e, "update", "patch"):
			action, sev = "approved", reports.Critical
		default:
			return hit{}, false
		}
		h := hit{key: e.Who() + "\x00" + action, severity: sev, attrs: map[string]string{"who": e.Who(), "action": action, "csrs": nameOf(e)}}
		var csr struct {
			Spec struct {
				SignerName string `json:"signerName"`
			} `json:"spec"`
		}
		if len(e.RequestObject) > 0 && json.Unmarshal(e.RequestObject, &csr) == nil && csr.Spec.SignerName != "" {
			h.attrs["signers"] = csr.Spec.SignerName
		}
		return h, true
	}, func(a *aggregate) string {
		msg := fmt.Sprintf("%s %s %s: %s", a.attr("who"), a.attr("action"), plural(a.count, "CertificateSigningRequest"), orNone(a.attr("csrs").String()))
		if s := a.attr("signers"); s.len() > 0 {
			msg += " (signer " + s.String() + ")"
		}
		return msg
	})
}

var ruleWebhook = reports.Rule{
	ID:       "KGD20",
	Slug:     "admission-webhook-changed",
	Title:    "Admission webhook configuration created, changed or deleted",
	Severity: reports.High,
	Description: "A mutating or validating webhook configuration, or a validating admission policy or its binding, was written or " +
		"deleted by a caller that is not a known policy or certificate operator. A webhook receives every object it matches (Secrets " +
		"included) and a mutating one can rewrite pods; deleting one silently removes a guard.",
	Remediation: "Review the configuration's webhooks (service or URL, rules, failurePolicy) and revert it if unexpected; restrict writes on admissionregistration.k8s.io resources to administrators and the operators that own them.",
	Tags:        []string{"security", "persistence", "defense-evasion", "MITRE ATT&CK T1546", "MITRE ATT&CK T1562.001"},
	Catalogue:   []string{"D20", "U37", "U38"},
	References:  []string{"Elastic: Kubernetes Admission Webhook Created or Modified (persistence_kubernetes_admission_webhook_created_or_modified)", "Sigma: Kubernetes Admission Controller Modification (kubernetes_audit_change_admission_controller)"},
}

var admissionResources = map[string]string{
	"mutatingwebhookconfigurations":     "MutatingWebhookConfiguration",
	"validatingwebhookconfigurations":   "ValidatingWebhookConfiguration",
	"validatingadmissionpolicies":       "ValidatingAdmissionPolicy",
	"validatingadmissionpolicybindings": "ValidatingAdmissionPolicyBinding",
	"mutatingadmissionpolicies":         "MutatingAdmissionPolicy",
	"mutatingadmissionpolicybindings":   "MutatingAdmissionPolicyBinding",
}

func newWebhookDetector(o DetectOptions) Detector {
	allow := o.WebhookWriterAllow
	return newPerKey(o, ruleWebhook, func(e *audit.Event) (hit, bool) {
		r := e.Object
		kind := admissionResources[r.Resource]
		if r.Group != "admissionregistration.k8s.io" || kind == "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch", "delete", "deletecollection") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		obj := kind + " " + nameOf(e)
		if e.Verb == "deletecollection" {
			obj = "all " + kind + "s"
		}
		return hit{key: e.Who() + "\x00" + obj, attrs: map[string]string{"who": e.Who(), "obj": obj, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("obj"), plural(a.count, "request"))
	})
}

var ruleSensitiveConfigMap = reports.Rule{
	ID:       "KGD21",
	Slug:     "coredns-or-aws-auth-configmap-modified",
	Title:    "CoreDNS or aws-auth ConfigMap modified",
	Severity: reports.High,
	Description: "The cluster DNS configuration (kube-system/coredns, kube-dns) or the EKS aws-auth mapping was created, changed or " +
		"deleted. Changing DNS redirects in-cluster traffic (and the credentials it carries); aws-auth maps AWS principals to " +
		"Kubernetes users and groups, so one line makes any IAM role system:masters. aws-auth changes are critical.",
	Remediation: "Diff the ConfigMap against its known-good version and revert unexpected changes; restrict update and patch on configmaps in kube-system to administrators (with resourceNames), and on EKS prefer access entries over aws-auth.",
	Tags:        []string{"security", "persistence", "impact", "MITRE ATT&CK T1098", "MITRE ATT&CK T1565.002"},
	Catalogue:   []string{"D21", "U14", "U15"},
	References: []string{
		"Elastic: Kubernetes CoreDNS or kube-dns Configuration Modified (impact_kubernetes_coredns_or_kube_dns_configuration_modified)",
		"Elastic: Kubernetes EKS aws-auth ConfigMap Modified (persistence_kubernetes_eks_aws_auth_configmap_modified)",
	},
}

func newSensitiveConfigMapDetector(o DetectOptions) Detector {
	names := globs(o.SensitiveConfigMaps)
	allow := o.ConfigMapWriterAllow
	return newPerKey(o, ruleSensitiveConfigMap, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "configmaps" || r.Group != "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch", "delete") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		cm := r.Namespace + "/" + nameOf(e)
		if !names.match(cm) {
			return hit{}, false
		}
		var sev reports.Severity
		if strings.HasSuffix(cm, "/aws-auth") {
			sev = reports.Critical
		}
		return hit{key: e.Who() + "\x00" + cm, severity: sev, attrs: map[string]string{"who": e.Who(), "cm": cm, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s ConfigMap %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("cm"), plural(a.count, "request"))
	})
}

var ruleExposedService = reports.Rule{
	ID:       "KGD25",
	Slug:     "exposed-service-created",
	Title:    "NodePort or LoadBalancer Service created or changed",
	Severity: reports.Medium,
	Description: "A Service of type NodePort or LoadBalancer was created, or changed to one. It opens the selected pods on every " +
		"node's address or on a cloud load balancer, outside NetworkPolicies and often outside the cluster: a common way to keep " +
		"a backdoor reachable.",
	Remediation: "Confirm the exposure was intended; use ClusterIP behind an ingress or gateway instead, and restrict NodePort and LoadBalancer Services with an admission policy.",
	Tags:        []string{"security", "persistence", "initial-access", "MITRE ATT&CK T1133"},
	Catalogue:   []string{"D25", "U48"},
	References:  []string{"Elastic: Kubernetes Exposed Service Created With Type NodePort (persistence_exposed_service_created_with_type_nodeport)", "Falco: Create NodePort Service"},
}

func newExposedServiceDetector(o DetectOptions) Detector {
	allow := o.ServiceExposeAllow
	return newPerKey(o, ruleExposedService, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "services" || r.Group != "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		// The request holds what the caller asked for; for a patch, only
		// a patch that sets the type counts.
		var svc struct {
			Spec struct {
				Type string `json:"type"`
			} `json:"spec"`
		}
		if len(e.RequestObject) == 0 || json.Unmarshal(e.RequestObject, &svc) != nil ||
			!slices.Contains([]string{"NodePort", "LoadBalancer"}, svc.Spec.Type) {
			return hit{}, false
		}
		s := r.Namespace + "/" + nameOf(e)
		return hit{key: e.Who() + "\x00" + s, attrs: map[string]string{"who": e.Who(), "svc": s, "type": svc.Spec.Type, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s Service %s of type %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("svc"), a.attr("type"), plural(a.count, "request"))
	})
}

// admissionResourceList are the resources of admissionResources, for the
// registry.
var admissionResourceList = []string{
	"mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies",
	"validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
}

var ruleKubeNamespaceObject = reports.Rule{
	ID:       "KGD28",
	Slug:     "pod-or-serviceaccount-in-kube-namespace",
	Title:    "Pod or ServiceAccount created in kube-system or kube-public",
	Severity: reports.Medium,
	Description: "A pod running an image that is not a known platform image, or a ServiceAccount that is not one of the " +
		"controllers', was created in kube-system or kube-public. Those namespaces hold the control plane's identities and " +
		"Secrets and are exempt from most policies: an attacker hides a backdoor pod or a ServiceAccount to bind power to there.",
	Remediation: "Confirm who created the object and why; run applications in their own namespaces. Add vetted platform images to kubeNamespaceImageAllow and ServiceAccounts to kubeNamespaceServiceAccountAllow.",
	Tags:        []string{"security", "persistence", "MITRE ATT&CK T1610", "MITRE ATT&CK T1136"},
	Catalogue:   []string{"U17", "U33"},
	References:  []string{"Falco: Pod Created in Kube Namespace", "Falco: Service Account Created in Kube Namespace"},
}

var ruleSystemRoleChanged = reports.Rule{
	ID:       "KGD29",
	Slug:     "system-role-modified",
	Title:    "System role modified or deleted",
	Severity: reports.High,
	Description: "A Role or ClusterRole whose name starts with system: (Kubernetes' own, reconciled by the apiserver) was created, " +
		"changed or deleted by someone other than the apiserver and the aggregation controller. Widening a system role " +
		"silently grants its many subjects (nodes, controllers, every authenticated user) more; deleting one breaks them.",
	Remediation: "Diff the role against the bootstrap policy and revert; the apiserver restores changed bootstrap roles on restart unless rbac.authorization.kubernetes.io/autoupdate is false, so check that annotation too.",
	Tags:        []string{"security", "persistence", "defense-evasion", "MITRE ATT&CK T1098"},
	Catalogue:   []string{"U30"},
	References:  []string{"Falco: System ClusterRole Modified/Deleted"},
}

// kubeNamespaces are the namespaces KGD28 watches.
var kubeNamespaces = []string{"kube-system", "kube-public"}

func init() {
	register(
		Detection{Rule: ruleKubeNamespaceObject, Resources: []string{"pods", "serviceaccounts"}, New: newKubeNamespaceObjectDetector},
		Detection{Rule: ruleSystemRoleChanged, Resources: []string{"roles", "clusterroles"}, New: newSystemRoleChangedDetector},
	)
}

// imageRepository is an image reference without its tag or digest
// ("registry.k8s.io/kube-proxy:v1.34.1" → "registry.k8s.io/kube-proxy").
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

func newKubeNamespaceObjectDetector(o DetectOptions) Detector {
	images := globs(o.KubeNamespaceImageAllow)
	sas := globs(o.KubeNamespaceServiceAccountAllow)
	return newPerKey(o, ruleKubeNamespaceObject, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != "" || r.Subresource != "" || e.Verb != "create" || !e.Succeeded() || !slices.Contains(kubeNamespaces, r.Namespace) {
			return hit{}, false
		}
		var what string
		switch r.Resource {
		case "serviceaccounts":
			name := nameOf(e)
			if sas.match(name) {
				return hit{}, false
			}
			what = "ServiceAccount " + r.Namespace + "/" + name
		case "pods":
			var pod struct {
				Spec struct {
					Containers, InitContainers []container
				} `json:"spec"`
			}
			if len(e.RequestObject) == 0 || json.Unmarshal(e.RequestObject, &pod) != nil {
				return hit{}, false
			}
			var unknown []string
			for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
				if !images.match(imageRepository(c.Image)) {
					unknown = append(unknown, c.Image)
				}
			}
			if len(unknown) == 0 {
				return hit{}, false
			}
			what = fmt.Sprintf("pod %s/%s (image %s)", r.Namespace, nameOf(e), strings.Join(unknown, ", "))
		default:
			return hit{}, false
		}
		return hit{key: e.Who() + "\x00" + r.Namespace + "\x00" + r.Resource, attrs: map[string]string{"who": e.Who(), "what": what}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s created in a kube namespace: %s", a.attr("who"), a.attr("what"))
	})
}

func newSystemRoleChangedDetector(o DetectOptions) Detector {
	allow := o.RoleWriterAllow
	names := globs(o.SystemRoleAllow)
	return newPerKey(o, ruleSystemRoleChanged, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != rbacGroup || (r.Resource != "roles" && r.Resource != "clusterroles") || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch", "delete") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		name := nameOf(e)
		if !strings.HasPrefix(name, "system:") || names.match(name) {
			return hit{}, false
		}
		obj := kindOf(r.Resource) + " " + objName(audit.ObjectRef{Namespace: r.Namespace, Name: name})
		return hit{key: e.Who() + "\x00" + obj, attrs: map[string]string{"who": e.Who(), "obj": obj, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("obj"), plural(a.count, "request"))
	})
}
