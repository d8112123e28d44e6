package kubegrant.rules.coredns_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"]}

test_fires_in_kube_system if {
	r := deny with input as t.graph([t.grant("kube-system", write)])
	r == {{"grant": 0, "msg": "can update, patch the CoreDNS ConfigMap of kube-system: rewrite every pod's name resolution"}}
}

test_fires_named_coredns_cluster_wide if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["coredns"]}))])
	[f.msg | some f in r] == ["can update, patch the coredns ConfigMap of kube-system: rewrite every pod's name resolution"]
}

test_ignores_other_namespaces if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", write)])
}

test_ignores_other_names if {
	count(deny) == 0 with input as t.graph([t.grant("kube-system", object.union(write, {"resourceNames": ["my-config"]}))])
}

test_ignores_reads if {
	count(deny) == 0 with input as t.graph([t.grant("kube-system", object.union(write, {"verbs": ["get"]}))])
}
