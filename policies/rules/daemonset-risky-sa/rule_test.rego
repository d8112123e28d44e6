package kubegrant.rules.daemonset_risky_sa

import rego.v1

import data.kubegrant.lib.testing as t

agent := t.sa("kube-system", "agent")

proxy := {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}

test_fires_daemonset_with_nodes_proxy if {
	d := t.with_workloads(t.graph([t.grant_to("", proxy, [agent])]), [
		["Deployment", "kube-system", "ctl", "agent"], ["DaemonSet", "kube-system", "agent", "agent"],
	])
	r := deny with input as d
	r == {{
		"grant": 0, "subject": 0, "object": 1,
		"msg": "DaemonSet kube-system/agent runs on every node as ServiceAccount kube-system/agent, which holds KG024: can get nodes/proxy on every node: the kubelet API, exec in every pod included",
	}}
}

test_ignores_deployment_only if {
	d := t.with_workloads(t.graph([t.grant_to("", proxy, [agent])]), [["Deployment", "kube-system", "ctl", "agent"]])
	count(deny) == 0 with input as d
}

test_ignores_daemonset_with_harmless_grant if {
	d := t.with_workloads(t.graph([t.grant_to("", {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}, [agent])]), [["DaemonSet", "kube-system", "agent", "agent"]])
	count(deny) == 0 with input as d
}
