package kubegrant.rules.pods_ephemeral_containers

import rego.v1

import data.kubegrant.lib.testing as t

eph := {"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["update", "patch"]}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", eph)])
	r == {{"grant": 0, "severity": "high", "msg": "can add ephemeral containers to any pod in namespace \"team-a\" (update, patch pods/ephemeralcontainers)"}}
}

test_fires_cluster_wide_and_kube_system_critical if {
	r := deny with input as t.graph([t.grant("", eph), t.grant("kube-system", eph)])
	[f.severity | some f in r] == ["critical", "critical"]
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(eph, {"resourceNames": ["web-0"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can update, patch pods/ephemeralcontainers of pods web-0 in namespace \"team-a\""}}
}

test_fires_subresource_wildcard_every_rule if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*/ephemeralcontainers"], "verbs": ["patch"]}),
		t.grant("team-a", {"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}),
	])
	{f.grant | some f in r} == {1, 2}
}

test_ignores_literal_pods_star_and_custom_group if {
	r := deny with input as t.graph([
		t.grant("", object.union(eph, {"resources": ["pods/*", "*/*"]})),
		t.grant("", object.union(eph, {"apiGroups": ["example.com"]})),
	])
	count(r) == 0
}

test_ignores_get_and_create if {
	r := deny with input as t.graph([t.grant("", object.union(eph, {"verbs": ["get", "create"]}))])
	count(r) == 0
}
