package kubegrant.rules.policy_engine_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["templates.gatekeeper.sh"], "resources": ["constrainttemplates"], "verbs": ["patch"]}

test_fires_on_a_grant if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	count(r) == 1
	some f in r
	f.grant == 0
	contains(f.msg, "constrainttemplates")
}

test_restricted_by_name_is_low if {
	r := deny with input as t.graph([t.grant("team-a", object.union(write, {"resourceNames": ["x"]}))])
	[f.severity | some f in r] == ["low"]
}

test_ignores_other_verbs_groups_and_resources if {
	r := deny with input as t.graph([
		t.grant("team-a", object.union(write, {"verbs": ["watch"]})),
		t.grant("team-a", object.union(write, {"apiGroups": ["other.example.com"]})),
		t.grant("team-a", object.union(write, {"resources": ["configmaps"]})),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
