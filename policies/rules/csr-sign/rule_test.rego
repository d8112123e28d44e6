package kubegrant.rules.csr_sign

import rego.v1

import data.kubegrant.lib.testing as t

sign := {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["sign"]}

test_fires_high_client_signer if {
	r := deny with input as t.graph([t.grant("", sign)])
	[f.severity | some f in r] == ["high"]
}

test_fires_medium_other_signers if {
	r := deny with input as t.graph([t.grant("", object.union(sign, {"resourceNames": ["example.com/serving"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can sign as example.com/serving"}}
}

test_ignores_namespaced if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", sign)])
}

test_ignores_approve if {
	count(deny) == 0 with input as t.graph([t.grant("", object.union(sign, {"verbs": ["approve"]}))])
}
