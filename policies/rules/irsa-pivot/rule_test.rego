package kubegrant.rules.irsa_pivot

import rego.v1

import data.kubegrant.lib.testing as t

alice(holds) := t.identities([t.identity("User", "", "alice", holds, [], {}, [])])

test_fires_high_same_namespace if {
	r := identity_deny with input as alice([t.hold("KG011", "high", "team-a"), t.hold("KG033", "high", "team-a")])
	r == {{"identity": 0, "severity": "high", "msg": "can annotate ServiceAccounts and mint their tokens in namespace \"team-a\": assume the cloud roles that trust them"}}
}

test_fires_cluster_wide_token_with_namespace_patch if {
	r := identity_deny with input as alice([t.hold("KG011", "critical", ""), t.hold("KG033", "high", "team-b")])
	[f.msg | some f in r] == ["can annotate ServiceAccounts and mint their tokens in namespace \"team-b\": assume the cloud roles that trust them"]
}

test_fires_medium_restricted if {
	r := identity_deny with input as alice([t.hold("KG011", "low", "team-a"), t.hold("KG033", "high", "team-a")])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_other_namespace if {
	count(identity_deny) == 0 with input as alice([t.hold("KG011", "high", "team-a"), t.hold("KG033", "high", "team-b")])
}

test_ignores_token_alone if {
	count(identity_deny) == 0 with input as alice([t.hold("KG011", "critical", "")])
}
