package kubegrant.rules.rbac_roles_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["create", "update", "patch"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can create, update, patch any roles, clusterroles in every namespace"}}
}

test_fires_rolebinding_roles_only if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can create, update, patch any roles in namespace \"team-a\""}}
}

test_fires_restricted_patch_medium if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"verbs": ["patch"], "resourceNames": ["view"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can patch roles, clusterroles named view in every namespace"}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["view"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_wildcard_group_and_verbs_every_rule if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["clusterroles"], "verbs": ["*"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_clusterroles_in_rolebinding if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"resources": ["clusterroles"]}))])
	count(r) == 0
}

test_ignores_custom_group_and_other_verbs if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"apiGroups": ["example.com"]})),
		t.grant("", object.union(write, {"verbs": ["bind", "escalate", "get", "delete"]})),
	])
	count(r) == 0
}
