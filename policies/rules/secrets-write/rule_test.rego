package kubegrant.rules.secrets_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "update", "patch"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can create, update, patch any Secret in namespace \"team-a\": mint a token Secret for any ServiceAccount there"}}
}

test_fires_kube_system_and_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("kube-system", write), t.grant("", write)])
	[f.severity | some f in r] == ["critical", "critical"]
}

test_fires_patch_only if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"verbs": ["patch"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can patch any Secret in namespace \"team-a\""}}
}

test_fires_restricted_update_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"verbs": ["update", "patch"], "resourceNames": ["tls"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can update, patch Secrets tls in namespace \"team-a\""}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"resourceNames": ["tls"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_wildcards_every_rule if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["secrets"], "verbs": ["*"]}),
		t.grant("team-a", {"apiGroups": [""], "resources": ["*"], "verbs": ["update"]}),
	])
	{f.grant | some f in r} == {1, 2}
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}

test_ignores_reads_and_literals if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"verbs": ["get", "list", "delete"]})),
		t.grant("", object.union(write, {"resources": ["secrets/status", "*/*"]})),
	])
	count(r) == 0
}

test_ignores_cluster_admin_rule_reported_by_kg001 if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	count(r) == 0
}
