# METADATA
# title: Subject can read Secrets by name
# description: >-
#   get on secrets returns a Secret's data to anyone who knows or guesses its name,
#   including legacy ServiceAccount token Secrets. resourceNames restrict it to the
#   named Secrets. Critical cluster-wide or in a privileged namespace.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg008
# custom:
#   id: KG008
#   slug: secrets-get
#   severity: high
#   remediation: >-
#     Remove get on secrets, or restrict it with resourceNames to the Secrets the
#     subject needs.
#   tags: [stride:information-disclosure, T1552.007]
#   catalogue: [U08]
#   references:
#     - KubiScan risky-get-secrets
#     - krane risky-get-secrets
#     - rbac-police retrieve_token_secrets
#     - rbac-tool Secret Readers
#     - kubesplaining KUBE-PRIVESC-006
#     - KubeHound TOKEN_BRUTEFORCE
#     - kubescape C-0015
#     - kubescape C-0186
#     - rbac-scope 1010
#     - rbac-scope 1011
#   exercised_by:
#     - {apiGroups: [""], resources: [secrets], verbs: [get]}
package kubegrant.rules.secrets_get

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	rbac.allows(rule, "", "secrets", "get")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g)
}

finding(i, g) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can read Secrets %s %s", [rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can read any Secret by name %s", [rbac.where(g)]),
}

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
