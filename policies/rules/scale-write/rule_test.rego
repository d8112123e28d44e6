package kubegrant.rules.scale_write

import rego.v1

import data.kubegrant.lib.testing as t

scale := {"apiGroups": ["apps"], "resources": ["deployments/scale", "statefulsets/scale"], "verbs": ["patch"]}

test_fires_medium_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", scale)])
	r == {{"grant": 0, "severity": "medium", "msg": "can patch deployments/scale, statefulsets/scale of any workload in namespace \"team-a\": scale it to zero or exhaust resources"}}
}

test_fires_high_kube_system_wildcard_subresource if {
	r := deny with input as t.graph([t.grant("kube-system", {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["update"]})])
	[f.severity | some f in r] == ["high"]
}

test_fires_restricted_low if {
	r := deny with input as t.graph([t.grant("", object.union(scale, {"resourceNames": ["web"]}))])
	[f.severity | some f in r] == ["low"]
}

test_ignores_replicasets_and_core_group if {
	r := deny with input as t.graph([
		t.grant("", object.union(scale, {"resources": ["replicasets/scale"]})),
		t.grant("", object.union(scale, {"apiGroups": [""]})),
		t.grant("", object.union(scale, {"verbs": ["get"]})),
	])
	count(r) == 0
}
