package kubegrant.rules.network_write

import rego.v1

import data.kubegrant.lib.testing as t

svc := {"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["create", "get"]}

test_fires_medium_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", svc)])
	r == {{"grant": 0, "severity": "medium", "msg": "can create any services, endpoints in namespace \"team-a\": redirect traffic or remove isolation"}}
}

test_fires_high_cluster_wide_network_policies if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies", "ingressclasses"], "verbs": ["delete"]})])
	[[f.severity, f.msg] | some f in r] == [["high", "can delete any networkpolicies, ingressclasses in every namespace: redirect traffic or remove isolation"]]
}

test_fires_rolebinding_skips_cluster_scoped if {
	r := deny with input as t.graph([t.grant("kube-system", {"apiGroups": ["*"], "resources": ["ingresses", "ingressclasses"], "verbs": ["patch"]})])
	[[f.severity, f.msg] | some f in r] == [["high", "can patch any ingresses in namespace \"kube-system\": redirect traffic or remove isolation"]]
}

test_fires_low_restricted if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": [""], "resources": ["services"], "verbs": ["patch"], "resourceNames": ["web"]})])
	[f.severity | some f in r] == ["low"]
}

test_ignores_status_reads_and_cluster_scoped_in_namespace if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["services/status", "services/proxy"], "verbs": ["patch", "create"]}),
		t.grant("", object.union(svc, {"verbs": ["get", "list", "watch"]})),
		t.grant("team-a", {"apiGroups": ["networking.k8s.io"], "resources": ["ingressclasses"], "verbs": ["create"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
