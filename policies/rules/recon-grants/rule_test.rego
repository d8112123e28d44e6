package kubegrant.rules.recon_grants

import rego.v1

import data.kubegrant.lib.testing as t

test_fires_list_namespaces if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]})])
	r == {{"grant": 0, "msg": "can list, watch namespaces in every namespace: map who can do what"}}
}

test_fires_reviews_and_rbac_reads if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": ["authorization.k8s.io", "authentication.k8s.io"], "resources": ["selfsubjectrulesreviews", "tokenreviews"], "verbs": ["create"]}),
		t.grant("team-a", {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["list"]}),
	])
	[f.msg | some f in r] == [
		"can create selfsubjectrulesreviews, tokenreviews in every namespace: map who can do what",
		"can list roles in namespace \"team-a\": map who can do what",
	]
}

test_ignores_get_namespace_and_cluster_scoped_in_namespace if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]}),
		t.grant("team-a", {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]}),
		t.grant("team-a", {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}),
		t.grant("", {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews"], "verbs": ["create"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
