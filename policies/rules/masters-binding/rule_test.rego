package kubegrant.rules.masters_binding

import rego.v1

binding(kind, name, ns, role, subjects) := {
	"kind": kind, "name": name, "namespace": ns,
	"roleRef": {"kind": "ClusterRole", "name": role, "namespace": ""},
	"subjects": subjects,
}

doc(bindings) := {"grants": [], "rules": [], "ruleGrants": [], "bindings": bindings}

masters := {"kind": "Group", "name": "system:masters", "namespace": ""}

alice := {"kind": "User", "name": "alice", "namespace": ""}

test_fires_critical if {
	r := deny with input as doc([binding("RoleBinding", "ops", "team-a", "edit", [alice, masters])])
	r == {{"binding": 0, "subject": 1, "severity": "critical", "msg": "RoleBinding ops binds ClusterRole \"edit\" to Group system:masters, which bypasses RBAC: the binding grants nothing and marks misuse"}}
}

test_fires_default_binding_info if {
	r := deny with input as doc([binding("ClusterRoleBinding", "cluster-admin", "", "cluster-admin", [masters])])
	[f.severity | some f in r] == ["info"]
}

test_fires_other_binding_to_cluster_admin_critical if {
	r := deny with input as doc([binding("ClusterRoleBinding", "break-glass", "", "cluster-admin", [masters])])
	[f.severity | some f in r] == ["critical"]
}

test_ignores_user_named_masters_and_others if {
	r := deny with input as doc([binding("ClusterRoleBinding", "x", "", "view", [
		alice,
		{"kind": "User", "name": "system:masters", "namespace": ""},
		{"kind": "Group", "name": "system:authenticated", "namespace": ""},
	])])
	count(r) == 0
}
