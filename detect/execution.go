package detect

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
)

// Execution (ATT&CK TA0002): commands run in pods and on nodes.

func init() {
	register(
		Detection{Rule: ruleExec, Resources: []string{"pods"}, New: newExecDetector},
		Detection{Rule: ruleEphemeral, Resources: []string{"pods"}, New: newEphemeralDetector},
		Detection{Rule: ruleNodeProxy, Resources: []string{"nodes"}, New: newNodeProxyDetector},
	)
}

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
	allow := o.ExecAllow
	return newPerKey(o, ruleExec, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "pods" || (r.Subresource != "exec" && r.Subresource != "attach") || !isVerb(e, "create", "get") ||
			!e.Allowed() || allow.allows(e) {
			return hit{}, false
		}
		pod := r.Namespace + "/" + r.Name
		h := hit{key: e.Who() + "\x00" + pod, attrs: map[string]string{"who": e.Who(), "pods": pod, "kind": r.Subresource}}
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
func podSubresource(sub string, verbs ...string) func(*audit.Event) (hit, bool) {
	return func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "pods" || r.Subresource != sub || !isVerb(e, verbs...) || !e.Allowed() {
			return hit{}, false
		}
		pod := r.Namespace + "/" + r.Name
		return hit{key: e.Who() + "\x00" + pod, attrs: map[string]string{"who": e.Who(), "pod": pod}}, true
	}
}

func newEphemeralDetector(o DetectOptions) Detector {
	return newPerKey(o, ruleEphemeral, podSubresource("ephemeralcontainers", "update", "patch"), func(a *aggregate) string {
		return fmt.Sprintf("%s added ephemeral containers to pod %s (%s)", a.attr("who"), a.attr("pod"), plural(a.count, "request"))
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
	return newPerKey(o, ruleNodeProxy, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "nodes" || r.Subresource != "proxy" || !e.Allowed() {
			return hit{}, false
		}
		path := kubeletPath(e.RequestURI)
		if harmlessKubeletPaths.match(path) {
			return hit{}, false
		}
		h := hit{key: e.Who() + "\x00" + r.Name, attrs: map[string]string{"who": e.Who(), "node": r.Name, "paths": redactCommand(path)}}
		if commandKubeletPaths.match(path) {
			h.severity = reports.Critical
		}
		return h, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s reached the kubelet of node %s through nodes/proxy (%s): %s", a.attr("who"), a.attr("node"), plural(a.count, "request"), a.attr("paths"))
	})
}
