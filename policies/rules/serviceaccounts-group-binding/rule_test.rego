package kubegrant.rules.serviceaccounts_group_binding

import rego.v1

import data.kubegrant.lib.testing as t

binding(kind, ns, role, subjects) := {
	"kind": kind, "name": "b", "namespace": ns,
	"roleRef": {"kind": "ClusterRole", "name": role, "namespace": ""},
	"subjects": subjects,
}

group(name) := {"kind": "Group", "name": name, "namespace": ""}

# doc is an input with the binding and one grant of rule through it.
doc(b, rule) := object.union(
	t.graph([object.union(t.grant_to(b.namespace, rule, b.subjects), {"binding": {"kind": b.kind, "name": b.name, "namespace": b.namespace}})]),
	{"bindings": [object.union(b, {"grants": [0]})]},
)

test_fires_all_service_accounts_write_high if {
	r := deny with input as doc(binding("ClusterRoleBinding", "", "deployer", [group("system:serviceaccounts")]), {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]})
	r == {{"binding": 0, "subject": 0, "severity": "high", "msg": "ClusterRoleBinding b binds ClusterRole \"deployer\" to every ServiceAccount of the cluster: more than read access for every pod there"}}
}

test_fires_namespace_group_read_medium if {
	r := deny with input as doc(binding("RoleBinding", "team-a", "viewer", [group("system:serviceaccounts:team-a")]), {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]})
	[[f.severity, f.msg] | some f in r] == [["medium", "RoleBinding b binds ClusterRole \"viewer\" to every ServiceAccount of namespace \"team-a\": read access for every pod there"]]
}

test_fires_admin_critical if {
	r := deny with input as doc(binding("ClusterRoleBinding", "", "all", [group("system:serviceaccounts:ci")]), {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
	[f.severity | some f in r] == ["critical"]
}

test_fires_secret_reader_high if {
	r := deny with input as doc(binding("ClusterRoleBinding", "", "sr", [group("system:serviceaccounts")]), {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
	[f.severity | some f in r] == ["high"]
}

test_ignores_issuer_discovery if {
	r := deny with input as doc(binding("ClusterRoleBinding", "", "system:service-account-issuer-discovery", [group("system:serviceaccounts")]), {"nonResourceURLs": ["/openid/v1/jwks"], "verbs": ["get"]})
	count(r) == 0
}

test_ignores_other_groups_and_service_accounts if {
	r := deny with input as doc(binding("ClusterRoleBinding", "", "all", [
		group("system:serviceaccounts:"), group("system:authenticated"), group("serviceaccounts"),
		{"kind": "User", "name": "system:serviceaccounts", "namespace": ""}, t.sa("team-a", "app"),
	]), {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
	count(r) == 0
}
