package kubegrant.rules.irsa_pivot

import rego.v1

import data.kubegrant.lib.testing as t

alice := {"kind": "User", "name": "alice", "namespace": ""}

token := {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}

patch := {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["patch"]}

test_fires_high_same_namespace if {
	r := deny with input as t.graph([t.grant_to("team-a", token, [alice]), t.grant_to("team-a", patch, [alice])])
	r == {{"grant": 0, "subject": 0, "severity": "high", "msg": "can annotate any ServiceAccount and mint its token in namespace \"team-a\": assume the cloud roles that trust it"}}
}

test_fires_critical_cluster_wide_with_namespace_patch if {
	r := deny with input as t.graph([t.grant_to("", token, [alice]), t.grant_to("team-b", patch, [alice])])
	[f.severity | some f in r] == ["critical"]
}

test_fires_medium_restricted if {
	r := deny with input as t.graph([t.grant_to("team-a", token, [alice]), t.grant_to("team-a", object.union(patch, {"resourceNames": ["app"]}), [alice])])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_other_namespace_and_other_subject if {
	bob := {"kind": "User", "name": "bob", "namespace": ""}
	r := deny with input as t.graph([
		t.grant_to("team-a", token, [alice]),
		t.grant_to("team-b", patch, [alice]),
		t.grant_to("team-a", patch, [bob]),
	])
	count(r) == 0
}

test_ignores_token_alone if {
	count(deny) == 0 with input as t.graph([t.grant_to("", token, [alice])])
}
