# METADATA
# title: Subject can use a PodSecurityPolicy
# description: >-
#   use on podsecuritypolicies (policy or extensions) let a subject create pods
#   under that PodSecurityPolicy: with a privileged policy, privileged and host-
#   namespace pods. PodSecurityPolicy was removed in Kubernetes 1.25, so the
#   grant is inert on current clusters and critical on older ones with
#   privileged policies; the severity assumes a cluster old enough to have them.
#   resourceNames restrict it to the named policies (low).
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg062
# custom:
#   id: KG062
#   slug: psp-use
#   severity: high
#   remediation: >-
#     On clusters before 1.25, grant use only on restricted policies; on current
#     clusters remove the rule (PodSecurityPolicy is gone; use Pod Security
#     Admission).
#   tags: [stride:elevation-of-privilege, T1611]
#   catalogue: [U62]
#   references:
#     - rbac-scope 1078
#     - krane privileged-psp
#     - rbac-tool PSP use
#   exercised_by:
#     - {apiGroups: [policy, extensions], resources: [podsecuritypolicies], verbs: [use]}
package kubegrant.rules.psp_use

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["policy", "podsecuritypolicies"], ["extensions", "podsecuritypolicies"]]

target_groups := {t[0] | some t in targets}

deny contains f if {
	some k, rule in input.rules
	rbac.may_touch(rule, target_groups)
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["use"])
		count(vs) > 0
	]
	count(hits) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, hits)
}

label(t) := t[1] if t[0] == ""

label(t) := sprintf("%s.%s", [t[1], t[0]]) if t[0] != ""

finding(i, g, hits) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can use PodSecurityPolicies named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can use any PodSecurityPolicy %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(_) := "high"
