package kubegrant.rules.admission_webhooks_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"], "verbs": ["create", "patch"]}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "severity": "critical", "msg": "can create, patch any mutatingwebhookconfigurations: receive and rewrite every admitted object"}}
}

test_fires_delete_only_high if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resources": ["validatingwebhookconfigurations"], "verbs": ["delete"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can delete any validatingwebhookconfigurations: disable admission guards"}}
}

test_fires_restricted_high if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"verbs": ["update", "patch"], "resourceNames": ["cert-manager-webhook"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can update, patch mutatingwebhookconfigurations named cert-manager-webhook"}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create or a deletecollection:
	# the authorizer sees no name.
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["x"]}))])
	[f | some f in r; contains(f.msg, "create")] == []
}

test_fires_wildcards_every_rule if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["*"], "verbs": ["list"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["validatingwebhookconfigurations"], "verbs": ["*"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_rolebinding if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	count(r) == 0
}

test_ignores_core_group_and_reads if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"apiGroups": [""]})),
		t.grant("", object.union(write, {"verbs": ["get", "list", "watch"]})),
	])
	count(r) == 0
}
