package kubegrant.rules.wildcard_rules

import rego.v1

import data.kubegrant.lib.testing as t

test_fires_verbs_medium if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]})])
	r == {{"grant": 0, "severity": "medium", "msg": "rule uses \"*\" in verbs"}}
}

test_fires_resources_and_groups_medium if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]})])
	r == {{"grant": 0, "severity": "medium", "msg": "rule uses \"*\" in resources, apiGroups"}}
}

test_fires_groups_only_low if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["deployments"], "verbs": ["get"]})])
	[f.severity | some f in r] == ["low"]
}

test_fires_every_rule_not_only_first if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}),
		t.grant("", {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}),
	])
	[f.grant | some f in r] == [1]
}

test_ignores_full_wildcard_reported_by_kg001 if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	count(r) == 0
}

test_ignores_subresource_forms if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["*/status", "pods/*"], "verbs": ["get"]})])
	count(r) == 0
}

test_ignores_non_resource_urls if {
	r := deny with input as t.graph([t.grant("", {"nonResourceURLs": ["*"], "verbs": ["*"]})])
	count(r) == 0
}
