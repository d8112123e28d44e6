# METADATA
# title: Critical and high grants, by the ServiceAccount that holds them
# description: >-
#   held joins the findings of the grant rules listed in sources to the
#   ServiceAccount subjects that hold them, for the rules about where those
#   grants end up (a workload's token, the default ServiceAccount, a cloud
#   identity). Only critical and high findings count, and only for
#   ServiceAccounts some rule asks about (named default, run by a workload,
#   or carrying a cloud identity annotation), so the join stays small.
package kubegrant.lib.risk

import rego.v1

import data.kubegrant.lib.rbac

# sources lists [rule id, metadata severity, deny set] of every grant rule
# whose critical or high findings make a ServiceAccount's token worth
# stealing. policies_test.go checks the ids and severities against the
# rules' metadata. Rules about subjects (anonymous, authenticated, masters,
# ServiceAccount groups) and about objects are not sources.
sources := [
	["KG001", "critical", data.kubegrant.rules.cluster_admin_equivalent.deny],
	["KG008", "high", data.kubegrant.rules.secrets_get.deny],
	["KG009", "high", data.kubegrant.rules.secrets_list.deny],
	["KG010", "high", data.kubegrant.rules.secrets_write.deny],
	["KG011", "critical", data.kubegrant.rules.sa_token_create.deny],
	["KG017", "high", data.kubegrant.rules.pods_create.deny],
	["KG019", "medium", data.kubegrant.rules.pods_update.deny],
	["KG018", "high", data.kubegrant.rules.workload_write.deny],
	["KG020", "high", data.kubegrant.rules.pods_exec.deny],
	["KG021", "high", data.kubegrant.rules.pods_attach.deny],
	["KG022", "high", data.kubegrant.rules.pods_ephemeral_containers.deny],
	["KG023", "medium", data.kubegrant.rules.pods_portforward.deny],
	["KG024", "critical", data.kubegrant.rules.nodes_proxy.deny],
	["KG027", "critical", data.kubegrant.rules.rbac_escalate.deny],
	["KG028", "critical", data.kubegrant.rules.rbac_bind.deny],
	["KG029", "high", data.kubegrant.rules.rbac_bindings_write.deny],
	["KG030", "high", data.kubegrant.rules.rbac_roles_write.deny],
	["KG032", "critical", data.kubegrant.rules.impersonate.deny],
	["KG033", "high", data.kubegrant.rules.serviceaccounts_write.deny],
	["KG035", "critical", data.kubegrant.rules.csr_approve.deny],
	["KG036", "critical", data.kubegrant.rules.csr_sign.deny],
	["KG037", "critical", data.kubegrant.rules.admission_webhooks_write.deny],
	["KG040", "high", data.kubegrant.rules.crd_write.deny],
	["KG041", "critical", data.kubegrant.rules.apiservices_write.deny],
	["KG043", "high", data.kubegrant.rules.storage_runtime_write.deny],
	["KG044", "high", data.kubegrant.rules.leases_write.deny],
	["KG046", "high", data.kubegrant.rules.nodes_write.deny],
	["KG048", "high", data.kubegrant.rules.network_write.deny],
	["KG049", "medium", data.kubegrant.rules.delete_sensitive.deny],
	["KG051", "medium", data.kubegrant.rules.scale_write.deny],
	["KG101", "high", data.kubegrant.rules.namespaces_write.deny],
	["KG102", "high", data.kubegrant.rules.clusterroles_aggregate_write.deny],
	["KG104", "medium", data.kubegrant.rules.nonresource_urls.deny],
	["KG105", "high", data.kubegrant.rules.irsa_pivot.deny],
]

# binding_sources are the binding-level rules of the same kind.
binding_sources := [["KG003", "high", data.kubegrant.rules.builtin_admin_binding.deny]]

serious := {"critical", "high"}

# found holds [[namespace, name], anchor, rule id, severity, msg] for each
# critical or high finding on a ServiceAccount subject of interest, anchor
# being the finding's {"grant": i, "subject": j} or {"binding": b,
# "subject": j}.
found contains [[s.namespace, s.name], {"grant": f.grant, "subject": j}, id, sev, f.msg] if {
	count(input.saGrants) > 0
	some [id, def, fs] in sources
	some f in fs
	input.saGrants[f.grant]
	sev := object.get(f, "severity", def)
	sev in serious
	some j, s in input.grants[f.grant].subjects
	object.get(f, "subject", j) == j
	s.kind == "ServiceAccount"
	of_interest(s)
}

found contains [[s.namespace, s.name], {"binding": f.binding, "subject": f.subject}, id, sev, f.msg] if {
	some [id, def, fs] in binding_sources
	some f in fs
	sev := object.get(f, "severity", def)
	sev in serious
	s := input.bindings[f.binding].subjects[f.subject]
	s.kind == "ServiceAccount"
	of_interest(s)
}

# found_list is found as an array, for the indexed comprehension below.
found_list := [x | some x in found]

# held[[[namespace, name], anchor]] holds the [rule id, severity, msg] of
# found for one anchor of one ServiceAccount. It is one comprehension whose
# inner one OPA indexes on its closed-over variables; a partial object rule
# would check each new key against all the others.
held := {[sa, anchor]: triples |
	some [sa, anchor] in held_keys
	triples := {[found_list[k][2], found_list[k][3], found_list[k][4]] |
		some k
		found_list[k][0] == sa
		found_list[k][1] == anchor
	}
}

held_keys := {[x[0], x[1]] | some x in found}

of_interest(s) if s.name == "default"

of_interest(s) if input.workloadsBySA[s.namespace][s.name]

of_interest(s) if [s.namespace, s.name] in cloud_identities

# cloud_identities holds [namespace, name] of the ServiceAccounts with a
# cloud identity annotation.
cloud_identities contains [sa.namespace, sa.name] if {
	some sa in input.serviceAccounts
	count(sa.annotations) > 0
}

# top is the highest severity among found ([id, severity, msg] triples).
top(found) := "critical" if {
	some [_, "critical", _] in found
} else := "high"

# ids renders the rule ids of found, sorted.
ids(found) := concat(", ", sort({id | some [id, _, _] in found}))

# first_msg is the message of the first finding of the top severity, in
# rule id order.
first_msg(found) := sort([[id, msg] | some [id, sev, msg] in found; sev == top(found)])[0][1]

# anchor_binding_key is the binding key of the grant or binding an anchor
# points at.
anchor_binding_key(a) := rbac.binding_key(input.grants[a.grant].binding) if "grant" in object.keys(a)

anchor_binding_key(a) := rbac.binding_key(input.bindings[a.binding]) if "binding" in object.keys(a)

# workload renders input.workloads[w] as `Kind namespace/name`.
workload(w) := sprintf("%s %s/%s", [x.kind, x.namespace, x.name]) if x := input.workloads[w]

# workloads renders a non-empty list of workload indices for a message.
workloads(ws) := workload(ws[0]) if count(ws) == 1

workloads(ws) := sprintf("%s and %d other workloads", [workload(ws[0]), count(ws) - 1]) if count(ws) > 2

workloads(ws) := sprintf("%s and 1 other workload", [workload(ws[0])]) if count(ws) == 2
