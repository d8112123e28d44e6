package kubegrant.rules.events_delete

import rego.v1

import data.kubegrant.lib.testing as t

del := {"apiGroups": [""], "resources": ["events"], "verbs": ["delete", "deletecollection"]}

test_fires_namespace_medium if {
	r := deny with input as t.graph([t.grant("team-a", del)])
	r == {{"grant": 0, "severity": "medium", "msg": "can delete, deletecollection any event in namespace \"team-a\": erase the record of what happened"}}
}

test_fires_cluster_wide_and_kube_system_high if {
	r := deny with input as t.graph([t.grant("", del), t.grant("kube-system", object.union(del, {"apiGroups": ["events.k8s.io"]}))])
	[f.severity | some f in r] == ["high", "high"]
}

test_ignores_deletecollection_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("team-a", object.union(del, {"resourceNames": ["e1"]}))])
	[f | some f in r; contains(f.msg, "deletecollection")] == []
}

test_fires_restricted_delete_low if {
	r := deny with input as t.graph([t.grant("team-a", object.union(del, {"verbs": ["delete"], "resourceNames": ["e1"]}))])
	r == {{"grant": 0, "severity": "low", "msg": "can delete events e1 in namespace \"team-a\""}}
}

test_fires_wildcards_every_rule if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["events"], "verbs": ["get"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_custom_group_and_create if {
	r := deny with input as t.graph([
		t.grant("", object.union(del, {"apiGroups": ["example.com"]})),
		t.grant("", object.union(del, {"verbs": ["create", "patch"]})),
	])
	count(r) == 0
}
