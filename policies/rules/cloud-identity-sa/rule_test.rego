package kubegrant.rules.cloud_identity_sa

import rego.v1

import data.kubegrant.lib.testing as t

irsa := {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"}

app(holds, annotations) := t.identities([t.identity("ServiceAccount", "team-a", "app", holds, [], annotations, [])])

test_fires_irsa_with_a_critical_hold if {
	r := identity_deny with input as app([t.hold("KG011", "critical", "team-a")], irsa)
	r == {{
		"identity": 0,
		"msg": "ServiceAccount team-a/app has cloud identity eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/app and holds KG011: KG011 message",
	}}
}

test_ignores_without_annotation if {
	count(identity_deny) == 0 with input as app([t.hold("KG011", "critical", "team-a")], {})
}

test_ignores_harmless_holds if {
	count(identity_deny) == 0 with input as app([t.hold("KG060", "low", "")], irsa)
}
