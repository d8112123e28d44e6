package kubegrant.rules.delete_sensitive

import rego.v1

import data.kubegrant.lib.testing as t

del := {"apiGroups": [""], "resources": ["secrets", "pods"], "verbs": ["delete", "deletecollection"]}

test_fires_namespace_medium if {
	r := deny with input as t.graph([t.grant("team-a", del)])
	r == {{"grant": 0, "severity": "medium", "msg": "can delete, deletecollection any secrets, pods in namespace \"team-a\""}}
}

test_fires_cluster_wide_and_kube_system_high if {
	r := deny with input as t.graph([t.grant("", del), t.grant("kube-system", del)])
	[f.severity | some f in r] == ["high", "high"]
}

test_fires_workloads_across_groups if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["apps", "batch"], "resources": ["deployments", "cronjobs"], "verbs": ["delete"]}),
	])
	[f.msg | some f in r] == ["can delete any deployments, cronjobs in namespace \"team-a\""]
}

test_fires_namespace_deletes_itself_high if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["delete", "deletecollection"]})])
	r == {{"grant": 0, "severity": "high", "msg": "can delete any namespaces in namespace \"team-a\", including namespace \"team-a\" itself"}}
}

test_ignores_deletecollection_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("team-a", object.union(del, {"resourceNames": ["db"]}))])
	[f | some f in r; contains(f.msg, "deletecollection")] == []
}

test_fires_restricted_delete_low if {
	r := deny with input as t.graph([t.grant("team-a", object.union(del, {"verbs": ["delete"], "resourceNames": ["db"]}))])
	r == {{"grant": 0, "severity": "low", "msg": "can delete secrets, pods named db in namespace \"team-a\""}}
}

test_fires_any_resource_wildcard_every_rule if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["delete"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["deletecollection"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_custom_group_and_subresources if {
	r := deny with input as t.graph([
		t.grant("", object.union(del, {"apiGroups": ["example.com"]})),
		t.grant("", object.union(del, {"resources": ["pods/eviction", "pods/*", "*/*"]})),
	])
	count(r) == 0
}

test_ignores_other_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(del, {"verbs": ["get", "create", "update"]}))])
	count(r) == 0
}
