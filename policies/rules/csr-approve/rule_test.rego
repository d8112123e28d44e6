package kubegrant.rules.csr_approve

import rego.v1

import data.kubegrant.lib.testing as t

approval := {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"]}

approve := {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]}

both := {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval", "signers"], "verbs": ["update", "approve"]}

test_fires_high_approval_and_client_signer if {
	r := deny with input as t.graph([t.grant("", both)])
	r == {{"grant": 0, "severity": "high", "msg": "can update certificatesigningrequests/approval and approve for signer kubernetes.io/kube-apiserver-client: approve any pending client certificate"}}
}

test_fires_medium_approval_alone if {
	r := deny with input as t.graph([t.grant("", approval)])
	[f.severity | some f in r] == ["medium"]
}

test_fires_medium_signer_approve_alone if {
	r := deny with input as t.graph([t.grant("", object.union(approve, {"resourceNames": ["example.com/x"]}))])
	r == {{"grant": 0, "severity": "medium", "msg": "can approve for signers example.com/x: with certificatesigningrequests/approval, approve any pending CSR for them"}}
}

test_ignores_namespaced if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", both)])
}

test_ignores_read if {
	count(deny) == 0 with input as t.graph([t.grant("", object.union(approval, {"verbs": ["get"]}))])
}
