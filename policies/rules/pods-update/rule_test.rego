package kubegrant.rules.pods_update

import rego.v1

import data.kubegrant.lib.testing as t

patch := {"apiGroups": [""], "resources": ["pods"], "verbs": ["patch", "get"]}

test_fires_medium_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", patch)])
	r == {{"grant": 0, "severity": "medium", "msg": "can patch any pod in namespace \"team-a\": swap its image and run as its ServiceAccount"}}
}

test_fires_high_in_kube_system_and_cluster if {
	r := deny with input as t.graph([t.grant("kube-system", patch), t.grant("", object.union(patch, {"verbs": ["*"]}))])
	[f.severity | some f in r] == ["high", "high"]
}

test_fires_low_restricted if {
	r := deny with input as t.graph([t.grant("team-a", object.union(patch, {"resourceNames": ["web-0"]}))])
	[f.msg | some f in r] == ["can patch pods web-0 in namespace \"team-a\""]
}

test_ignores_subresources_and_other_groups if {
	r := deny with input as t.graph([
		t.grant("team-a", object.union(patch, {"resources": ["pods/status", "pods/ephemeralcontainers"]})),
		t.grant("team-a", object.union(patch, {"apiGroups": ["metrics.k8s.io"]})),
		t.grant("team-a", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "create"]}),
	])
	count(r) == 0
}

test_ignores_full_wildcard if {
	count(deny) == 0 with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
}
