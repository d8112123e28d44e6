# METADATA
# title: Subject can change API priority and fairness
# description: >-
#   Writing FlowSchemas or PriorityLevelConfigurations
#   (flowcontrol.apiserver.k8s.io) decides which requests the API server serves
#   and which it queues or rejects: the subject can starve controllers, kubelets
#   and people of the API (denial of service), or exempt its own traffic from
#   limits. Cluster-scoped: only a ClusterRoleBinding grants it. High;
#   resourceNames restrict it to the named objects (low).
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg042
# custom:
#   id: KG042
#   slug: flowcontrol-write
#   severity: high
#   remediation: >-
#     Remove write verbs on flowschemas and prioritylevelconfigurations; leave
#     API priority and fairness to cluster administrators.
#   tags: [stride:denial-of-service, T1499]
#   catalogue: [U42]
#   references:
#     - rbac-scope 1098
#     - rbac-scope 1099
#   exercised_by:
#     - {apiGroups: [flowcontrol.apiserver.k8s.io], resources: [flowschemas, prioritylevelconfigurations], verbs: [create, update, patch, delete, deletecollection]}
package kubegrant.rules.flowcontrol_write

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["flowcontrol.apiserver.k8s.io", "flowschemas"], ["flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"]]

target_groups := {t[0] | some t in targets}

deny contains f if {
	some k, rule in input.rules
	rbac.may_touch(rule, target_groups)
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["create", "update", "patch", "delete", "deletecollection"])
		count(vs) > 0
	]
	count(hits) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	g.scope == "" # cluster-scoped: a RoleBinding grants nothing
	f := finding(i, g, hits)
}

label(t) := t[1] if t[0] == ""

label(t) := sprintf("%s.%s", [t[1], t[0]]) if t[0] != ""

finding(i, g, hits) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can change API priority and fairness objects named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can change API priority and fairness %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(_) := "high"
