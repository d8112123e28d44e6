package kubegrant.rules.csr_sign

import rego.v1

import data.kubegrant.lib.testing as t

alice := {"kind": "User", "name": "alice", "namespace": ""}

sign := {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["sign"]}

status := {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/status"], "verbs": ["patch"]}

test_fires_critical_unrestricted if {
	r := deny with input as t.graph([t.grant_to("", sign, [alice]), t.grant_to("", status, [alice])])
	r == {{"grant": 0, "subject": 0, "msg": "can sign as kubernetes.io/kube-apiserver-client and write CSR status: issue a client certificate for any user or group"}}
}

test_fires_high_custom_signer if {
	r := deny with input as t.graph([t.grant_to("", object.union(sign, {"resourceNames": ["example.com/issuer"]}), [alice]), t.grant_to("", status, [alice])])
	[f.severity | some f in r] == ["high"]
}

test_ignores_sign_without_status if {
	bob := {"kind": "User", "name": "bob", "namespace": ""}
	r := deny with input as t.graph([t.grant_to("", sign, [alice]), t.grant_to("", status, [bob])])
	count(r) == 0
}

test_ignores_rolebinding if {
	r := deny with input as t.graph([t.grant_to("team-a", sign, [alice]), t.grant_to("team-a", status, [alice])])
	count(r) == 0
}
