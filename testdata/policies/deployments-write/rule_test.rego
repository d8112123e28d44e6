package kubegrant.rules.deployments_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}

test_fires_on_patch if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	r == {{"grant": 0, "msg": "can patch Deployments in namespace \"team-a\", outside GitOps"}}
}

test_ignores_reads_and_other_groups if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"verbs": ["get", "list"]})),
		t.grant("", object.union(write, {"apiGroups": ["extensions.example.com"]})),
	])
	count(r) == 0
}
