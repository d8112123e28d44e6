package kubegrant.rules.crd_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["create", "patch"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "msg": "can create, patch any CustomResourceDefinition: add conversion webhooks, alter or remove APIs"}}
}

test_fires_restricted_patch_medium if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"verbs": ["patch"], "resourceNames": ["widgets.example.com"]}))])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_rolebinding_and_reads if {
	r := deny with input as t.graph([
		t.grant("team-a", write),
		t.grant("", object.union(write, {"verbs": ["get", "list"]})),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
