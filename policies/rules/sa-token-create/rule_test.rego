package kubegrant.rules.sa_token_create

import rego.v1

import data.kubegrant.lib.testing as t

token_rule := {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", token_rule)])
	r == {{"grant": 0, "severity": "critical", "msg": "can mint a token for any ServiceAccount in every namespace and act as it"}}
}

test_fires_privileged_namespace_critical if {
	r := deny with input as t.graph([t.grant("kube-system", token_rule)])
	[f.severity | some f in r] == ["critical"]
}

test_fires_weak_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", token_rule)])
	[f.severity | some f in r] == ["high"]
}

test_fires_wildcard_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"verbs": ["*"]}))])
	count(r) == 1
}

test_fires_wildcard_resources_and_groups if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["create"]})])
	count(r) == 1
}

test_fires_star_slash_token if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"resources": ["*/token"]}))])
	count(r) == 1
}

test_fires_second_rule_not_only_first if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}),
		t.grant("", token_rule),
	])
	[f.grant | some f in r] == [1]
}

test_fires_restricted_low_names_them if {
	r := deny with input as t.graph([t.grant("cert-manager", object.union(token_rule, {"resourceNames": ["z-sa", "cert-manager"]}))])
	r == {{"grant": 0, "severity": "low", "msg": "can mint tokens in namespace \"cert-manager\", restricted to ServiceAccounts cert-manager, z-sa"}}
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}

test_ignores_other_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"verbs": ["get", "list"]}))])
	count(r) == 0
}

test_ignores_parent_resource if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"resources": ["serviceaccounts"]}))])
	count(r) == 0
}

test_ignores_literal_star_star if {
	r := deny with input as t.graph([t.grant("", object.union(token_rule, {"resources": ["*/*", "serviceaccounts/*"]}))])
	count(r) == 0
}
