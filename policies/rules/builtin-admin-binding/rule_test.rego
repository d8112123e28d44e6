package kubegrant.rules.builtin_admin_binding

import rego.v1

binding(kind, ns, role_kind, role, subjects) := {
	"kind": kind, "name": "b", "namespace": ns,
	"roleRef": {"kind": role_kind, "name": role, "namespace": ""},
	"subjects": subjects,
}

doc(bindings) := {"grants": [], "rules": [], "ruleGrants": [], "bindings": bindings}

alice := {"kind": "User", "name": "alice", "namespace": ""}

tiller := {"kind": "ServiceAccount", "name": "tiller", "namespace": "kube-system"}

kcm := {"kind": "User", "name": "system:kube-controller-manager", "namespace": ""}

masters_group := {"kind": "Group", "name": "system:masters", "namespace": ""}

test_fires_cluster_admin_critical_for_non_system_subjects if {
	r := deny with input as doc([binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", [alice, tiller, kcm, masters_group])])
	r == {
		{"binding": 0, "subject": 0, "severity": "critical", "msg": "ClusterRoleBinding b grants the built-in ClusterRole \"cluster-admin\" to User \"alice\" in every namespace"},
		{"binding": 0, "subject": 1, "severity": "critical", "msg": "ClusterRoleBinding b grants the built-in ClusterRole \"cluster-admin\" to ServiceAccount \"tiller\" in every namespace"},
		{"binding": 0, "subject": 2, "severity": "high", "msg": "ClusterRoleBinding b grants the built-in ClusterRole \"cluster-admin\" to User \"system:kube-controller-manager\" in every namespace"},
	}
}

test_fires_rolebinding_high if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "ClusterRole", "admin", [alice])])
	r == {{"binding": 0, "subject": 0, "severity": "high", "msg": "RoleBinding b grants the built-in ClusterRole \"admin\" to User \"alice\" in namespace \"team-a\""}}
}

test_fires_edit_in_kube_system_critical if {
	r := deny with input as doc([binding("RoleBinding", "kube-system", "ClusterRole", "edit", [alice])])
	[f.severity | some f in r] == ["critical"]
}

test_ignores_roles_named_like_builtins if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "Role", "admin", [alice])])
	count(r) == 0
}

test_ignores_other_cluster_roles if {
	r := deny with input as doc([binding("ClusterRoleBinding", "", "ClusterRole", "view", [alice])])
	count(r) == 0
}

test_ignores_system_masters if {
	r := deny with input as doc([binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", [masters_group])])
	count(r) == 0
}
