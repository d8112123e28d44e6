# METADATA
# title: Subject can write admission webhook configurations
# description: >-
#   create, update or patch on mutatingwebhookconfigurations or
#   validatingwebhookconfigurations sends every admitted object (Secrets and pod
#   specs included) to a webhook of the subject's choosing, which can read and, if
#   mutating, rewrite them: critical. delete alone disables the guards other
#   webhooks enforce: high. Both are cluster-scoped, so a RoleBinding confines this
#   to nothing. resourceNames cannot restrict create; they do restrict update,
#   patch and delete to the named configurations (high). A rule that is "*" in
#   verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg037
# custom:
#   id: KG037
#   slug: admission-webhooks-write
#   severity: critical
#   remediation: >-
#     Remove write verbs on admission webhook configurations; only the operator that
#     owns a webhook needs update on it, restricted with resourceNames.
#   tags: [stride:tampering, stride:information-disclosure, stride:elevation-of-privilege, T1562.001, T1546]
#   catalogue: [U37]
#   references:
#     - rbac-police control_webhooks
#     - KSV-0114
#     - checkov CKV_K8S_155
#     - kubescape C-0281
#     - rbac-tool admission controllers
#     - rbac-scope 1043
#     - rbac-scope 1044
#   exercised_by:
#     - {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations, validatingwebhookconfigurations], verbs: [create, update, patch, delete]}
package kubegrant.rules.admission_webhooks_write

import rego.v1

import data.kubegrant.lib.rbac

group := "admissionregistration.k8s.io"

targets := [[group, "mutatingwebhookconfigurations"], [group, "validatingwebhookconfigurations"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, targets, ["create", "update", "patch", "delete"])
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, pairs, open)
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s %s named %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.names(g.rule)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can delete any %s: disable admission guards", [rbac.pair_resources(open)]),
} if {
	every p in open {
		p[1] == "delete"
	}
} else := {
	"grant": i,
	"severity": "critical",
	"msg": sprintf("can %s any %s: receive and rewrite every admitted object", [rbac.pair_verbs(open), rbac.pair_resources(open)]),
}
