package kubegrant.rules.storage_runtime_write

import rego.v1

import data.kubegrant.lib.testing as t

test_fires_pv_create if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create", "get"]})])
	r == {{"grant": 0, "severity": "high", "msg": "can create any persistentvolumes: hostPath volumes, runtime handlers or CSI drivers on the nodes"}}
}

test_fires_runtimeclass_and_csidriver_writes if {
	r := deny with input as t.graph([
		t.grant("", {"apiGroups": ["node.k8s.io"], "resources": ["runtimeclasses"], "verbs": ["patch"]}),
		t.grant("", {"apiGroups": ["storage.k8s.io"], "resources": ["*"], "verbs": ["create"]}),
	])
	[f.msg | some f in r] == [
		"can patch any runtimeclasses: hostPath volumes, runtime handlers or CSI drivers on the nodes",
		"can create any csidrivers, storageclasses, volumeattachments: hostPath volumes, runtime handlers or CSI drivers on the nodes",
	]
}

test_fires_restricted_patch_medium if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["patch"], "resourceNames": ["fast"]})])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_rolebinding_and_pvc if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]}),
		t.grant("", {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["create"]}),
		t.grant("", {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["delete", "patch", "get"]}),
	])
	count(r) == 0
}
