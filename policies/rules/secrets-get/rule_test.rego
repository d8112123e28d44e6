package kubegrant.rules.secrets_get

import rego.v1

import data.kubegrant.lib.testing as t

get_rule := {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", get_rule)])
	r == {{"grant": 0, "severity": "high", "msg": "can read any Secret by name in namespace \"team-a\""}}
}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", get_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_kube_system_critical if {
	r := deny with input as t.graph([t.grant("kube-system", get_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_wildcard_group_and_verbs if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": ["*"], "resources": ["secrets"], "verbs": ["*"]})])
	count(r) == 1
}

test_fires_restricted_low if {
	r := deny with input as t.graph([t.grant("team-a", object.union(get_rule, {"resourceNames": ["tls", "db"]}))])
	r == {{"grant": 0, "severity": "low", "msg": "can read Secrets db, tls in namespace \"team-a\""}}
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(get_rule, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}

test_ignores_list_only if {
	r := deny with input as t.graph([t.grant("", object.union(get_rule, {"verbs": ["list", "watch"]}))])
	count(r) == 0
}

test_ignores_other_resources if {
	r := deny with input as t.graph([t.grant("", object.union(get_rule, {"resources": ["configmaps", "secrets/status", "*/*"]}))])
	count(r) == 0
}
