package kubegrant.rules.cluster_admin_equivalent

import rego.v1

import data.kubegrant.lib.testing as t

all_rule := {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}

urls_rule := {"nonResourceURLs": ["*"], "verbs": ["*"]}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", all_rule)])
	r == {{"grant": 0, "severity": "critical", "msg": "cluster-admin equivalent: every verb on every resource in every API group"}}
}


test_fires_namespace_admin_high if {
	r := deny with input as t.graph([t.grant("team-a", all_rule)])
	r == {{
		"grant": 0, "severity": "high",
		"msg": "namespace admin: every verb on every resource in namespace \"team-a\", including Secrets, pods/exec and RBAC",
	}}
}

test_fires_on_any_rule_of_the_role if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}), t.grant("", all_rule)])
	[f.grant | some f in r] == [1]
}

test_ignores_core_group_only if {
	r := deny with input as t.graph([t.grant("", object.union(all_rule, {"apiGroups": [""]}))])
	count(r) == 0
}

test_ignores_literal_star_star if {
	r := deny with input as t.graph([t.grant("", object.union(all_rule, {"resources": ["*/*"]}))])
	count(r) == 0
}

test_ignores_limited_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(all_rule, {"verbs": ["get", "list", "watch"]}))])
	count(r) == 0
}

test_ignores_non_resource_urls_alone if {
	r := deny with input as t.graph([t.grant("", urls_rule)])
	count(r) == 0
}
