# METADATA
# title: Subject can update or patch pod status
# description: >-
#   update or patch on pods/status rewrites a pod's status: its IPs and
#   conditions, which Services and EndpointSlices follow, so traffic for a
#   Service can be steered to a pod the subject controls, and readiness faked.
#   Low (rbac-police modify_pod_status); resourceNames restrict it to the named
#   pods. A rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg025
# custom:
#   id: KG025
#   slug: pods-status-write
#   severity: low
#   remediation: >-
#     Remove update and patch on pods/status; only the kubelet writes it.
#   tags: [stride:tampering, stride:spoofing, T1565]
#   catalogue: [U25]
#   references:
#     - rbac-police modify_pod_status
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/status], verbs: [update, patch]}
package kubegrant.rules.pods_status_write

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["", "pods/status"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["update", "patch"])
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
	"msg": sprintf("can rewrite the status of pods named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can rewrite the status of any pod %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(_) := "low"
