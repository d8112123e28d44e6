package kubegrant.rules.daemonset_risky_sa

import rego.v1

import data.kubegrant.lib.testing as t

agent(holds, workloads) := t.identities([t.identity("ServiceAccount", "kube-agents", "agent", holds, workloads, {}, [])])

test_fires_for_a_daemonset_mounting_a_powerful_token if {
	r := identity_deny with input as agent([t.hold("KG024", "critical", "")], [t.workload("DaemonSet", "kube-agents", "node-agent", true)])
	r == {{"identity": 0, "msg": "DaemonSet kube-agents/node-agent runs on every node as ServiceAccount kube-agents/agent, which holds KG024: KG024 message"}}
}

test_ignores_deployments if {
	count(identity_deny) == 0 with input as agent([t.hold("KG024", "critical", "")], [t.workload("Deployment", "kube-agents", "x", true)])
}

test_ignores_unmounted_tokens if {
	count(identity_deny) == 0 with input as agent([t.hold("KG024", "critical", "")], [t.workload("DaemonSet", "kube-agents", "node-agent", false)])
}

test_ignores_medium_holds if {
	count(identity_deny) == 0 with input as agent([t.hold("KG049", "medium", "")], [t.workload("DaemonSet", "kube-agents", "node-agent", true)])
}
