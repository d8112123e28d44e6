# METADATA
# title: Subject can create or change CustomResourceDefinitions
# description: >-
#   Write access (create, update, patch, delete) to
#   apiextensions.k8s.io customresourcedefinitions shadows or alters APIs: a
#   conversion webhook receives every object of the CRD's kinds on read and
#   write, a changed schema drops the fields an operator relies on, and delete
#   removes every object of the kind. CRDs are cluster-scoped, so a RoleBinding
#   confines this to nothing. resourceNames cannot restrict create; they restrict
#   the other verbs to the named CRDs (medium). A rule that is "*" in verbs,
#   resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg040
# custom:
#   id: KG040
#   slug: crd-write
#   severity: high
#   remediation: >-
#     Remove write verbs on customresourcedefinitions; install CRDs through the
#     platform's reviewed pipeline.
#   tags: [stride:tampering, stride:information-disclosure, T1546, T1565]
#   catalogue: [U40]
#   references:
#     - rbac-tool
#     - rbac-scope 1045
#   exercised_by:
#     - {apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [create, update, patch, delete]}
package kubegrant.rules.crd_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "apiextensions.k8s.io", "customresourcedefinitions", ["create", "update", "patch", "delete"])
	count(verbs) > 0
	open := [v | some v in verbs; not rbac.restricts(rule, "customresourcedefinitions", v)]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, verbs, open)
}

finding(i, g, verbs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s CustomResourceDefinitions %s", [concat(", ", verbs), rbac.names(g.rule)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"msg": sprintf("can %s any CustomResourceDefinition: add conversion webhooks, alter or remove APIs", [concat(", ", open)]),
}
