# METADATA
# title: Subject can port-forward to pods
# description: >-
#   create on pods/portforward opens a tunnel from the subject to any port of a
#   pod, past NetworkPolicy and Service exposure. get is enough for a WebSocket
#   port-forward until KEP-4006 (AuthorizePodWebsocketUpgradeCreatePermission) is
#   on. resourceNames restrict it to the named pods (low). High cluster-wide or in a
#   privileged namespace. A rule that is "*" in verbs, resources and apiGroups is
#   KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg023
# custom:
#   id: KG023
#   slug: pods-portforward
#   severity: medium
#   remediation: >-
#     Remove create and get on pods/portforward, or restrict them with resourceNames
#     to the pods the subject must reach.
#   tags: [stride:information-disclosure, stride:elevation-of-privilege, T1090, T1599]
#   catalogue: [U23, G3]
#   references:
#     - kubescape C-0063
#     - kubescape rule-can-portforward-v1
#     - kubesplaining KUBE-PRIVESC-015
#     - rbac-scope 1004
#     - rbac-scope 1005
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/portforward], verbs: [create, get]}
package kubegrant.rules.pods_portforward

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "pods/portforward", ["create", "get"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, verbs)
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can port-forward to pods %s %s%s", [rbac.names(g.rule), rbac.where(g), how(verbs)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can port-forward to any pod %s%s", [rbac.where(g), how(verbs)]),
}

how(verbs) := " (get only: WebSocket port-forward before KEP-4006)" if verbs == ["get"] else := ""

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
