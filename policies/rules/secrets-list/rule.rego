# METADATA
# title: Subject can list or watch Secrets
# description: >-
#   list and watch on secrets return every Secret's data in one call. resourceNames
#   only restrict list and watch to requests with a metadata.name field selector,
#   so a restricted grant is reported at medium. Critical cluster-wide or in a
#   privileged namespace.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg009
# custom:
#   id: KG009
#   slug: secrets-list
#   severity: high
#   remediation: >-
#     Remove list and watch on secrets; grant get on named Secrets instead.
#   tags: [stride:information-disclosure, T1552.007]
#   catalogue: [U09]
#   references:
#     - rbac-police list_secrets
#     - KubiScan risky-list-secrets
#     - KSV-0041
#     - KSV-0113
#     - checkov CKV2_K8S_5
#     - kube-linter access-to-secrets
#     - kubesplaining KUBE-PRIVESC-005
#     - KubeHound TOKEN_LIST
#   exercised_by:
#     - {apiGroups: [""], resources: [secrets], verbs: [list, watch]}
package kubegrant.rules.secrets_list

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	verbs := rbac.allowed_verbs(rule, "", "secrets", ["list", "watch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf(
		"can %s Secrets %s %s, only with a metadata.name field selector",
		[verbs, rbac.names(g.rule), rbac.where(g)],
	),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s every Secret %s", [verbs, rbac.where(g)]),
}

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
