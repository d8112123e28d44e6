package detect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kubegrant/kubegrant/reports"
)

// objName is "namespace/name", or "name" for cluster-scoped objects.
func objName(r ObjectRef) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// bodyMeta is the metadata of a request or response body.
type bodyMeta struct {
	Metadata struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
}

// nameOf is the object's name from the objectRef, or from the request
// body for a create (which the objectRef may lack).
func nameOf(e *Event) string {
	r := objRef(e)
	if r.Name != "" {
		return r.Name
	}
	var m bodyMeta
	if len(e.RequestObject) > 0 && json.Unmarshal(e.RequestObject, &m) == nil {
		if m.Metadata.Name != "" {
			return m.Metadata.Name
		}
		return m.Metadata.GenerateName
	}
	return ""
}

// ---- KGD04 ---------------------------------------------------------------

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
	allow := globs(o.SecretReaderAllow)
	return newPerKey(o, ruleSecretNodeOrSA, func(e *Event) (hit, bool) {
		if !isVerb(e, "get", "list") || !isSecrets(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		user, _ := actingAs(e)
		kind := ""
		var sev reports.Severity
		switch {
		case strings.HasPrefix(user, "system:node:"):
			kind = "node"
			if !allowedEvent(e) {
				sev = reports.High
			}
		case strings.HasPrefix(user, "system:serviceaccount:"):
			if allowedEvent(e) {
				return hit{}, false // the tuned rule: ServiceAccounts only when denied
			}
			kind = "ServiceAccount"
		default:
			return hit{}, false
		}
		r := objRef(e)
		return hit{key: who(e) + "\x00" + r.Namespace, severity: sev, attrs: map[string]string{
			"who": kind + " " + who(e), "scope": scopeOf(r.Namespace), "verbs": e.Verb, "secrets": objName(r),
		}}, true
	}, func(a *aggregate) string {
		msg := fmt.Sprintf("%s read Secrets in %s (%s: %s, %s)", a.attr("who"), a.attr("scope"), a.attr("verbs"), plural(a.count, "request"), outcome(a))
		if s := a.attr("secrets"); s.len() > 0 {
			msg += ": " + s.String()
		}
		return msg
	})
}

// ---- KGD05 ---------------------------------------------------------------

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
	allow := globs(o.SecretReaderAllow)
	return newPerKey(o, ruleSecretScripting, func(e *Event) (hit, bool) {
		if !isVerb(e, "get", "list", "watch") || !isSecrets(e) || e.UserAgent == "" || callerAllowed(allow, e) {
			return hit{}, false
		}
		if !agents.match(strings.ToLower(e.UserAgent)) {
			return hit{}, false
		}
		var sev reports.Severity
		if allowedEvent(e) {
			sev = reports.High
		}
		r := objRef(e)
		target := objName(r)
		if r.Name == "" {
			target = scopeOf(r.Namespace)
		}
		return hit{key: who(e) + "\x00" + e.UserAgent, severity: sev, attrs: map[string]string{
			"who": who(e), "agent": e.UserAgent, "reads": e.Verb + " " + target,
		}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s accessed Secrets with %s (%s, %s): %s", a.attr("who"), a.attr("agent"), plural(a.count, "request"), outcome(a), a.attr("reads"))
	})
}

// ---- KGD16 ---------------------------------------------------------------

var ruleControllerSAPod = reports.Rule{
	ID:       "KGD16",
	Slug:     "controller-serviceaccount-assigned-to-pod",
	Title:    "Controller ServiceAccount assigned to a kube-system pod",
	Severity: reports.High,
	Description: "A pod was created in kube-system running as a controller ServiceAccount (name matching *controller*) by a caller that " +
		"is not itself a controller. The built-in controllers' ServiceAccounts hold broad rights (the clusterrole-aggregation-controller " +
		"can escalate, the replicaset-controller creates pods anywhere); a pod running as one hands its token to whoever made the pod.",
	Remediation: "Delete the pod unless it is a vetted component; restrict create on pods in kube-system to administrators, and deny pods that name controller ServiceAccounts with an admission policy.",
	Tags:        []string{"security", "privilege-escalation", "MITRE ATT&CK T1078.004", "MITRE ATT&CK T1610"},
	Catalogue:   []string{"D16", "U17"},
	References:  []string{"Elastic: Kubernetes Suspicious Assignment of Controller Service Account (privilege_escalation_suspicious_assignment_of_controller_service_account)"},
}

// podServiceAccount reads the ServiceAccount a pod body runs as.
func podServiceAccount(raw json.RawMessage) (string, bool) {
	var p struct {
		Spec struct {
			ServiceAccountName string `json:"serviceAccountName"`
			ServiceAccount     string `json:"serviceAccount"`
		} `json:"spec"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return "", false
	}
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName, true
	}
	return p.Spec.ServiceAccount, p.Spec.ServiceAccount != ""
}

func newControllerSAPodDetector(o DetectOptions) Detector {
	sas := globs(o.ControllerServiceAccounts)
	allow := globs(o.ControllerPodAllow)
	return newPerKey(o, ruleControllerSAPod, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "pods" || r.Subresource != "" || r.APIGroup != "" || r.Namespace != "kube-system" ||
			e.Verb != "create" || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		sa, ok := podServiceAccount(e.RequestObject)
		if !ok || !sas.match(sa) {
			return hit{}, false
		}
		return hit{key: who(e) + "\x00" + sa, attrs: map[string]string{"who": who(e), "sa": sa, "pods": "kube-system/" + nameOf(e)}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s created %s in kube-system running as controller ServiceAccount %s: %s",
			a.attr("who"), plural(a.count, "pod"), a.attr("sa"), a.attr("pods"))
	})
}

// ---- KGD18 ---------------------------------------------------------------

var ruleSelfReview = reports.Rule{
	ID:       "KGD18",
	Slug:     "self-subject-review-by-workload",
	Title:    "Self-subject review by a ServiceAccount or node from an unusual client",
	Severity: reports.Medium,
	Description: "A ServiceAccount or node asked the API server what it may do (selfsubjectaccessreviews or selfsubjectrulesreviews) " +
		"from a client that is not a client-go controller: kubectl, curl, a scripting library or an unknown tool. Workloads do not " +
		"enumerate their own permissions; someone holding their token does (kubectl auth can-i --list). It is high from an " +
		"interactive or scripting client.",
	Remediation: "Find the pod or node the credential belongs to and investigate it; if the review was not expected, rotate the credential and reduce its permissions.",
	Tags:        []string{"security", "discovery", "MITRE ATT&CK T1069", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D18", "U60"},
	References:  []string{"Elastic: Kubernetes Suspicious Self-Subject Review (discovery_suspicious_self_subject_review)", "Sigma: RBAC Permission Enumeration Attempt (kubernetes_audit_rbac_permisions_listing)"}, //nolint:misspell // Sigma's rule file name
}

// clientGoAgent matches client-go's default user agent,
// "binary/version (os/arch) kubernetes/commit", which controllers keep.
var clientGoAgent = regexp.MustCompile(`^[A-Za-z0-9._-]+/v?[0-9][^ ]* \([a-z0-9]+/[a-z0-9_]+\) kubernetes/[0-9a-f]+`)

func newSelfReviewDetector(o DetectOptions) Detector {
	interactive := globs(o.PodClientAgents)
	scripting := lowerGlobs(o.ScriptingAgents)
	agentAllow := globs(o.SelfReviewAgentAllow)
	return newPerKey(o, ruleSelfReview, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.APIGroup != "authorization.k8s.io" || (r.Resource != "selfsubjectaccessreviews" && r.Resource != "selfsubjectrulesreviews") || e.Verb != "create" {
			return hit{}, false
		}
		user, _ := actingAs(e)
		_, isSA := saNamespace(user)
		if !isSA && !strings.HasPrefix(user, "system:node:") {
			return hit{}, false
		}
		ua := e.UserAgent
		first, _, _ := strings.Cut(ua, " ")
		if ua != "" && agentAllow.match(ua) {
			return hit{}, false
		}
		// kubectl also sends client-go's agent shape: interactive and
		// scripting clients are checked first.
		loud := ua == "" || interactive.match(first) || scripting.match(strings.ToLower(ua))
		if !loud && clientGoAgent.MatchString(ua) {
			return hit{}, false
		}
		var sev reports.Severity
		if loud {
			sev = reports.High
		}
		agent := ua
		if agent == "" {
			agent = "(no user agent)"
		}
		return hit{key: who(e) + "\x00" + ua, severity: sev, attrs: map[string]string{"who": who(e), "agent": agent, "reviews": r.Resource}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s reviewed its own permissions with %s (%s: %s)", a.attr("who"), a.attr("agent"), a.attr("reviews"), plural(a.count, "request"))
	})
}

// ---- KGD19 ---------------------------------------------------------------

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
	allow := globs(o.CSRAllow)
	return newPerKey(o, ruleCSR, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.APIGroup != "certificates.k8s.io" || r.Resource != "certificatesigningrequests" || !allowedEvent(e) || callerAllowed(allow, e) {
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
		h := hit{key: who(e) + "\x00" + action, severity: sev, attrs: map[string]string{"who": who(e), "action": action, "csrs": nameOf(e)}}
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

// ---- KGD20 ---------------------------------------------------------------

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
	allow := globs(o.WebhookWriterAllow)
	return newPerKey(o, ruleWebhook, func(e *Event) (hit, bool) {
		r := objRef(e)
		kind := admissionResources[r.Resource]
		if r.APIGroup != "admissionregistration.k8s.io" || kind == "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch", "delete", "deletecollection") || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		obj := kind + " " + nameOf(e)
		if e.Verb == "deletecollection" {
			obj = "all " + kind + "s"
		}
		return hit{key: who(e) + "\x00" + obj, attrs: map[string]string{"who": who(e), "obj": obj, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("obj"), plural(a.count, "request"))
	})
}

// ---- KGD21 ---------------------------------------------------------------

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
	allow := globs(o.ConfigMapWriterAllow)
	return newPerKey(o, ruleSensitiveConfigMap, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "configmaps" || r.APIGroup != "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch", "delete") || !allowedEvent(e) || callerAllowed(allow, e) {
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
		return hit{key: who(e) + "\x00" + cm, severity: sev, attrs: map[string]string{"who": who(e), "cm": cm, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s ConfigMap %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("cm"), plural(a.count, "request"))
	})
}

// ---- KGD25 ---------------------------------------------------------------

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
	allow := globs(o.ServiceExposeAllow)
	return newPerKey(o, ruleExposedService, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "services" || r.APIGroup != "" || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch") || !allowedEvent(e) || callerAllowed(allow, e) {
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
		return hit{key: who(e) + "\x00" + s, attrs: map[string]string{"who": who(e), "svc": s, "type": svc.Spec.Type, "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s Service %s of type %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("svc"), a.attr("type"), plural(a.count, "request"))
	})
}
