package kubegrant.rules.nodes_status_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "msg": "can patch the status of any node: fake its conditions and capacity to steer scheduling"}}
}

test_fires_wildcard_subresource_restricted_low if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["*/status"], "verbs": ["update"], "resourceNames": ["node-1"]})])
	[f.severity | some f in r] == ["low"]
}

test_ignores_rolebinding_and_nodes if {
	r := deny with input as t.graph([
		t.grant("kube-system", write),
		t.grant("", {"apiGroups": [""], "resources": ["nodes", "nodes/proxy"], "verbs": ["patch"]}),
		t.grant("", {"apiGroups": [""], "resources": ["pods/*"], "verbs": ["patch"]}),
	])
	count(r) == 0
}
