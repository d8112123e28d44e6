package kubegrant.rules.csr_approve

import rego.v1

import data.kubegrant.lib.testing as t

alice := {"kind": "User", "name": "alice", "namespace": ""}

approval := {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"]}

approve_signers := {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]}

create_csr := {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["create", "get"]}

test_fires_critical_full_chain if {
	r := deny with input as t.graph([
		t.grant_to("", approval, [alice]),
		t.grant_to("", approve_signers, [alice]),
		t.grant_to("", create_csr, [alice]),
	])
	r == {{"grant": 0, "subject": 0, "severity": "critical", "msg": "can create certificatesigningrequests and update their approval for signer kubernetes.io/kube-apiserver-client: mint a client certificate for any user or group"}}
}

test_fires_critical_signer_wildcard_name_and_approval_names_ignored if {
	r := deny with input as t.graph([
		t.grant_to("", object.union(approval, {"resourceNames": ["my-csr"]}), [alice]),
		t.grant_to("", object.union(approve_signers, {"resourceNames": ["kubernetes.io/*"]}), [alice]),
		t.grant_to("", object.union(create_csr, {"resourceNames": ["my-csr"]}), [alice]),
	])
	[f.severity | some f in r] == ["critical"]
}

test_fires_high_other_signer if {
	r := deny with input as t.graph([
		t.grant_to("", approval, [alice]),
		t.grant_to("", object.union(approve_signers, {"resourceNames": ["example.com/serving"]}), [alice]),
		t.grant_to("", create_csr, [alice]),
	])
	r == {{"grant": 0, "subject": 0, "severity": "high", "msg": "can update certificatesigningrequests/approval and approve signers example.com/serving: approve any pending CSR for them"}}
}

test_fires_low_approval_alone if {
	r := deny with input as t.graph([t.grant_to("", approval, [alice])])
	[f.severity | some f in r] == ["low"]
}

test_ignores_rolebinding if {
	r := deny with input as t.graph([
		t.grant_to("team-a", approval, [alice]),
		t.grant_to("team-a", approve_signers, [alice]),
		t.grant_to("team-a", create_csr, [alice]),
	])
	count(r) == 0
}

test_ignores_without_approval if {
	r := deny with input as t.graph([
		t.grant_to("", approve_signers, [alice]),
		t.grant_to("", create_csr, [alice]),
		t.grant_to("", object.union(approval, {"resources": ["certificatesigningrequests/status"]}), [alice]),
	])
	count(r) == 0
}

test_fires_per_subject if {
	bob := {"kind": "User", "name": "bob", "namespace": ""}
	r := deny with input as t.graph([
		t.grant_to("", approval, [alice, bob]),
		t.grant_to("", approve_signers, [alice]),
		t.grant_to("", create_csr, [alice]),
	])
	[[f.subject, f.severity] | some f in r] == [[0, "critical"], [1, "low"]]
}
