package kubegrant.rules.rbac_bindings_write

import rego.v1

import data.kubegrant.lib.testing as t

write_rb := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}

test_fires_high_unrestricted if {
	r := deny with input as t.graph([t.grant("team-a", write_rb)])
	r == {{"grant": 0, "severity": "high", "msg": "can create any rolebindings in namespace \"team-a\": bind itself any role whose permissions it holds"}}
}

test_fires_medium_update_restricted if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write_rb, {"verbs": ["update"], "resourceNames": ["x"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can update rolebindings named x in namespace \"team-a\""}}
}

test_ignores_create_with_resource_names if {
	# resourceNames never authorise a top-level create.
	count(deny) == 0 with input as t.graph([t.grant("team-a", object.union(write_rb, {"resourceNames": ["x"]}))])
}

test_ignores_clusterrolebindings_in_a_namespace if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", object.union(write_rb, {"resources": ["clusterrolebindings"]}))])
}

test_ignores_wildcard_rule if {
	count(deny) == 0 with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
}
