package kubegrant.rules.workload_write

import rego.v1

import data.kubegrant.lib.testing as t

deploy := {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "update", "patch"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", deploy)])
	r == {{"grant": 0, "severity": "high", "msg": "can create, update, patch any deployments in namespace \"team-a\": run pods as any ServiceAccount there"}}
}

test_fires_daemonsets_critical if {
	r := deny with input as t.graph([t.grant("team-a", object.union(deploy, {"resources": ["daemonsets"], "verbs": ["patch"]}))])
	[f.severity | some f in r] == ["critical"]
}

test_fires_kube_system_and_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("kube-system", deploy), t.grant("", deploy)])
	[f.severity | some f in r] == ["critical", "critical"]
}

test_fires_batch_and_core_controllers if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["create"]}),
		t.grant("team-a", {"apiGroups": [""], "resources": ["replicationcontrollers"], "verbs": ["update"]}),
	])
	{f.msg | some f in r} == {
		"can create any jobs, cronjobs in namespace \"team-a\": run pods as any ServiceAccount there",
		"can update any replicationcontrollers in namespace \"team-a\": run pods as any ServiceAccount there",
	}
}

test_fires_restricted_update_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(deploy, {"verbs": ["update", "patch"], "resourceNames": ["web"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can update, patch deployments named web in namespace \"team-a\""}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("team-a", object.union(deploy, {"resourceNames": ["web"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_wildcard_group_and_resource if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["statefulsets"], "verbs": ["patch"]}),
		t.grant("team-a", {"apiGroups": ["apps"], "resources": ["*"], "verbs": ["*"]}),
	])
	{f.grant | some f in r} == {0, 1}
}

test_ignores_wrong_group if {
	r := deny with input as t.graph([
		t.grant("", object.union(deploy, {"apiGroups": [""]})),
		t.grant("", object.union(deploy, {"apiGroups": ["example.com"], "resources": ["jobs"]})),
	])
	count(r) == 0
}

test_ignores_subresources_and_reads if {
	r := deny with input as t.graph([
		t.grant("", object.union(deploy, {"resources": ["deployments/scale", "deployments/*", "*/status"]})),
		t.grant("", object.union(deploy, {"verbs": ["get", "list", "watch", "delete"]})),
	])
	count(r) == 0
}

test_ignores_cluster_admin_rule_reported_by_kg001 if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	count(r) == 0
}
