package kubegrant.rules.stale_binding_ref

import rego.v1

import data.kubegrant.lib.testing as t

binding(kind, ns, role_kind, role, subjects) := {
	"kind": kind, "name": "b", "namespace": ns,
	"roleRef": {"kind": role_kind, "name": role, "namespace": role_ns(role_kind, ns)},
	"subjects": subjects,
}

role_ns("Role", ns) := ns

role_ns("ClusterRole", _) := ""

role(kind, ns, name) := {"kind": kind, "name": name, "namespace": ns}

doc(bindings, roles, sas) := object.union(t.graph([]), {
	"bindings": bindings,
	"roles": roles,
	"serviceAccounts": [{"namespace": ns, "name": n, "annotations": {}} | some [ns, n] in sas],
})

app := t.sa("team-a", "app")

ghost := t.sa("team-a", "ghost")

test_fires_missing_service_account if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "Role", "r", [app, ghost])], [role("Role", "team-a", "r")], [["team-a", "app"]])
	r == {{
		"binding": 0, "subject": 1, "severity": "medium",
		"msg": "RoleBinding b names ServiceAccount team-a/ghost, which does not exist: whoever creates it holds Role \"r\"",
	}}
}

test_fires_missing_role_in_namespace_with_roles if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "Role", "gone", [app])], [role("Role", "team-a", "r")], [["team-a", "app"]])
	r == {{"binding": 0, "severity": "low", "msg": "RoleBinding b refers to Role \"gone\", which does not exist: whoever creates it decides what the binding grants"}}
}

test_fires_missing_cluster_role_in_full_dump if {
	r := deny with input as doc([binding("ClusterRoleBinding", "", "ClusterRole", "gone", [app])], [role("ClusterRole", "", "cluster-admin")], [["team-a", "app"]])
	[f.msg | some f in r] == ["ClusterRoleBinding b refers to ClusterRole \"gone\", which does not exist: whoever creates it decides what the binding grants"]
}

test_ignores_without_objects if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "Role", "gone", [ghost])], [], [])
	count(r) == 0
}

test_ignores_namespace_without_loaded_service_accounts if {
	r := deny with input as doc(
		[binding("RoleBinding", "team-b", "Role", "r", [t.sa("team-b", "ghost")])],
		[role("Role", "team-b", "r")], [["team-a", "app"]],
	)
	count(r) == 0
}

test_ignores_role_in_namespace_without_roles if {
	# Roles of team-a were loaded, none of team-b: absence proves nothing.
	r := deny with input as doc([binding("RoleBinding", "team-b", "Role", "gone", [])], [role("Role", "team-a", "r")], [])
	count(r) == 0
}

test_ignores_builtin_cluster_roles_in_manifests if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "ClusterRole", "view", [app])], [role("ClusterRole", "", "mine")], [["team-a", "app"]])
	count(r) == 0
}

test_ignores_existing_objects_default_and_other_subjects if {
	r := deny with input as doc([binding("RoleBinding", "team-a", "Role", "r", [
		app, t.sa("team-a", "default"),
		{"kind": "User", "name": "ghost", "namespace": ""},
	])], [role("Role", "team-a", "r")], [["team-a", "app"]])
	count(r) == 0
}
