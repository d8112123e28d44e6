package kubegrant.rules.pods_portforward

import rego.v1

import data.kubegrant.lib.testing as t

pf := {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]}

test_fires_namespace_medium if {
	r := deny with input as t.graph([t.grant("team-a", pf)])
	r == {{"grant": 0, "severity": "medium", "msg": "can port-forward to any pod in namespace \"team-a\""}}
}

test_fires_get_only_websocket if {
	r := deny with input as t.graph([t.grant("team-a", object.union(pf, {"verbs": ["get"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can port-forward to any pod in namespace \"team-a\" (get only: WebSocket port-forward before KEP-4006)"}}
}

test_fires_cluster_wide_and_kube_system_high if {
	r := deny with input as t.graph([t.grant("", pf), t.grant("kube-system", pf)])
	[f.severity | some f in r] == ["high", "high"]
}

test_fires_restricted_low if {
	r := deny with input as t.graph([t.grant("team-a", object.union(pf, {"resourceNames": ["db-0"]}))])
	r == {{"grant": 0, "severity": "low", "msg": "can port-forward to pods db-0 in namespace \"team-a\""}}
}

test_fires_wildcards_every_rule if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*/portforward"], "verbs": ["*"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_literals_and_custom_group if {
	r := deny with input as t.graph([
		t.grant("", object.union(pf, {"resources": ["pods/*", "*/*", "pods"]})),
		t.grant("", object.union(pf, {"apiGroups": ["example.com"]})),
	])
	count(r) == 0
}

test_ignores_other_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(pf, {"verbs": ["list", "update"]}))])
	count(r) == 0
}
