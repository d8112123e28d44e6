package kubegrant.rules.namespaces_write

import rego.v1

import data.kubegrant.lib.testing as t

patch_ns := {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch", "update", "list"]}

test_fires_high_cluster_wide if {
	r := deny with input as t.graph([t.grant("", patch_ns)])
	r == {{"grant": 0, "severity": "high", "msg": "can update, patch every namespace: relabel its Pod Security level to privileged"}}
}

test_fires_rolebinding_on_its_own_namespace if {
	r := deny with input as t.graph([t.grant("team-a", patch_ns)])
	r == {{"grant": 0, "severity": "medium", "msg": "can update, patch the namespace \"team-a\" itself: relabel its Pod Security level to privileged"}}
}

test_fires_high_kube_system if {
	r := deny with input as t.graph([t.grant("kube-system", patch_ns)])
	[f.severity | some f in r] == ["high"]
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("", object.union(patch_ns, {"resourceNames": ["prod"]}))])
	[f.msg | some f in r] == ["can update, patch namespaces prod in every namespace: relabel their Pod Security level"]
}

test_ignores_create_and_read if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["create", "get", "list"]})])
	count(r) == 0
}

test_ignores_namespace_status_and_other_groups if {
	r := deny with input as t.graph([
		t.grant("", object.union(patch_ns, {"resources": ["namespaces/status"]})),
		t.grant("", object.union(patch_ns, {"apiGroups": ["apps"]})),
	])
	count(r) == 0
}
