package detect

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// snapshot copies what aggregates read from an event, so that a decoder
// reusing its Event (and its maps and slices) cannot change kept state,
// and so that bodies are never retained.
func snapshot(e *Event) *Event {
	c := &Event{
		AuditID: e.AuditID, Stage: e.Stage, Verb: e.Verb, UserAgent: e.UserAgent,
		RequestReceived: e.RequestReceived, StageTimestamp: e.StageTimestamp, Source: e.Source,
		User:      UserInfo{Username: e.User.Username, Groups: slices.Clone(e.User.Groups)},
		SourceIPs: slices.Clone(e.SourceIPs),
	}
	p, _, _ := strings.Cut(e.RequestURI, "?")
	c.RequestURI = p
	if e.ImpersonatedUser != nil {
		c.ImpersonatedUser = &UserInfo{Username: e.ImpersonatedUser.Username, Groups: slices.Clone(e.ImpersonatedUser.Groups)}
	}
	if e.ObjectRef != nil {
		r := *e.ObjectRef
		c.ObjectRef = &r
	}
	if e.ResponseStatus != nil {
		c.ResponseStatus = &ResponseStatus{Code: e.ResponseStatus.Code}
	}
	c.Annotations = map[string]string{}
	for _, k := range []string{AnnotationDecision, AnnotationReason} {
		if v, ok := e.Annotations[k]; ok {
			c.Annotations[k] = v
		}
	}
	return c
}

// ---- KGD06 ---------------------------------------------------------------

var rulePodToken = reports.Rule{
	ID:       "KGD06",
	Slug:     "pod-token-interactive-use",
	Title:    "Pod ServiceAccount token used interactively",
	Severity: reports.Medium,
	Description: "A request authenticated with a pod's bound ServiceAccount token (user.extra pod-name) came from an interactive or " +
		"scripted client (kubectl, curl, wget, python-requests, a bare Go-http-client from an unexpected pod) or was part of a " +
		"discovery burst. Workloads use their own client libraries; these clients suggest someone is inside the pod, or took its token.",
	Remediation: "Investigate the pod (exec sessions, image, processes); if the use is not expected, delete the pod to revoke its token, set automountServiceAccountToken: false where the workload does not call the API, and reduce the ServiceAccount's permissions.",
	Tags:        []string{"security", "credential-access", "discovery", "MITRE ATT&CK T1528", "MITRE ATT&CK T1613"},
	Catalogue:   []string{"D06", "U57"},
	References:  []string{"Elastic: Kubernetes Service Account Token Access Followed by API Call from Same Pod (execution_d4c_k8s_mda_service_account_token_access)", "Elastic: Kubernetes Direct API Request via Curl or Wget"},
}

// podOf returns the pod ("namespace/pod"), node and ServiceAccount user a
// bound token was issued for, or false when the request did not use one.
func podOf(e *Event) (pod, node, sa string, ok bool) {
	names := e.User.Extra[ExtraPodName]
	if len(names) == 0 || names[0] == "" {
		return "", "", "", false
	}
	ns, isSA := saNamespace(e.User.Username)
	if !isSA {
		return "", "", "", false
	}
	if n := e.User.Extra[ExtraNodeName]; len(n) > 0 {
		node = n[0]
	}
	return ns + "/" + names[0], node, e.User.Username, true
}

// discoveryCall names a discovery or enumeration call, or "".
func discoveryCall(e *Event) string {
	r := objRef(e)
	if r.Resource == "" {
		p, _, _ := strings.Cut(e.RequestURI, "?")
		if p == "/api" || p == "/apis" || p == "/version" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/") || strings.HasPrefix(p, "/openapi/") {
			return "get " + p
		}
		return ""
	}
	if e.Verb == "list" {
		return "list " + r.APIGroup + "/" + r.Resource + " in " + r.Namespace
	}
	if e.Verb == "create" && r.APIGroup == "authorization.k8s.io" && (r.Resource == "selfsubjectaccessreviews" || r.Resource == "selfsubjectrulesreviews") {
		return "create " + r.Resource
	}
	return ""
}

type podToken struct {
	o       DetectOptions
	gate    stageGate
	agents  globs
	goAllow globs
	allow   globs
	keys    *keyed
	windows boundedMap[*window] // discovery calls per pod
	seen    int
}

func newPodTokenDetector(o DetectOptions) Detector {
	return &podToken{o: o, agents: globs(o.PodClientAgents), goAllow: globs(o.PodGoClientAllow), allow: globs(o.PodTokenAllow),
		keys: newKeyed(o.MaxKeys), windows: newBoundedMap[*window](o.MaxKeys)}
}

func (d *podToken) Rule() reports.Rule { return rulePodToken }

func (d *podToken) Observe(e *Event) {
	if !d.gate.pass(e) {
		return
	}
	pod, node, sa, ok := podOf(e)
	if !ok || d.allow.matchAny(pod, sa) {
		return
	}
	t := when(e)
	span := d.o.DiscoveryBurstWindow
	if d.seen++; d.seen%1024 == 0 {
		for k, w := range d.windows.m {
			if w.idle(t, span) {
				delete(d.windows.m, k)
			}
		}
	}
	agent, _, _ := strings.Cut(e.UserAgent, " ")
	if agent != "" && d.agents.match(agent) && !(strings.HasPrefix(agent, "Go-http-client/") && d.goAllow.matchAny(pod, sa)) {
		d.record("agent\x00"+pod+"\x00"+agent, e, pod, node, sa, "client "+agent, reports.High)
	}
	call := discoveryCall(e)
	if call == "" {
		return
	}
	w, ok := d.windows.get(pod, nil, newWindow)
	if !ok {
		return
	}
	w.advance(t, span)
	key := "burst\x00" + pod
	if a := d.keys.m[key]; a != nil && t.Sub(a.last) <= span {
		d.record(key, e, pod, node, sa, "discovery burst", "")
		return
	}
	w.add(call, e, t, 4*d.o.DiscoveryBurstThreshold)
	if w.len() < d.o.DiscoveryBurstThreshold {
		return
	}
	for _, it := range w.sorted() {
		d.record(key, it.ev, pod, node, sa, "discovery burst", "")
	}
	clear(w.items)
}

func (d *podToken) record(key string, e *Event, pod, node, sa, why string, sev reports.Severity) {
	a := d.keys.get(key)
	if a == nil {
		return
	}
	a.add(e, d.o.EvidenceCap)
	a.raise(sev)
	a.attr("pod").add(pod)
	a.attr("node").add(node)
	a.attr("sa").add(sa)
	a.attr("why").add(why)
	if c := discoveryCall(e); c != "" {
		a.attr("calls").add(c)
	}
}

func (d *podToken) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		msg := fmt.Sprintf("token of pod %s (ServiceAccount %s", a.attr("pod"), a.attr("sa"))
		if a.attr("node").len() > 0 {
			msg += ", node " + a.attr("node").String()
		}
		msg += fmt.Sprintf(") used by %s: %s (%s)", a.attr("why"), plural(a.count, "request"), outcome(a))
		if a.attr("calls").len() > 0 {
			msg += ": " + a.attr("calls").String()
		}
		out = append(out, a.finding(rulePodToken, msg))
	}
	return out
}

func (d *podToken) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(rulePodToken, d.windows.dropped+d.keys.dropped, d.o.MaxKeys)
}

// ---- KGD07 ---------------------------------------------------------------

var ruleExec = reports.Rule{
	ID:       "KGD07",
	Slug:     "exec-into-pod",
	Title:    "Exec or attach into a pod",
	Severity: reports.Medium,
	Description: "A pods/exec or pods/attach request was allowed: someone ran commands inside a container. The command is decoded from " +
		"the request; reverse shells, downloads, cloud metadata (169.254.169.254) and ServiceAccount token reads raise it to high.",
	Remediation: "Confirm the session was expected; restrict create and get on pods/exec and pods/attach to break-glass roles, and investigate the pod when the command looks like credential access or a reverse shell.",
	Tags:        []string{"security", "execution", "MITRE ATT&CK T1609"},
	Catalogue:   []string{"D07", "U20", "U21"},
	References:  []string{"Elastic: Kubernetes User Exec into Pod (execution_user_exec_to_pod)", "Falco: Attach/Exec Pod", "Sigma: Kubernetes Exec Into Container (kubernetes_audit_exec_into_container)"},
}

// execCommand decodes the command= parameters of an exec request into one
// line, redacted and capped.
func execCommand(uri string) string {
	_, q, _ := strings.Cut(uri, "?")
	v, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	return redactCommand(strings.Join(v["command"], " "))
}

var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), "<redacted-jwt>"},
	{regexp.MustCompile(`(?i)(\b(bearer|basic)\s+)[^\s'"]+`), "${1}<redacted>"},
	{regexp.MustCompile(`(?i)((--)?(token|password|passwd|secret|api-?key)(=|\s+))[^\s'"]+`), "${1}<redacted>"},
	{regexp.MustCompile(`(?i)(://[^/\s:@]+:)[^/\s@]+@`), "${1}<redacted>@"},
}

// redactCommand removes what looks like a credential from a command line
// and caps it at 200 characters: commands go into reports.
func redactCommand(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

var suspiciousCommand = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`/dev/(tcp|udp)/|\bnc(at)?\b.*\s-e\s|\bmkfifo\b|\bsocat\b|\b(bash|sh)\s+-i\b|socket\.socket|fsockopen`), "reverse shell"},
	{regexp.MustCompile(`169\.254\.169\.254|metadata\.google\.internal|fd00:ec2::254|100\.100\.100\.200`), "cloud metadata access"},
	{regexp.MustCompile(`/var/run/secrets|/run/secrets/kubernetes\.io|serviceaccount/token`), "ServiceAccount token read"},
	{regexp.MustCompile(`\b(curl|wget)\b`), "download tool"},
	{regexp.MustCompile(`base64\s+(-d|--decode)`), "encoded payload"},
}

func newExecDetector(o DetectOptions) Detector {
	allow := globs(o.ExecAllow)
	return newPerKey(o, ruleExec, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "pods" || (r.Subresource != "exec" && r.Subresource != "attach") || !isVerb(e, "create", "get") ||
			!allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		pod := r.Namespace + "/" + r.Name
		h := hit{key: who(e) + "\x00" + pod, attrs: map[string]string{"who": who(e), "pods": pod, "kind": r.Subresource}}
		if r.Subresource == "exec" {
			cmd := execCommand(e.RequestURI)
			h.attrs["commands"] = cmd
			for _, s := range suspiciousCommand {
				if s.re.MatchString(cmd) {
					h.severity = reports.High
					h.attrs["flags"] = s.what
					break
				}
			}
		}
		return h, true
	}, func(a *aggregate) string {
		msg := fmt.Sprintf("%s ran %s in pod %s (%s)", a.attr("who"), a.attr("kind"), a.attr("pods"), plural(a.count, "session"))
		if a.attr("commands").len() > 0 {
			msg += ": " + a.attr("commands").String()
		}
		if a.attr("flags").len() > 0 {
			msg += " [" + a.attr("flags").String() + "]"
		}
		return msg
	})
}

// ---- KGD08, KGD09, KGD10 -------------------------------------------------

var ruleEphemeral = reports.Rule{
	ID:          "KGD08",
	Slug:        "ephemeral-container-added",
	Title:       "Ephemeral container added to a pod",
	Severity:    reports.Medium,
	Description: "An update or patch of pods/ephemeralcontainers was allowed: a debug container was injected into a running pod, sharing its namespaces and volumes, bypassing the workload's own image.",
	Remediation: "Confirm the debug session was expected; restrict update and patch on pods/ephemeralcontainers to break-glass roles.",
	Tags:        []string{"security", "execution", "MITRE ATT&CK T1609", "MITRE ATT&CK T1610"},
	Catalogue:   []string{"D08", "U22"},
	References:  []string{"Elastic: Kubernetes Ephemeral Container Created", "Falco: EphemeralContainers Created"},
}

var rulePortForward = reports.Rule{
	ID:          "KGD09",
	Slug:        "pod-port-forward",
	Title:       "Port-forward to a pod",
	Severity:    reports.Low,
	Description: "A pods/portforward request was allowed: a tunnel from the client straight into a pod, bypassing Services and NetworkPolicies.",
	Remediation: "Confirm the tunnel was expected; restrict create and get on pods/portforward to the people who debug those workloads.",
	Tags:        []string{"security", "command-and-control", "MITRE ATT&CK T1572"},
	Catalogue:   []string{"D09", "U23"},
	References:  []string{"Falco: port-forward (k8s_audit_rules.yaml)"},
}

var ruleNodeProxy = reports.Rule{
	ID:       "KGD10",
	Slug:     "node-proxy-to-kubelet",
	Title:    "API server proxy to a kubelet",
	Severity: reports.High,
	Description: "A nodes/proxy request was allowed to a kubelet path other than metrics, health or stats. Through nodes/proxy the " +
		"kubelet API runs commands in any pod on the node (/run, /exec) without pods/exec, and without audit of the command.",
	Remediation: "Remove nodes/proxy from the identity's roles (monitoring needs only nodes/metrics and nodes/stats) and investigate what the kubelet was asked.",
	Tags:        []string{"security", "execution", "privilege-escalation", "MITRE ATT&CK T1609"},
	Catalogue:   []string{"D10", "U24"},
	References:  []string{"Elastic: Kubernetes API Proxy to Node (privilege_escalation_api_proxy_to_node)", "kubernetes/kubernetes#119640"},
}

// podSubresource matches allowed requests with one of verbs on a pod
// subresource, one key per caller and pod.
func podSubresource(sub string, verbs ...string) func(*Event) (hit, bool) {
	return func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "pods" || r.Subresource != sub || !isVerb(e, verbs...) || !allowedEvent(e) {
			return hit{}, false
		}
		pod := r.Namespace + "/" + r.Name
		return hit{key: who(e) + "\x00" + pod, attrs: map[string]string{"who": who(e), "pod": pod}}, true
	}
}

func newEphemeralDetector(o DetectOptions) Detector {
	return newPerKey(o, ruleEphemeral, podSubresource("ephemeralcontainers", "update", "patch"), func(a *aggregate) string {
		return fmt.Sprintf("%s added ephemeral containers to pod %s (%s)", a.attr("who"), a.attr("pod"), plural(a.count, "request"))
	})
}

func newPortForwardDetector(o DetectOptions) Detector {
	return newPerKey(o, rulePortForward, podSubresource("portforward", "create", "get"), func(a *aggregate) string {
		return fmt.Sprintf("%s port-forwarded to pod %s (%s)", a.attr("who"), a.attr("pod"), plural(a.count, "session"))
	})
}

// kubeletPath is the kubelet path of a nodes/proxy request:
// /api/v1/nodes/NAME/proxy/PATH → "/PATH".
func kubeletPath(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	_, after, ok := strings.Cut(p, "/proxy")
	if !ok || after == "" {
		return "/"
	}
	return after
}

var harmlessKubeletPaths = globs{"/metrics", "/metrics/*", "/healthz", "/healthz/*", "/stats", "/stats/*"}
var commandKubeletPaths = globs{"/run/*", "/exec/*", "/attach/*", "/portForward/*", "/cri/*"}

func newNodeProxyDetector(o DetectOptions) Detector {
	return newPerKey(o, ruleNodeProxy, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "nodes" || r.Subresource != "proxy" || !allowedEvent(e) {
			return hit{}, false
		}
		path := kubeletPath(e.RequestURI)
		if harmlessKubeletPaths.match(path) {
			return hit{}, false
		}
		h := hit{key: who(e) + "\x00" + r.Name, attrs: map[string]string{"who": who(e), "node": r.Name, "paths": redactCommand(path)}}
		if commandKubeletPaths.match(path) {
			h.severity = reports.Critical
		}
		return h, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s reached the kubelet of node %s through nodes/proxy (%s): %s", a.attr("who"), a.attr("node"), plural(a.count, "request"), a.attr("paths"))
	})
}

// ---- KGD17 ---------------------------------------------------------------

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
	return newPerKey(o, rulePrivilegedPod, func(e *Event) (hit, bool) {
		r := objRef(e)
		if !workloadResources[r.Resource] || r.Subresource != "" || !isVerb(e, "create", "update", "patch") || !allowedEvent(e) {
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
			"who": who(e), "obj": obj, "risks": strings.Join(risks, ", "), "resource": r.Resource,
		}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s created %s %s with %s (%s)", a.attr("who"), a.attr("resource"), a.attr("obj"), a.attr("risks"), plural(a.count, "request"))
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
