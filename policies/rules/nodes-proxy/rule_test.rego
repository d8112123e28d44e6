package kubegrant.rules.nodes_proxy

import rego.v1

import data.kubegrant.lib.testing as t

proxy_rule := {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}

test_fires_get_cluster_wide if {
	r := deny with input as t.graph([t.grant("", proxy_rule)])
	r == {{"grant": 0, "severity": "critical", "msg": "can get nodes/proxy on every node: the kubelet API, exec in every pod included"}}
}

test_fires_wildcard_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(proxy_rule, {"verbs": ["*"]}))])
	[f.msg | some f in r] == ["can get, create nodes/proxy on every node: the kubelet API, exec in every pod included"]
}

test_fires_star_slash_proxy if {
	r := deny with input as t.graph([t.grant("", object.union(proxy_rule, {"resources": ["*/proxy"], "verbs": ["create"]}))])
	count(r) == 1
}

test_fires_restricted_high if {
	r := deny with input as t.graph([t.grant("", object.union(proxy_rule, {"resourceNames": ["node-1"]}))])
	[f.severity | some f in r] == ["high"]
}

test_ignores_role_binding_scope if {
	r := deny with input as t.graph([t.grant("kube-system", object.union(proxy_rule, {"verbs": ["*"]}))])
	count(r) == 0
}

test_ignores_metrics if {
	r := deny with input as t.graph([t.grant("", object.union(proxy_rule, {"resources": ["nodes/metrics", "nodes/stats", "nodes"]}))])
	count(r) == 0
}

test_ignores_list_watch if {
	r := deny with input as t.graph([t.grant("", object.union(proxy_rule, {"verbs": ["list", "watch"]}))])
	count(r) == 0
}
