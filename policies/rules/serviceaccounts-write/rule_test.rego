package kubegrant.rules.serviceaccounts_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["patch", "get"]}

test_fires_medium_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	r == {{"grant": 0, "severity": "medium", "msg": "can patch any ServiceAccount in namespace \"team-a\": re-point its cloud identity annotations"}}
}

test_fires_high_cluster_wide if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"verbs": ["create"]}))])
	[f.severity | some f in r] == ["high"]
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create: only the patch is left.
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"verbs": ["create", "patch"], "resourceNames": ["app"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_low_restricted_patch if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"resourceNames": ["app"]}))])
	[f.severity | some f in r] == ["low"]
}

test_ignores_token_subresource_and_reads if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}),
		t.grant("", object.union(write, {"verbs": ["get", "list"]})),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
