# METADATA
# title: Subject can exec into pods
# description: >-
#   create on pods/exec runs commands in a pod's containers and reads their mounted
#   ServiceAccount tokens. get is enough for a WebSocket exec until KEP-4006
#   (AuthorizePodWebsocketUpgradeCreatePermission) is on. resourceNames restrict it
#   to the named pods. Critical cluster-wide or in a privileged namespace.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg020
# custom:
#   id: KG020
#   slug: pods-exec
#   severity: high
#   remediation: >-
#     Remove create and get on pods/exec; use ephemeral debug sessions granted just
#     in time instead.
#   tags: [stride:elevation-of-privilege, T1609, T1552.007]
#   catalogue: [U20, G3]
#   references:
#     - rbac-police pods_exec
#     - KubiScan risky-exec-pods
#     - krane risky-exec-pods
#     - KSV-0053
#     - kubescape C-0002
#     - kubescape exec-into-container-v1
#     - checkov CKV2_K8S_2
#     - rbac-tool Exec into Pod
#     - kubesplaining KUBE-PRIVESC-004
#     - rbac-scope 1000
#     - rbac-scope 1001
#     - KubeHound POD_EXEC
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/exec], verbs: [create, get]}
package kubegrant.rules.pods_exec

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	verbs := rbac.allowed_verbs(rule, "", "pods/exec", ["create", "get"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, verbs)
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can exec into pods %s %s%s", [rbac.names(g.rule), rbac.where(g), how(verbs)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can exec into any pod %s%s", [rbac.where(g), how(verbs)]),
}

how(verbs) := " (get only: WebSocket exec before KEP-4006)" if verbs == ["get"] else := ""

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
