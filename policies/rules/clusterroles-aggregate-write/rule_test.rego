package kubegrant.rules.clusterroles_aggregate_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["create", "patch"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can create, patch any ClusterRole: label it aggregate-to-admin, -edit or -view and widen every binding to those roles"}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["mine"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_restricted_patch_medium if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"verbs": ["patch"], "resourceNames": ["mine"]}))])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_rolebinding if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", write)])
}

test_ignores_roles_and_escalate_bind if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"resources": ["roles"]})),
		t.grant("", object.union(write, {"verbs": ["bind", "escalate", "get"]})),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
