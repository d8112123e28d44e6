# METADATA
# title: Subject can scale Deployments or StatefulSets
# description: >-
#   update or patch on deployments/scale or statefulsets/scale sets the replica
#   count: scale a workload to zero (denial of service) or to thousands
#   (resource exhaustion, cost). It does not change the pod template. Medium;
#   high cluster-wide or in a privileged namespace, where the control plane's
#   add-ons run. resourceNames restrict it to the named workloads (low). A rule
#   that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg051
# custom:
#   id: KG051
#   slug: scale-write
#   severity: medium
#   remediation: >-
#     Remove update and patch on the scale subresources; let a
#     HorizontalPodAutoscaler or the deployment pipeline own replica counts.
#   tags: [stride:denial-of-service, T1499, T1496]
#   catalogue: [U51]
#   references:
#     - rbac-scope 1096
#     - rbac-scope 1097
#   exercised_by:
#     - {apiGroups: [apps], resources: [deployments/scale, statefulsets/scale], verbs: [update, patch]}
package kubegrant.rules.scale_write

import rego.v1

import data.kubegrant.lib.rbac

targets := [["apps", "deployments/scale"], ["apps", "statefulsets/scale"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, targets, ["update", "patch"])
	count(pairs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, pairs)
}

finding(i, g, pairs) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s %s named %s %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s %s of any workload %s: scale it to zero or exhaust resources", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.where(g)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
