# METADATA
# title: Subject can attach to pods
# description: >-
#   create on pods/attach attaches to the running process of a pod's container
#   (its stdin and stdout), and with it the container's ServiceAccount token. get is
#   enough for a WebSocket attach until KEP-4006
#   (AuthorizePodWebsocketUpgradeCreatePermission) is on. resourceNames restrict it
#   to the named pods. Critical cluster-wide or in a privileged namespace.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg021
# custom:
#   id: KG021
#   slug: pods-attach
#   severity: high
#   remediation: >-
#     Remove create and get on pods/attach; use ephemeral debug sessions granted just
#     in time instead.
#   tags: [stride:elevation-of-privilege, T1609]
#   catalogue: [U21, G3]
#   references:
#     - KubiScan risky-attach-pods
#     - krane risky-attach-pods
#     - KSV-0054
#     - kubesplaining KUBE-PRIVESC-004
#     - rbac-scope 1002
#     - rbac-scope 1003
#     - KubeHound POD_ATTACH
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/attach], verbs: [create, get]}
package kubegrant.rules.pods_attach

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	verbs := rbac.allowed_verbs(rule, "", "pods/attach", ["create", "get"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, verbs)
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can attach to pods %s %s%s", [rbac.names(g.rule), rbac.where(g), how(verbs)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can attach to any pod %s%s", [rbac.where(g), how(verbs)]),
}

how(verbs) := " (get only: WebSocket attach before KEP-4006)" if verbs == ["get"] else := ""

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
