# METADATA
# title: Binding grants a role to a namespace's default ServiceAccount
# description: >-
#   Every pod that does not name a ServiceAccount runs as its namespace's
#   default one, so a role bound to it is held by every such pod, present and
#   future, and by whoever can create pods there. Medium; high when the
#   binding gives the default ServiceAccount a critical or high grant of another
#   rule (those rules' ids are named). The binding alone is the evidence, so this
#   fires on RBAC-only input too; when workloads were loaded the message counts
#   those that run as the default ServiceAccount. One finding per binding
#   subject.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg056
# custom:
#   id: KG056
#   slug: default-sa-rbac
#   severity: medium
#   remediation: >-
#     Bind the role to a dedicated ServiceAccount and set serviceAccountName on
#     the workloads that need it; leave the default ServiceAccount without
#     bindings.
#   tags: [stride:elevation-of-privilege, T1078.001, T1528]
#   catalogue: [U56]
#   references:
#     - kubesplaining KUBE-SA-DEFAULT-001
#     - kubesplaining KUBE-SA-DEFAULT-002
#     - kubescape C-0189
#     - checkov CKV_K8S_42
#     - kube-linter default-service-account
package kubegrant.rules.default_sa_rbac

import rego.v1

import data.kubegrant.lib.rbac
import data.kubegrant.lib.risk

deny contains f if {
	some b, binding in input.bindings
	some j, s in binding.subjects
	s.kind == "ServiceAccount"
	s.name == "default"
	key := [s.namespace, s.name]
	f := finding(b, j, binding, s, key, ids_for(key, rbac.binding_key(binding)))
}

# serious holds [[namespace, name], binding key, rule id] for each critical or
# high finding the binding gives a default ServiceAccount; serious_ids
# groups the rule ids by [[namespace, name], binding key]. Both are built once:
# a lookup in a partial rule with a bound key would evaluate it again.
serious contains [key, risk.anchor_binding_key(anchor), id] if {
	some [key, anchor], found in risk.held
	key[1] == "default"
	some [id, _, _] in found
}

serious_ids := {[key, bkey]: ids |
	some [key, bkey, _] in serious
	ids := {id | some [key2, bkey2, id] in serious; key2 == key; bkey2 == bkey}
}

ids_for(key, bkey) := ids if {
	ids := serious_ids[[key, bkey]]
} else := set()

finding(b, j, binding, s, key, ids) := {
	"binding": b,
	"subject": j,
	"severity": "high",
	"msg": sprintf("%s %s grants %s %q to the default ServiceAccount of namespace %q%s, which then holds %s", [
		binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, s.namespace,
		used_by(key), concat(", ", sort(ids)),
	]),
} if {
	count(ids) > 0
} else := {
	"binding": b,
	"subject": j,
	"severity": "medium",
	"msg": sprintf("%s %s grants %s %q to the default ServiceAccount of namespace %q%s: every pod there without serviceAccountName holds it", [
		binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, s.namespace, used_by(key),
	]),
}

used_by(key) := sprintf(" (run by %s)", [risk.workloads(ws)]) if {
	ws := input.workloadsBySA[key[0]][key[1]]
} else := ""
