# METADATA
# title: Subject can create or change Secrets
# description: >-
#   create on secrets mints a legacy kubernetes.io/service-account-token Secret for
#   any ServiceAccount of the namespace, which the token controller fills with a
#   token; update and patch tamper with credentials and TLS keys in use.
#   resourceNames cannot restrict create; they do restrict update and patch to the
#   named Secrets (medium). Critical cluster-wide or in a privileged namespace. A
#   rule that is "*" in verbs, resources and apiGroups is KG001's and not reported
#   again here.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg010
# custom:
#   id: KG010
#   slug: secrets-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on secrets, or restrict update and patch with
#     resourceNames to the Secrets the subject manages.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1528, T1552.007]
#   catalogue: [U10]
#   references:
#     - rbac-police issue_token_secrets
#     - kubesplaining KUBE-PRIVESC-007
#     - rbac-scope 1012
#     - rbac-scope 1013
#     - KSV-0041
#     - KSV-0113
#   exercised_by:
#     - {apiGroups: [""], resources: [secrets], verbs: [create, update, patch]}
package kubegrant.rules.secrets_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, [["", "secrets"]], ["create", "update", "patch"])
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, pairs, open)
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s Secrets %s %s", [rbac.pair_verbs(pairs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s any Secret %s%s", [rbac.pair_verbs(open), rbac.where(g), note(open)]),
}

note(open) := ": mint a token Secret for any ServiceAccount there" if ["secrets", "create"] in open else := ""

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
