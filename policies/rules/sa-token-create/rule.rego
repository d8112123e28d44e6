# METADATA
# title: Subject can mint ServiceAccount tokens (TokenRequest)
# description: >-
#   create on serviceaccounts/token is the TokenRequest API: the subject can mint a
#   token for any ServiceAccount it can name in the grant's scope and act with that
#   account's permissions. The name is in the URL, so resourceNames do restrict it
#   to the named ServiceAccounts. Critical cluster-wide or in a privileged namespace.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg011
# custom:
#   id: KG011
#   slug: sa-token-create
#   severity: critical
#   remediation: >-
#     Remove create on serviceaccounts/token, or restrict it with resourceNames to
#     the ServiceAccounts the subject must mint tokens for.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1528, T1552.007]
#   catalogue: [U11]
#   references:
#     - rbac-police token_request
#     - rbac-police obtain_token_weak_ns
#     - kubescape C-0282
#     - kubescape create-serviceaccount-token-v1
#     - kubesplaining KUBE-PRIVESC-014
#     - rbac-scope 1047
#     - rbac-scope 1048
#   exercised_by:
#     - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
package kubegrant.rules.sa_token_create

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	rbac.allows(rule, "", "serviceaccounts/token", "create")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g)
}

finding(i, g) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can mint tokens %s, restricted to ServiceAccounts %s", [rbac.where(g), rbac.names(g.rule)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can mint a token for any ServiceAccount %s and act as it", [rbac.where(g)]),
}

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
