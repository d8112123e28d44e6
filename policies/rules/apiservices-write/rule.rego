# METADATA
# title: Subject can register or change APIServices
# description: >-
#   Write access (create, update, patch, delete) to
#   apiregistration.k8s.io apiservices routes a whole API group and version to a
#   Service the subject chooses: the API server forwards every request for it,
#   with the caller's identity headers, to that backend (and can be told to skip
#   TLS verification). Critical; resourceNames restrict update, patch and delete
#   to the named APIServices, which still reroutes those groups (high).
#   APIServices are cluster-scoped, so a RoleBinding confines this to nothing. A
#   rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg041
# custom:
#   id: KG041
#   slug: apiservices-write
#   severity: critical
#   remediation: >-
#     Remove write verbs on apiservices; register aggregated APIs through the
#     platform's reviewed pipeline.
#   tags: [stride:spoofing, stride:information-disclosure, stride:tampering, T1557, T1556]
#   catalogue: [U41]
#   references:
#     - rbac-scope 1046
#   exercised_by:
#     - {apiGroups: [apiregistration.k8s.io], resources: [apiservices], verbs: [create, update, patch, delete]}
package kubegrant.rules.apiservices_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "apiregistration.k8s.io", "apiservices", ["create", "update", "patch", "delete"])
	count(verbs) > 0
	open := [v | some v in verbs; not rbac.restricts(rule, "apiservices", v)]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, verbs, open)
}

finding(i, g, verbs, open) := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s APIServices %s: reroute those API groups", [concat(", ", verbs), rbac.names(g.rule)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"msg": sprintf("can %s any APIService: route an API group to a backend it controls", [concat(", ", open)]),
}
