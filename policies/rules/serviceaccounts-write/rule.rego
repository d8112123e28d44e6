# METADATA
# title: Subject can create or change ServiceAccounts
# description: >-
#   create, update or patch on serviceaccounts re-points a ServiceAccount's cloud
#   identity (the eks.amazonaws.com/role-arn or iam.gke.io/gcp-service-account
#   annotation) and its imagePullSecrets, and creates ServiceAccounts whose name a
#   binding already refers to (KG059). High cluster-wide or in a privileged
#   namespace, medium in other namespaces. resourceNames cannot restrict create;
#   they do restrict update and patch to the named ServiceAccounts (low). A rule
#   that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg033
# custom:
#   id: KG033
#   slug: serviceaccounts-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on serviceaccounts; create ServiceAccounts
#     and their cloud identity annotations through a reviewed pipeline.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1098, T1078.004]
#   catalogue: [U33]
#   references:
#     - rbac-scope 1067
#     - rbac-scope 1068
#   exercised_by:
#     - {apiGroups: [""], resources: [serviceaccounts], verbs: [create, update, patch]}
package kubegrant.rules.serviceaccounts_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "serviceaccounts", ["create", "update", "patch"])
	count(verbs) > 0
	open := [v | some v in verbs; not rbac.restricts(rule, "serviceaccounts", v)]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, verbs, open)
}

finding(i, g, verbs, open) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s ServiceAccounts %s %s", [concat(", ", verbs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s any ServiceAccount %s: re-point its cloud identity annotations", [concat(", ", open), rbac.where(g)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
