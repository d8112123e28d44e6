# METADATA
# title: Subject can reach the kubelet API through nodes/proxy
# description: >-
#   get or create on nodes/proxy reaches the full kubelet API, including exec in
#   every pod on the node; GET is enough (WebSocket), and the kubelet calls inside
#   bypass audit and admission. nodes are cluster-scoped, so a RoleBinding confines
#   this to nothing and only cluster-wide grants are reported. resourceNames
#   restrict it to the named nodes.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg024
# custom:
#   id: KG024
#   slug: nodes-proxy
#   severity: critical
#   remediation: >-
#     Remove get and create on nodes/proxy; grant nodes/metrics or nodes/stats for
#     monitoring instead.
#   tags: [stride:elevation-of-privilege, T1609, T1611]
#   catalogue: [U24]
#   references:
#     - rbac-police nodes_proxy
#     - KubiScan risky-execute-command-node-proxy
#     - KSV-0047
#     - kubescape C-0279
#     - kubescape node-proxy-access-v1
#     - checkov CKV2_K8S_2
#     - rbac-tool Create Node Proxy
#     - kubesplaining KUBE-PRIVESC-012
#     - rbac-scope 1014
#   exercised_by:
#     - {apiGroups: [""], resources: [nodes/proxy], verbs: ["*"]}
package kubegrant.rules.nodes_proxy

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	verbs := rbac.allowed_verbs(rule, "", "nodes/proxy", ["get", "create"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.reaches(g, "nodes/proxy")
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s nodes/proxy on nodes %s: the kubelet API of those nodes, exec in their pods included", [verbs, rbac.names(g.rule)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "critical",
	"msg": sprintf("can %s nodes/proxy on every node: the kubelet API, exec in every pod included", [verbs]),
}
