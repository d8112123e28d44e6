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
#   kind: identity
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

import data.kubegrant.lib.identity

# One finding per default ServiceAccount that some binding names: every pod
# of its namespace without serviceAccountName holds what it holds.
identity_deny contains f if {
	some i, id in input.identities
	id.name == "default"
	count(id.bindings) > 0
	f := finding(i, id)
}

finding(i, id) := {
	"identity": i,
	"severity": "high",
	"msg": sprintf("%s grant%s the default ServiceAccount of namespace %q%s, which then holds %s", [
		bindings(id), plural(id), id.namespace, used_by(id), identity.ids(held),
	]),
} if {
	held := identity.serious(id)
	count(held) > 0
} else := {
	"identity": i,
	"severity": "medium",
	"msg": sprintf("%s grant%s roles to the default ServiceAccount of namespace %q%s: every pod there without serviceAccountName holds them", [
		bindings(id), plural(id), id.namespace, used_by(id),
	]),
}

bindings(id) := concat(", ", sort({sprintf("%s %s", [b.kind, b.name]) | some b in id.bindings}))

plural(id) := "s" if count(id.bindings) == 1 else := ""

used_by(id) := sprintf(" (run by %s)", [identity.workloads(id.workloads)]) if {
	count(id.workloads) > 0
} else := ""
