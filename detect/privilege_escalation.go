package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Privilege escalation (ATT&CK TA0004): impersonation, wildcard roles,
// RBAC-then-workload sequences, controller ServiceAccounts and privileged pods.

func init() {
	register(
		Detection{Rule: ruleImpersonation, Resources: nil, New: newImpersonationDetector},
		Detection{Rule: ruleWildcardRole, Resources: []string{"roles", "clusterroles"}, New: newWildcardRoleDetector},
		Detection{Rule: ruleRBACThenWorkload, Resources: sequenceResources, New: newRBACThenWorkloadDetector},
		Detection{Rule: ruleControllerSAPod, Resources: []string{"pods"}, New: newControllerSAPodDetector},
		Detection{Rule: rulePrivilegedPod, Resources: workloadResourceList, New: newPrivilegedPodDetector},
	)
}

const rbacGroup = "rbac.authorization.k8s.io"

var ruleImpersonation = reports.Rule{
	ID:       "KGD11",
	Slug:     "impersonation-of-privileged-identity",
	Title:    "Impersonation of a privileged identity",
	Severity: reports.Critical,
	Description: "A request impersonating a privileged user or group (system:masters, cluster admins, control-plane components, nodes, " +
		"kube-system ServiceAccounts) was allowed. Impersonating them gives the caller their full rights.",
	Remediation: "Remove impersonate on users, groups and serviceaccounts from the caller's roles, or restrict it with resourceNames to non-privileged identities.",
	Tags:        []string{"security", "privilege-escalation", "MITRE ATT&CK T1078", "MITRE ATT&CK T1134"},
	Catalogue:   []string{"D11", "U32"},
	References:  []string{"Elastic: Kubernetes User Impersonating a Privileged Identity (privilege_escalation_kubernetes_impersonating_privileged_identity)"},
}

func newImpersonationDetector(o DetectOptions) Detector {
	priv := globs(o.PrivilegedIdentities)
	allow := o.ImpersonationAllow
	return newPerKey(o, ruleImpersonation, func(e *audit.Event) (hit, bool) {
		iu := e.Impersonated
		if iu == nil || !e.Allowed() || allow.covers(&e.User, e) {
			return hit{}, false
		}
		var as []string
		if priv.match(iu.Name) {
			as = append(as, "user "+iu.Name)
		}
		for _, g := range iu.Groups {
			if priv.match(g) {
				as = append(as, "group "+g)
			}
		}
		if len(as) == 0 {
			return hit{}, false
		}
		target := strings.Join(as, ", ")
		return hit{key: e.User.Name + "\x00" + target, attrs: map[string]string{"caller": e.User.Name, "target": target, "requests": e.Verb + " " + e.Resource()}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s impersonated %s in %s: %s", a.attr("caller"), a.attr("target"), plural(a.count, "request"), a.attr("requests"))
	})
}

var ruleWildcardRole = reports.Rule{
	ID:       "KGD14",
	Slug:     "role-written-with-wildcard",
	Title:    "Role created or patched with wildcard verbs or resources",
	Severity: reports.High,
	Description: "A Role or ClusterRole was written with \"*\" in verbs or resources. Wildcards grant every current and future verb " +
		"or resource (including escalate, bind, impersonate and secrets); */* is cluster-admin in all but name.",
	Remediation: "Replace the wildcards with the verbs and resources the subject needs, and review who wrote the role.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D14", "U07", "U27"},
	References:  []string{"Elastic: Kubernetes Role Patched with Wildcard Verbs and Resources (privilege_escalation_role_patch_wildcard_verbs_resources_response)", "Falco: ClusterRole With Wildcard Created"},
}

func newWildcardRoleDetector(o DetectOptions) Detector {
	allow := o.RoleWriterAllow
	return newPerKey(o, ruleWildcardRole, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != rbacGroup || (r.Resource != "roles" && r.Resource != "clusterroles") || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		// The response holds the stored role; a patch request only the delta.
		body := e.ResponseObject
		if len(body) == 0 {
			body = e.RequestObject
		}
		var role struct {
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if len(body) == 0 || json.Unmarshal(body, &role) != nil {
			return hit{}, false
		}
		var found []string
		sev := reports.Severity("")
		for i, pr := range role.Rules {
			if len(pr.Resources) == 0 {
				continue // non-resource rules: "*" URLs are another matter
			}
			v, res := slices.Contains(pr.Verbs, "*"), slices.Contains(pr.Resources, "*")
			switch {
			case v && res:
				found = append(found, fmt.Sprintf("rule %d: verbs * on resources *", i))
				if slices.Contains(pr.APIGroups, "*") {
					sev = reports.Critical
				}
			case v:
				found = append(found, fmt.Sprintf("rule %d: verbs * on %s", i, strings.Join(pr.Resources, ",")))
			case res:
				found = append(found, fmt.Sprintf("rule %d: %s on resources *", i, strings.Join(pr.Verbs, ",")))
			}
		}
		if len(found) == 0 {
			return hit{}, false
		}
		obj := kindOf(r.Resource) + " " + objName(r)
		return hit{key: e.Who() + "\x00" + obj, severity: sev, attrs: map[string]string{"who": e.Who(), "obj": obj, "rules": strings.Join(found, "; "), "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s with wildcards: %s", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("obj"), a.attr("rules"))
	})
}

var ruleRBACThenWorkload = reports.Rule{
	ID:       "KGD15",
	Slug:     "rbac-change-then-workload-change",
	Title:    "RBAC change followed by a workload change by the same identity",
	Severity: reports.High,
	Description: "An identity created or changed a Role, ClusterRole or binding, then within a few minutes created or changed a pod or " +
		"workload. Granting oneself (or a ServiceAccount) new rights and immediately running code with them is the shape of an " +
		"escalation: bind a powerful role, then start a pod that uses it.",
	Remediation: "Review the RBAC change and the workload together: which ServiceAccount the workload runs as and what the change granted it; revert both if unexpected, and separate the right to write RBAC from the right to deploy workloads.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006", "MITRE ATT&CK T1610"},
	Catalogue:   []string{"D15", "U28", "U18"},
	References:  []string{"Elastic: Kubernetes Sensitive RBAC Change Followed by Workload Modification (privilege_escalation_sensitive_rbac_change_followed_by_workload_modification)"},
}

// rbacChange is an identity's latest RBAC write.
type rbacChange struct {
	at       time.Time
	ev       *audit.Event
	what     string
	reported bool
}

// rbacThenWorkload remembers, per identity, its latest RBAC write for one
// window, and reports workload writes by the same identity inside it.
type rbacThenWorkload struct {
	o     DetectOptions
	allow AllowList
	last  boundedMap[*rbacChange]
	keys  *keyed
	seen  int
}

func newRBACThenWorkloadDetector(o DetectOptions) Detector {
	return &rbacThenWorkload{o: o, allow: o.SequenceAllow, last: newBoundedMap[*rbacChange](o.MaxKeys), keys: newKeyed(o.MaxKeys)}
}

func (d *rbacThenWorkload) Rule() reports.Rule { return ruleRBACThenWorkload }

func (d *rbacThenWorkload) prune(now time.Time) {
	for k, c := range d.last.m {
		if now.Sub(c.at) > d.o.SequenceWindow || c.at.Sub(now) > d.o.SequenceWindow {
			delete(d.last.m, k)
		}
	}
}

func (d *rbacThenWorkload) Observe(e *audit.Event) {
	// Members of system:masters, and anyone else the apiserver allowed
	// outside RBAC, already hold everything: an RBAC change cannot
	// escalate them (an admin applying a bundle of RBAC and workloads).
	if !isVerb(e, "create", "update", "patch") || !e.Succeeded() || outsideRBAC(e) {
		return
	}
	r := e.Object
	isRBAC := r.Group == rbacGroup && r.Subresource == "" && (r.Resource == "roles" || r.Resource == "clusterroles" ||
		r.Resource == "rolebindings" || r.Resource == "clusterrolebindings")
	isWorkload := workloadResources[r.Resource] && r.Subresource == "" && (r.Group == "" || r.Group == "apps" || r.Group == "batch")
	if (!isRBAC && !isWorkload) || d.allow.allows(e) {
		return
	}
	t := e.Time
	if d.seen++; d.seen%1024 == 0 {
		d.prune(t)
	}
	actor := e.Who()
	if isRBAC {
		if _, ok := d.last.m[actor]; !ok && !admit(&d.last.keyLimit, d.last.m, func() { d.prune(t) }) {
			return
		}
		d.last.m[actor] = &rbacChange{at: t, ev: snapshot(e), what: e.Verb + " " + kindOf(r.Resource) + " " + objName(audit.ObjectRef{Namespace: r.Namespace, Name: nameOf(e)})}
		return
	}
	c := d.last.m[actor]
	if c == nil || t.Before(c.at) || t.Sub(c.at) > d.o.SequenceWindow {
		return
	}
	a := d.keys.get(actor)
	if a == nil {
		return
	}
	if !c.reported {
		a.add(c.ev, d.o.EvidenceCap)
		a.attr("rbac").add(c.what)
		c.reported = true
	}
	a.add(e, d.o.EvidenceCap)
	a.attr("who").add(actor)
	a.attr("workloads").add(e.Verb + " " + r.Resource + " " + objName(audit.ObjectRef{Namespace: r.Namespace, Name: nameOf(e)}))
	if gap := t.Sub(c.at).Round(time.Second); a.attr("gap").len() == 0 {
		a.attr("gap").add(gap.String())
	}
}

func (d *rbacThenWorkload) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		msg := fmt.Sprintf("%s changed RBAC (%s) then workloads (%s) within %s (first gap %s)",
			a.attr("who"), a.attr("rbac"), a.attr("workloads"), d.o.SequenceWindow, a.attr("gap"))
		out = append(out, a.finding(ruleRBACThenWorkload, msg))
	}
	return out
}

func (d *rbacThenWorkload) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(ruleRBACThenWorkload, d.last.dropped+d.keys.dropped, d.o.MaxKeys)
}

// objName is "namespace/name", or "name" for cluster-scoped objects.
func objName(r audit.ObjectRef) string {
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
func nameOf(e *audit.Event) string {
	r := e.Object
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
	allow := o.ControllerPodAllow
	return newPerKey(o, ruleControllerSAPod, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "pods" || r.Subresource != "" || r.Group != "" || r.Namespace != "kube-system" ||
			e.Verb != "create" || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		sa, ok := podServiceAccount(e.RequestObject)
		if !ok || !sas.match(sa) {
			return hit{}, false
		}
		return hit{key: e.Who() + "\x00" + sa, attrs: map[string]string{"who": e.Who(), "sa": sa, "pods": "kube-system/" + nameOf(e)}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s created %s in kube-system running as controller ServiceAccount %s: %s",
			a.attr("who"), plural(a.count, "pod"), a.attr("sa"), a.attr("pods"))
	})
}

var rulePrivilegedPod = reports.Rule{
	ID:       "KGD17",
	Slug:     "privileged-or-host-pod-created",
	Title:    "Privileged or host-namespace pod created",
	Severity: reports.High,
	Description: "A pod or workload was created or changed with a privileged container, host network/PID/IPC, dangerous added " +
		"capabilities or a hostPath mount of a sensitive path. Any of these lets the container reach the node, and from there every " +
		"pod and credential on it.",
	Remediation: "Remove privileged, host namespaces, added capabilities and sensitive hostPath mounts from the spec unless the workload is a vetted node agent, and enforce the baseline or restricted Pod Security Standard on the namespace.",
	Tags:        []string{"security", "privilege-escalation", "MITRE ATT&CK T1610", "MITRE ATT&CK T1611"},
	Catalogue:   []string{"D17", "U17", "U18"},
	References:  []string{"Elastic: Kubernetes Privileged Pod Created", "Elastic: Kubernetes Pod Created With HostNetwork/HostPID/HostIPC", "Falco: Create Privileged Pod", "Falco: Create Sensitive Mount Pod", "Falco: Create HostNetwork Pod"},
}

// podSpec is the part of a pod spec KGD17 reads.
type podSpec struct {
	HostNetwork    bool        `json:"hostNetwork"`
	HostPID        bool        `json:"hostPID"`
	HostIPC        bool        `json:"hostIPC"`
	Containers     []container `json:"containers"`
	InitContainers []container `json:"initContainers"`
	Ephemeral      []container `json:"ephemeralContainers"`
	Volumes        []struct {
		Name     string `json:"name"`
		HostPath *struct {
			Path string `json:"path"`
		} `json:"hostPath"`
	} `json:"volumes"`
}

type container struct {
	Name            string `json:"name"`
	Image           string `json:"image"`
	SecurityContext *struct {
		Privileged   *bool `json:"privileged"`
		Capabilities *struct {
			Add []string `json:"add"`
		} `json:"capabilities"`
	} `json:"securityContext"`
}

type podTemplate struct {
	Spec podSpec `json:"spec"`
}

// workloadObject decodes a pod or any workload to its pod spec.
type workloadObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name            string `json:"name"`
		GenerateName    string `json:"generateName"`
		OwnerReferences []struct {
			Kind       string `json:"kind"`
			Name       string `json:"name"`
			Controller *bool  `json:"controller"`
		} `json:"ownerReferences"`
	} `json:"metadata"`
	Spec json.RawMessage `json:"spec"`
}

var workloadResources = map[string]bool{
	"pods": true, "deployments": true, "daemonsets": true, "statefulsets": true, "replicasets": true,
	"replicationcontrollers": true, "jobs": true, "cronjobs": true,
}

var dangerousCaps = map[string]bool{
	"ALL": true, "SYS_ADMIN": true, "SYS_PTRACE": true, "SYS_MODULE": true, "DAC_READ_SEARCH": true, "NET_ADMIN": true,
	"SYS_RAWIO": true, "BPF": true, "PERFMON": true, "SYS_BOOT": true,
}

// sensitiveHostPaths are the host paths that expose the node (Falco's
// sensitive_mount list, plus the container runtime sockets).
var sensitiveHostPaths = []string{
	"/", "/etc", "/proc", "/root", "/home", "/var/run", "/run", "/var/lib/kubelet", "/var/lib/docker",
	"/var/lib/containerd", "/etc/kubernetes", "/dev", "/sys", "/boot", "/var/log",
}

func sensitiveHostPath(p string) bool {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return true // "/"
	}
	for _, s := range sensitiveHostPaths[1:] {
		if p == s || strings.HasPrefix(p, s+"/") {
			// Subdirectories of /var/log or /home are often benign
			// log shippers; only the directory itself counts there.
			if (s == "/var/log" || s == "/home") && p != s {
				continue
			}
			return true
		}
	}
	return strings.HasSuffix(p, ".sock")
}

// podRisks decodes a workload body and lists its risky settings and images.
func podRisks(raw json.RawMessage, resource string) (risks, images []string, owner string, ok bool) {
	var obj workloadObject
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || len(obj.Spec) == 0 {
		return nil, nil, "", false
	}
	var spec podSpec
	var err error
	switch resource {
	case "pods":
		err = json.Unmarshal(obj.Spec, &spec)
	case "cronjobs":
		var cj struct {
			JobTemplate struct {
				Spec struct {
					Template podTemplate `json:"template"`
				} `json:"spec"`
			} `json:"jobTemplate"`
		}
		err = json.Unmarshal(obj.Spec, &cj)
		spec = cj.JobTemplate.Spec.Template.Spec
	default:
		var w struct {
			Template podTemplate `json:"template"`
		}
		err = json.Unmarshal(obj.Spec, &w)
		spec = w.Template.Spec
	}
	if err != nil {
		return nil, nil, "", false
	}
	owner = obj.Metadata.Name
	if owner == "" {
		owner = obj.Metadata.GenerateName
	}
	for _, ref := range obj.Metadata.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			owner = ref.Kind + "/" + ref.Name
		}
	}
	if spec.HostNetwork {
		risks = append(risks, "hostNetwork")
	}
	if spec.HostPID {
		risks = append(risks, "hostPID")
	}
	if spec.HostIPC {
		risks = append(risks, "hostIPC")
	}
	for _, c := range slices.Concat(spec.Containers, spec.InitContainers, spec.Ephemeral) {
		images = append(images, c.Image)
		if c.SecurityContext == nil {
			continue
		}
		if p := c.SecurityContext.Privileged; p != nil && *p {
			risks = append(risks, "privileged container "+c.Name)
		}
		if c.SecurityContext.Capabilities != nil {
			for _, cp := range c.SecurityContext.Capabilities.Add {
				if dangerousCaps[strings.TrimPrefix(strings.ToUpper(cp), "CAP_")] {
					risks = append(risks, "capability "+cp+" in "+c.Name)
				}
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil && sensitiveHostPath(v.HostPath.Path) {
			risks = append(risks, "hostPath "+v.HostPath.Path)
		}
	}
	return risks, images, owner, true
}

func newPrivilegedPodDetector(o DetectOptions) Detector {
	imageAllow := globs(o.PodImageAllow)
	allow := o.PrivilegedPodAllow
	return newPerKey(o, rulePrivilegedPod, func(e *audit.Event) (hit, bool) {
		r := e.Object
		// A create that failed (a 500, an admission denial) created
		// nothing.
		if !workloadResources[r.Resource] || r.Subresource != "" || !isVerb(e, "create", "update", "patch") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		// The response is the whole stored object; a patch request is not.
		body := e.ResponseObject
		if e.Verb == "create" || len(body) == 0 {
			body = e.RequestObject
		}
		risks, images, owner, ok := podRisks(body, r.Resource)
		if !ok || len(risks) == 0 {
			return hit{}, false
		}
		if len(imageAllow) > 0 && len(images) > 0 && allMatch(imageAllow, images) {
			return hit{}, false
		}
		if owner == "" {
			owner = r.Name
		}
		obj := r.Namespace + "/" + owner
		sort.Strings(risks)
		return hit{key: obj + "\x00" + strings.Join(risks, ","), attrs: map[string]string{
			"who": e.Who(), "obj": obj, "risks": strings.Join(risks, ", "), "resource": r.Resource, "verbs": e.Verb,
		}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s %s with %s (%s)", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("resource"), a.attr("obj"), a.attr("risks"), plural(a.count, "request"))
	})
}

func allMatch(g globs, ss []string) bool {
	for _, s := range ss {
		if !g.match(s) {
			return false
		}
	}
	return true
}

// outsideRBAC reports whether the request was allowed without RBAC: by
// the system:masters short-circuit (the group is in the log, or the log's
// authorization annotations give no reason) rather than by a binding.
func outsideRBAC(e *audit.Event) bool {
	_, groups := e.Actor()
	if slices.Contains(groups, "system:masters") {
		return true
	}
	return e.Annotated && e.Allowed() && e.Reason == "" && !strings.HasPrefix(e.User.Name, "system:node:")
}

// workloadResourceList are the resources of workloadResources, for the
// registry.
var workloadResourceList = []string{"pods", "deployments", "daemonsets", "statefulsets", "replicasets", "replicationcontrollers", "jobs", "cronjobs"}

// sequenceResources are the RBAC and workload resources KGD15 follows.
var sequenceResources = append(slices.Clone(rbacResources), workloadResourceList...)

var ruleRoleWritePrivileges = reports.Rule{
	ID:       "KGD30",
	Slug:     "role-created-with-write-or-exec",
	Title:    "Role created with write or pod-exec privileges",
	Severity: reports.Low,
	Description: "A Role or ClusterRole was created whose rules write (create, update, patch, delete, deletecollection) or reach " +
		"pods/exec or pods/attach. On its own a new role grants nothing, but it is the first half of a grant: it shows who " +
		"prepares write or shell access, and pod exec is credential theft (every token mounted in the pods it reaches).",
	Remediation: "Confirm the role is part of a reviewed change; keep exec and attach out of roles bound to people and workloads that do not need a shell.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"U30", "U20"},
	References:  []string{"Falco: ClusterRole With Write Privileges Created", "Falco: ClusterRole With Pod Exec Created"},
}

func init() {
	register(Detection{Rule: ruleRoleWritePrivileges, Resources: []string{"roles", "clusterroles"}, New: newRoleWritePrivilegesDetector})
}

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func newRoleWritePrivilegesDetector(o DetectOptions) Detector {
	allow := o.RoleWriterAllow
	return newPerKey(o, ruleRoleWritePrivileges, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Group != rbacGroup || (r.Resource != "roles" && r.Resource != "clusterroles") || r.Subresource != "" ||
			e.Verb != "create" || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		var role struct {
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if len(e.RequestObject) == 0 || json.Unmarshal(e.RequestObject, &role) != nil {
			return hit{}, false
		}
		var writes, execs []string
		for _, pr := range role.Rules {
			for _, v := range pr.Verbs {
				if slices.Contains(writeVerbs, v) && !slices.Contains(writes, v) {
					writes = append(writes, v)
				}
			}
			for _, res := range pr.Resources {
				if (res == "pods/exec" || res == "pods/attach") && !slices.Contains(execs, res) {
					execs = append(execs, res)
				}
			}
		}
		if len(writes) == 0 && len(execs) == 0 {
			return hit{}, false
		}
		var what []string
		sev := reports.Severity("")
		if len(execs) > 0 {
			what = append(what, strings.Join(execs, ", "))
			sev = reports.Medium
		}
		if len(writes) > 0 {
			what = append(what, "write verbs "+strings.Join(writes, ", "))
		}
		obj := kindOf(r.Resource) + " " + objName(audit.ObjectRef{Namespace: r.Namespace, Name: nameOf(e)})
		return hit{key: e.Who() + "\x00" + obj, severity: sev, attrs: map[string]string{"who": e.Who(), "obj": obj, "what": strings.Join(what, "; ")}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s created %s with %s", a.attr("who"), a.attr("obj"), a.attr("what"))
	})
}
