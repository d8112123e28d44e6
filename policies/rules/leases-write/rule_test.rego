package kubegrant.rules.leases_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update"]}

test_fires_kube_system if {
	r := deny with input as t.graph([t.grant("kube-system", write)])
	r == {{"grant": 0, "severity": "high", "msg": "can update any Lease in namespace \"kube-system\": hijack leader election or fake node heartbeats"}}
}

test_fires_cluster_wide_and_node_lease if {
	r := deny with input as t.graph([t.grant("", write), t.grant("kube-node-lease", object.union(write, {"verbs": ["create"]}))])
	[f.severity | some f in r] == ["high", "high"]
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("kube-system", object.union(write, {"resourceNames": ["my-operator"]}))])
	[f.msg | some f in r] == ["can update Leases my-operator in namespace \"kube-system\""]
}

test_ignores_ordinary_namespace_and_reads if {
	r := deny with input as t.graph([
		t.grant("team-a", write),
		t.grant("kube-system", object.union(write, {"verbs": ["get", "list", "watch"]})),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
