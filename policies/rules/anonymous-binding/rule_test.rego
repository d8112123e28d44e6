package kubegrant.rules.anonymous_binding

import rego.v1

binding(role, subjects) := {
	"kind": "ClusterRoleBinding", "name": "b", "namespace": "",
	"roleRef": {"kind": "ClusterRole", "name": role, "namespace": ""},
	"subjects": subjects,
}

anon := {"kind": "User", "name": "system:anonymous", "namespace": ""}

unauth := {"kind": "Group", "name": "system:unauthenticated", "namespace": ""}

alice := {"kind": "User", "name": "alice", "namespace": ""}

test_fires_per_anonymous_subject if {
	r := deny with input as {"grants": [], "bindings": [binding("view", [alice, anon, unauth])]}
	r == {
		{"binding": 0, "subject": 1, "msg": "ClusterRoleBinding b binds ClusterRole \"view\" to User \"system:anonymous\": anyone who reaches the API server holds it"},
		{"binding": 0, "subject": 2, "msg": "ClusterRoleBinding b binds ClusterRole \"view\" to Group \"system:unauthenticated\": anyone who reaches the API server holds it"},
	}
}

test_fires_anonymous_group if {
	r := deny with input as {"grants": [], "bindings": [binding("edit", [object.union(anon, {"kind": "Group"})])]}
	count(r) == 1
}

test_ignores_public_info_viewer if {
	r := deny with input as {"grants": [], "bindings": [
		binding("system:public-info-viewer", [unauth]),
		binding("kubeadm:bootstrap-signer-clusterinfo", [anon]),
	]}
	count(r) == 0
}

test_ignores_authenticated_and_named_users if {
	r := deny with input as {"grants": [], "bindings": [binding("view", [
		alice,
		{"kind": "Group", "name": "system:authenticated", "namespace": ""},
		{"kind": "ServiceAccount", "name": "system:anonymous", "namespace": "x"},
	])]}
	count(r) == 0
}
