package kubegrant.rules.missing_subject_namespace

import rego.v1

import data.kubegrant.lib.testing as t

crb(subjects) := {
	"kind": "ClusterRoleBinding", "name": "b", "namespace": "",
	"roleRef": {"kind": "ClusterRole", "name": "r", "namespace": ""},
	"subjects": subjects,
}

doc(bindings, namespaces) := object.union(t.graph([]), {"bindings": bindings, "namespaces": namespaces})

test_fires_service_account_in_missing_namespace if {
	r := deny with input as doc([crb([t.sa("team-a", "app"), t.sa("old-team", "app")])], ["team-a"])
	r == {{
		"binding": 0, "subject": 1, "severity": "medium",
		"msg": "ClusterRoleBinding b grants ClusterRole \"r\" to ServiceAccount \"app\" of namespace \"old-team\", which does not exist: whoever creates it inherits the grant",
	}}
}

test_fires_namespace_group if {
	r := deny with input as doc([crb([{"kind": "Group", "name": "system:serviceaccounts:future", "namespace": ""}])], ["team-a"])
	[f.subject | some f in r] == [0]
}

test_ignores_without_namespace_objects if {
	count(deny) == 0 with input as doc([crb([t.sa("old-team", "app")])], [])
}

test_ignores_builtin_namespaces_and_users if {
	r := deny with input as doc([crb([
		t.sa("kube-system", "x"), t.sa("default", "x"),
		{"kind": "User", "name": "old-team", "namespace": ""},
		{"kind": "Group", "name": "system:serviceaccounts", "namespace": ""},
	])], ["team-a"])
	count(r) == 0
}
