package kubegrant.rules.apiservices_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["apiregistration.k8s.io"], "resources": ["apiservices"], "verbs": ["update"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", write)])
	r == {{"grant": 0, "msg": "can update any APIService: route an API group to a backend it controls"}}
}

test_fires_restricted_high if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["v1beta1.metrics.k8s.io"]}))])
	[f.severity | some f in r] == ["high"]
}

test_ignores_rolebinding_reads_and_status if {
	r := deny with input as t.graph([
		t.grant("kube-system", write),
		t.grant("", object.union(write, {"verbs": ["get", "list", "watch"]})),
		t.grant("", object.union(write, {"resources": ["apiservices/status"]})),
	])
	count(r) == 0
}
