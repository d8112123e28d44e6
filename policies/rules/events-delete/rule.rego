# METADATA
# title: Subject can delete events
# description: >-
#   delete or deletecollection on events (core or events.k8s.io) erases the record
#   of what happened in the cluster: evidence destruction after an attack.
#   resourceNames restrict delete to the named events (low) but never
#   deletecollection. High cluster-wide or in a privileged namespace. A rule that is
#   "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg050
# custom:
#   id: KG050
#   slug: events-delete
#   severity: medium
#   remediation: >-
#     Remove delete and deletecollection on events; let their TTL expire them.
#   tags: [stride:repudiation, T1070]
#   catalogue: [U50]
#   references:
#     - kubescape C-0031
#     - kubescape rule-can-delete-k8s-events-v1
#   exercised_by:
#     - {apiGroups: ["", events.k8s.io], resources: [events], verbs: [delete, deletecollection]}
package kubegrant.rules.events_delete

import rego.v1

import data.kubegrant.lib.rbac

targets := [["", "events"], ["events.k8s.io", "events"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, targets, ["delete", "deletecollection"])
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, pairs, open)
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s events %s %s", [rbac.pair_verbs(pairs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s any event %s: erase the record of what happened", [rbac.pair_verbs(open), rbac.where(g)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
