# METADATA
# title: Subject can read pod logs
# description: >-
#   get on pods/log reads what containers print: applications log tokens,
#   connection strings and personal data more often than they should, and a log
#   is readable long after the secret it leaked was rotated in the app. Medium;
#   high cluster-wide or in a privileged namespace, whose components log the
#   most sensitive material; resourceNames restrict it to the named pods (low).
#   A rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg016
# custom:
#   id: KG016
#   slug: pods-log-read
#   severity: medium
#   remediation: >-
#     Remove get on pods/log from roles that do not debug the workloads, or
#     restrict it with resourceNames to the pods concerned; keep credentials out
#     of logs.
#   tags: [stride:information-disclosure, T1552, T1005]
#   catalogue: [U16]
#   references:
#     - rbac-scope 1018
#     - rbac-scope 1019
#     - KSV-0042
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/log], verbs: [get]}
package kubegrant.rules.pods_log_read

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["", "pods/log"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["get"])
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
	"msg": sprintf("can read the logs of pods named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can read the logs of any pod %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
