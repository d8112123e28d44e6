package kubegrant.rules.pods_attach

import rego.v1

import data.kubegrant.lib.testing as t

attach_rule := {"apiGroups": [""], "resources": ["pods/attach"], "verbs": ["create"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", attach_rule)])
	r == {{"grant": 0, "severity": "high", "msg": "can attach to any pod in namespace \"team-a\""}}
}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", attach_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_kube_system_critical if {
	r := deny with input as t.graph([t.grant("kube-system", attach_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_get_only_websocket if {
	r := deny with input as t.graph([t.grant("team-a", object.union(attach_rule, {"verbs": ["get"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can attach to any pod in namespace \"team-a\" (get only: WebSocket attach before KEP-4006)"}}
}

test_fires_star_slash_attach if {
	r := deny with input as t.graph([t.grant("team-a", object.union(attach_rule, {"resources": ["*/attach"]}))])
	count(r) == 1
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(attach_rule, {"resourceNames": ["debug"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can attach to pods debug in namespace \"team-a\""}}
}

test_ignores_pods_star if {
	r := deny with input as t.graph([t.grant("", object.union(attach_rule, {"resources": ["pods/*", "pods"]}))])
	count(r) == 0
}

test_ignores_list_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(attach_rule, {"verbs": ["list", "watch"]}))])
	count(r) == 0
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(attach_rule, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}
