package kubegrant.rules.low_impact_tamper

import rego.v1

import data.kubegrant.lib.testing as t

test_fires_pdb_delete_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["delete", "get"]})])
	r == {{"grant": 0, "severity": "low", "msg": "can delete poddisruptionbudgets in namespace \"team-a\""}}
}

test_fires_medium_cluster_wide_csr_status if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["certificates.k8s.io", ""], "resources": ["certificatesigningrequests/status", "resourcequotas"], "verbs": ["patch"]})])
	[[f.severity, f.msg] | some f in r] == [["medium", "can patch resourcequotas, certificatesigningrequests/status in every namespace"]]
}

test_ignores_reads_and_cluster_scoped_in_namespace if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/status"], "verbs": ["patch"]}),
		t.grant("", {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["get", "list"]}),
		t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
	])
	count(r) == 0
}
