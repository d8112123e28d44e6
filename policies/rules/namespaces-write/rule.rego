# METADATA
# title: Subject can relabel namespaces
# description: >-
#   update or patch on namespaces changes their labels, among them
#   pod-security.kubernetes.io/enforce: set it to privileged and Pod Security
#   Admission lets privileged, hostPath and host-namespace pods in, so anyone who
#   can create pods there can take over the node. A RoleBinding reaches the
#   Namespace object it lives in (the request carries that namespace), so it can
#   relabel its own namespace: medium; high cluster-wide or in a privileged
#   namespace. resourceNames restrict it to the named namespaces (medium). A rule
#   that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg101
# custom:
#   id: KG101
#   slug: namespaces-write
#   severity: high
#   remediation: >-
#     Remove update and patch on namespaces; manage namespace labels (Pod
#     Security levels above all) through a reviewed pipeline, and pin them with a
#     validating admission policy.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1562.001, T1611]
#   catalogue: [G1]
#   references:
#     - kubegrant G1 (no anchor tool covers it)
#   exercised_by:
#     - {apiGroups: [""], resources: [namespaces], verbs: [update, patch]}
package kubegrant.rules.namespaces_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "namespaces", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	reached := [v | some v in verbs; rbac.reaches_verb(g, "namespaces", v)]
	count(reached) > 0
	f := finding(i, g, concat(", ", reached))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s namespaces %s %s: relabel their Pod Security level", [verbs, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s every namespace: relabel its Pod Security level to privileged", [verbs]),
} if {
	rbac.cluster_wide(g)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s the namespace %q itself: relabel its Pod Security level to privileged", [verbs, g.scope]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
