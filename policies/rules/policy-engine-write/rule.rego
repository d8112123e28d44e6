# METADATA
# title: Subject can change admission policy engines
# description: >-
#   Gatekeeper's ConstraintTemplates, mutations and config, and Kyverno's
#   policies and exceptions decide what admission lets in and how it rewrites
#   objects: whoever writes them can switch a guard off (a policy exception, an
#   emptied template), or weaponise a mutation that injects containers or
#   changes images in every admitted pod. High; resourceNames restrict it to the
#   named objects (low).
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg039
# custom:
#   id: KG039
#   slug: policy-engine-write
#   severity: high
#   remediation: >-
#     Keep write verbs on policy-engine resources for the platform team's GitOps
#     identity; review policy exceptions like code.
#   tags: [stride:tampering, stride:elevation-of-privilege, T1562.001, T1610]
#   catalogue: [U39]
#   references:
#     - rbac-tool admission controllers
#   exercised_by:
#     - {apiGroups: [templates.gatekeeper.sh, mutations.gatekeeper.sh, config.gatekeeper.sh, kyverno.io], resources: ["*"], verbs: [create, update, patch, delete, deletecollection]}
package kubegrant.rules.policy_engine_write

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["templates.gatekeeper.sh", "constrainttemplates"], ["mutations.gatekeeper.sh", "assign"], ["mutations.gatekeeper.sh", "assignmetadata"], ["mutations.gatekeeper.sh", "modifyset"], ["mutations.gatekeeper.sh", "assignimage"], ["config.gatekeeper.sh", "configs"], ["kyverno.io", "clusterpolicies"], ["kyverno.io", "policies"], ["kyverno.io", "policyexceptions"], ["kyverno.io", "cleanuppolicies"], ["kyverno.io", "clustercleanuppolicies"]]

target_groups := {t[0] | some t in targets}

deny contains f if {
	some k, rule in input.rules
	rbac.may_touch(rule, target_groups)
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["create", "update", "patch", "delete", "deletecollection"])
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
	"msg": sprintf("can change policy-engine objects named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can change admission policies %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(_) := "high"
