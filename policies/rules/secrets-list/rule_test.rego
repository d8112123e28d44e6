package kubegrant.rules.secrets_list

import rego.v1

import data.kubegrant.lib.testing as t

list_rule := {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "watch"]}

test_fires_cluster_wide_critical if {
	r := deny with input as t.graph([t.grant("", list_rule)])
	r == {{"grant": 0, "severity": "critical", "msg": "can list, watch every Secret in every namespace"}}
}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant("team-a", object.union(list_rule, {"verbs": ["watch"]}))])
	r == {{"grant": 0, "severity": "high", "msg": "can watch every Secret in namespace \"team-a\""}}
}

test_fires_wildcards if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	[f.msg | some f in r] == ["can list, watch every Secret in namespace \"team-a\""]
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("team-a", object.union(list_rule, {"verbs": ["list"], "resourceNames": ["db"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can list Secrets db in namespace \"team-a\", only with a metadata.name field selector"}}
}

test_ignores_get_only if {
	r := deny with input as t.graph([t.grant("", object.union(list_rule, {"verbs": ["get"]}))])
	count(r) == 0
}

test_ignores_custom_group if {
	r := deny with input as t.graph([t.grant("", object.union(list_rule, {"apiGroups": ["example.com"]}))])
	count(r) == 0
}
