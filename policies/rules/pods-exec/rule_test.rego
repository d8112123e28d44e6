package kubegrant.rules.pods_exec

import rego.v1

import data.kubegrant.lib.testing as t

exec_rule := {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", exec_rule)])
	r == {{"grant": 0, "severity": "high", "msg": "can exec into any pod in namespace \"team-a\""}}
}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", exec_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_kube_system_critical if {
	r := deny with input as t.graph([t.grant("kube-system", exec_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_get_only_websocket if {
	r := deny with input as t.graph([t.grant("team-a", object.union(exec_rule, {"verbs": ["get"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can exec into any pod in namespace \"team-a\" (get only: WebSocket exec before KEP-4006)"}}
}

test_fires_star_slash_exec if {
	r := deny with input as t.graph([t.grant("team-a", object.union(exec_rule, {"resources": ["*/exec"]}))])
	count(r) == 1
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(exec_rule, {"resourceNames": ["debug"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can exec into pods debug in namespace \"team-a\""}}
}

test_ignores_pods_star if {
	r := deny with input as t.graph([t.grant("", object.union(exec_rule, {"resources": ["pods/*", "pods"]}))])
	count(r) == 0
}

test_ignores_list_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(exec_rule, {"verbs": ["list", "watch"]}))])
	count(r) == 0
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(exec_rule, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}
