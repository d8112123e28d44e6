package detect

import (
	"fmt"

	"github.com/kubegrant/kubegrant/reports"
)

// Command and control (ATT&CK TA0011): tunnels into pods.

func init() {
	register(
		Detection{Rule: rulePortForward, Resources: []string{"pods"}, New: newPortForwardDetector},
	)
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

func newPortForwardDetector(o DetectOptions) Detector {
	return newPerKey(o, rulePortForward, podSubresource("portforward", "create", "get"), func(a *aggregate) string {
		return fmt.Sprintf("%s port-forwarded to pod %s (%s)", a.attr("who"), a.attr("pod"), plural(a.count, "session"))
	})
}
