package kubegrant.rules.cloud_identity_sa

import rego.v1

import data.kubegrant.lib.testing as t

app := t.sa("team-a", "app")

token := {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}

doc(grants, annotations) := object.union(t.graph(grants), {
	"serviceAccounts": [{"namespace": "team-a", "name": "app", "annotations": annotations}],
	"saGrants": t.sa_grants(grants, {}, {["team-a", "app"] | count(annotations) > 0}),
})

irsa := {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"}

test_fires_irsa_with_token_minting if {
	r := deny with input as doc([t.grant_to("team-a", token, [app])], irsa)
	r == {{
		"grant": 0, "subject": 0,
		"msg": "ServiceAccount team-a/app has cloud identity eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/app and holds KG011: can mint a token for any ServiceAccount in namespace \"team-a\" and act as it",
	}}
}

test_ignores_without_annotation if {
	count(deny) == 0 with input as doc([t.grant_to("team-a", token, [app])], {})
}

test_ignores_harmless_grants if {
	r := deny with input as doc([t.grant_to("team-a", {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}, [app])], irsa)
	count(r) == 0
}

test_ignores_rbac_only_input if {
	count(deny) == 0 with input as t.graph([t.grant_to("team-a", token, [app])])
}
