package kubegrant.rules.rbac_bind

import rego.v1

import data.kubegrant.lib.testing as t

bind_cr := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}

test_fires_high_unrestricted if {
	r := deny with input as t.graph([t.grant("team-a", bind_cr)])
	r == {{"grant": 0, "severity": "high", "msg": "can bind any of clusterroles in namespace \"team-a\""}}
}

test_fires_both_kinds_cluster_wide if {
	r := deny with input as t.graph([t.grant("", object.union(bind_cr, {"resources": ["roles", "clusterroles"]}))])
	[f.msg | some f in r] == ["can bind any of roles, clusterroles in every namespace"]
}

test_fires_medium_restricted if {
	r := deny with input as t.graph([t.grant("", object.union(bind_cr, {"resourceNames": ["view"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can bind clusterroles view in every namespace"}}
}

test_fires_wildcard_verbs if {
	r := deny with input as t.graph([t.grant("", object.union(bind_cr, {"verbs": ["*"]}))])
	count(r) == 1
}

test_ignores_other_verbs if {
	count(deny) == 0 with input as t.graph([t.grant("", object.union(bind_cr, {"verbs": ["get", "list"]}))])
}

test_ignores_other_groups if {
	count(deny) == 0 with input as t.graph([t.grant("", object.union(bind_cr, {"apiGroups": ["example.com"]}))])
}
