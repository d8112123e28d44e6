package kubegrant.rules.pods_create

import rego.v1

import data.kubegrant.lib.testing as t

create_pods := {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", create_pods)])
	r == {{"grant": 0, "severity": "high", "msg": "can create pods in namespace \"team-a\": run them as any ServiceAccount there"}}
}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", create_pods)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_kube_system_critical if {
	r := deny with input as t.graph([t.grant("kube-system", create_pods)])
	[f.severity | some f in r] == ["critical"]
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("team-a", object.union(create_pods, {"resourceNames": ["debug"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_wildcards if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}),
		t.grant("team-a", {"apiGroups": [""], "resources": ["*"], "verbs": ["create"]}),
	])
	{f.grant | some f in r} == {0, 1}
}

test_fires_every_rule_not_first if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]}),
		t.grant("team-a", object.union(create_pods, {"resources": ["services", "pods"]})),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(create_pods, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}

test_ignores_subresources_and_literals if {
	r := deny with input as t.graph([t.grant("", object.union(create_pods, {"resources": ["pods/exec", "pods/*", "*/*", "*/status"]}))])
	count(r) == 0
}

test_ignores_other_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(create_pods, {"verbs": ["get", "list", "update", "patch"]}))])
	count(r) == 0
}

test_ignores_cluster_admin_rule_reported_by_kg001 if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	count(r) == 0
}
