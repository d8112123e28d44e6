package kubegrant.rules.aws_auth_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"]}

eks(grants) := object.union(t.graph(grants), {"platforms": {"eks": "ClusterRole \"eks:addon-manager\""}})

test_fires_on_eks if {
	r := deny with input as eks([t.grant("kube-system", write)])
	r == {{"grant": 0, "msg": "can patch the aws-auth ConfigMap of kube-system: map an IAM principal to system:masters"}}
}

test_fires_named_aws_auth if {
	r := deny with input as eks([t.grant("", object.union(write, {"resourceNames": ["aws-auth"]}))])
	count(r) == 1
}

test_ignores_without_eks if {
	count(deny) == 0 with input as object.union(t.graph([t.grant("kube-system", write)]), {"platforms": {}})
}

test_ignores_other_names_and_namespaces if {
	count(deny) == 0 with input as eks([
		t.grant("kube-system", object.union(write, {"resourceNames": ["coredns"]})),
		t.grant("team-a", write),
	])
}
