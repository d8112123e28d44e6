package kubegrant.rules.nodes_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["nodes"], "verbs": ["patch", "delete"]}

test_fires_cluster_wide_high if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can patch, delete any node: relabel, taint or remove it"}}
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["node-1"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can patch, delete nodes node-1"}}
}

test_fires_wildcards_every_rule if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["nodes"], "verbs": ["*"]}),
		t.grant("", {"apiGroups": [""], "resources": ["*"], "verbs": ["update"]}),
	])
	{f.grant | some f in r} == {1, 2}
}

test_ignores_rolebinding if {
	r := deny with input as t.graph([t.grant("kube-system", write)])
	count(r) == 0
}

test_ignores_subresources_and_custom_group if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"resources": ["nodes/status", "nodes/*", "*/*"]})),
		t.grant("", object.union(write, {"apiGroups": ["example.com"]})),
	])
	count(r) == 0
}
