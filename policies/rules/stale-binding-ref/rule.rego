# METADATA
# title: Binding refers to a role or ServiceAccount that does not exist
# description: >-
#   A binding whose roleRef or ServiceAccount subject does not exist is a
#   squatting target: whoever creates a ServiceAccount of that name inherits the
#   binding's permissions (medium, low when the binding only reads), and whoever
#   creates the missing role decides what its subjects hold (low). Absence only
#   proves something when the scan loaded that kind of object for that
#   namespace, so a missing ServiceAccount is reported only when some
#   ServiceAccount of its namespace was loaded, a missing Role only when some
#   Role of the binding's namespace was, and a missing ClusterRole only when the
#   built-in ClusterRole cluster-admin was (a live cluster or a full export;
#   manifests usually refer to built-in ClusterRoles they do not contain).
#   Every namespace has a default ServiceAccount, so it is never missing.
#   Silent on input without such objects.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg059
# custom:
#   id: KG059
#   slug: stale-binding-ref
#   severity: medium
#   remediation: >-
#     Delete the binding, or the subject entry, that refers to the missing
#     object, or create the object on purpose with the intended permissions.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1098, T1078]
#   catalogue: [U59]
#   references:
#     - krane subjects-with-non-existing-roles
#     - kube-linter flagRolesNotFound
#     - kube-linter non-existent-service-account
#     - kubescape C-0307
#     - kubesplaining KUBE-RBAC-STALE-001
#     - kubesplaining KUBE-RBAC-STALE-002
package kubegrant.rules.stale_binding_ref

import rego.v1

import data.kubegrant.lib.rbac

role_keys := {rbac.subject_key(r) | some r in input.roles}

role_namespaces := {r.namespace | some r in input.roles; r.kind == "Role"}

sa_keys := {rbac.ref_key("ServiceAccount", sa.namespace, sa.name) | some sa in input.serviceAccounts}

sa_namespaces := {sa.namespace | some sa in input.serviceAccounts}

full_cluster_roles if "ClusterRole//cluster-admin" in role_keys

# A missing ServiceAccount subject.
deny contains f if {
	count(sa_keys) > 0
	some ns in sa_namespaces
	some name, refs in object.get(rbac.subject_index, ["ServiceAccount", ns], {})
	name != "default"
	not rbac.ref_key("ServiceAccount", ns, name) in sa_keys
	some [b, j] in refs
	binding := input.bindings[b]
	s := binding.subjects[j]
	f := {
		"binding": b,
		"subject": j,
		"severity": sa_severity(binding),
		"msg": sprintf("%s %s names ServiceAccount %s/%s, which does not exist: whoever creates it holds %s %q", [
			binding.kind, binding.name, s.namespace, s.name, binding.roleRef.kind, binding.roleRef.name,
		]),
	}
}

sa_severity(binding) := "low" if rbac.power(binding) in {"read", "narrow"} else := "medium"

# A missing roleRef.
deny contains f if {
	count(role_keys) > 0
	some kind, namespaces in rbac.role_ref_index
	some ns, names in namespaces
	judged(kind, ns)
	some name, bs in names
	not rbac.ref_key(kind, ns, name) in role_keys
	some b in bs
	binding := input.bindings[b]
	f := {
		"binding": b,
		"severity": "low",
		"msg": sprintf("%s %s refers to %s %q, which does not exist: whoever creates it decides what the binding grants", [
			binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name,
		]),
	}
}

# judged holds for the roleRefs of kind in namespace ns that the input can
# tell missing: Roles of a namespace whose Roles it holds, ClusterRoles when
# it holds the built-in ones (a full export).
judged("Role", ns) if ns in role_namespaces

judged("ClusterRole", _) if full_cluster_roles
