package kubegrant.rules.impersonate

import rego.v1

import data.kubegrant.lib.testing as t

imp_rule := {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}

test_fires_users_groups_cluster_wide if {
	r := deny with input as t.graph([t.grant("", imp_rule)])
	r == {{"grant": 0, "severity": "critical", "msg": "can impersonate any of users, groups in every namespace"}}
}

test_fires_wildcard_everything if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	[f.msg | some f in r] == ["can impersonate any of users, groups, serviceaccounts, uids, userextras in every namespace"]
}

test_fires_serviceaccounts_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["impersonate"]})])
	[f.msg | some f in r] == ["can impersonate any of serviceaccounts in namespace \"team-a\""]
}

test_fires_userextras_key if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes", "uids"], "verbs": ["impersonate"]})])
	[f.msg | some f in r] == ["can impersonate any of uids, userextras in every namespace"]
}

test_fires_restricted_high if {
	r := deny with input as t.graph([t.grant("", object.union(imp_rule, {"resources": ["users"], "resourceNames": ["jane"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can impersonate users named jane in every namespace"}}
}

test_ignores_users_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", imp_rule)])
	count(r) == 0
}

test_ignores_userextras_without_key if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["authentication.k8s.io"], "resources": ["userextras"], "verbs": ["impersonate"]})])
	count(r) == 0
}

test_ignores_wrong_group if {
	r := deny with input as t.graph([t.grant("", object.union(imp_rule, {"apiGroups": ["authentication.k8s.io"]}))])
	count(r) == 0
}

test_ignores_other_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(imp_rule, {"verbs": ["get", "list"]}))])
	count(r) == 0
}
