package kubegrant.rules.flowcontrol_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["flowcontrol.apiserver.k8s.io"], "resources": ["flowschemas"], "verbs": ["patch"]}

test_fires_on_a_grant if {
	r := deny with input as t.graph([t.grant("", write)])
	count(r) == 1
	some f in r
	f.grant == 0
	contains(f.msg, "flowschemas")
}

test_restricted_by_name_is_low if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["x"]}))])
	[f.severity | some f in r] == ["low"]
}

test_ignores_other_verbs_groups_and_resources if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"verbs": ["watch"]})),
		t.grant("", object.union(write, {"apiGroups": ["other.example.com"]})),
		t.grant("", object.union(write, {"resources": ["configmaps"]})),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}

test_rolebinding_grants_nothing if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	count(r) == 0
}
