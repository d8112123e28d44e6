# METADATA
# title: Subject can update or patch running pods
# description: >-
#   update or patch on pods can swap the image of a running container (and change
#   labels and tolerations): the new image runs with the pod's ServiceAccount
#   token, so the subject takes over the most powerful ServiceAccount any pod
#   in scope runs as. High cluster-wide or in a privileged namespace, medium in
#   other namespaces. resourceNames restrict it to the named pods (low). A rule
#   that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg019
# custom:
#   id: KG019
#   slug: pods-update
#   severity: medium
#   remediation: >-
#     Remove update and patch on pods; change workloads through their controller
#     (Deployment, StatefulSet…) and a reviewed pipeline.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1525, T1610]
#   catalogue: [U19]
#   references:
#     - rbac-police modify_pods
#     - rbac-police rce_weak_ns
#     - KubeHound POD_PATCH
#     - rbac-scope 1008
#     - rbac-scope 1009
#   exercised_by:
#     - {apiGroups: [""], resources: [pods], verbs: [update, patch]}
package kubegrant.rules.pods_update

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "pods", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s pods %s %s", [verbs, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s any pod %s: swap its image and run as its ServiceAccount", [verbs, rbac.where(g)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
