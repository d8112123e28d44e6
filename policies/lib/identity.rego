# METADATA
# title: Helpers for the identity rules
# description: >-
#   The identity rules (custom.kind identity) see input.identities: the
#   ServiceAccounts that workloads run as, that are named default, or that
#   carry a cloud identity, and the identities that can mint tokens. Each
#   has holds (its own and its groups' capability findings, with their final
#   severity), workloads (with mounted: whether the pods hold its token) and
#   bindings.
package kubegrant.lib.identity

import rego.v1

serious_severities := {"critical", "high"}

# serious lists the critical and high capabilities an identity holds.
serious(id) := [h | some h in id.holds; h.severity in serious_severities]

# top is the highest severity of holds.
top(holds) := "critical" if {
	some h in holds
	h.severity == "critical"
} else := "high" if {
	some h in holds
	h.severity == "high"
} else := "medium" if {
	some h in holds
	h.severity == "medium"
} else := "low"

# ids renders the rule ids of holds, sorted.
ids(holds) := concat(", ", sort({h.id | some h in holds}))

# first_msg is the message of the first hold of the top severity, in rule
# id order.
first_msg(holds) := msg if {
	t := top(holds)
	msg := min({[h.id, h.msg] | some h in holds; h.severity == t})[1]
}

# mounted lists the workloads whose pods hold the identity's token.
mounted(id) := [w | some w in id.workloads; w.mounted]

# workload renders a workload as `Kind namespace/name`.
workload(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.name])

# workloads renders a non-empty list of workloads for a message.
workloads(ws) := workload(ws[0]) if count(ws) == 1

workloads(ws) := sprintf("%s and 1 other workload", [workload(ws[0])]) if count(ws) == 2

workloads(ws) := sprintf("%s and %d other workloads", [workload(ws[0]), count(ws) - 1]) if count(ws) > 2

# name renders the identity as namespace/name.
name(id) := concat("/", [id.namespace, id.name])
