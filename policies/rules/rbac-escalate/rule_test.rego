package kubegrant.rules.rbac_escalate

import rego.v1

import data.kubegrant.lib.testing as t

escalate_rule := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["escalate"]}

test_fires_cluster_wide if {
	r := deny with input as t.graph([t.grant("", escalate_rule)])
	# High alone: the escalation graph raises it when the same identity may
	# also update the roles (escalate plus update clusterroles reaches
	# cluster-admin).
	r == {{"grant": 0, "severity": "high", "msg": "can escalate roles, clusterroles in every namespace: write rules it does not hold into any role it may update"}}
}

test_fires_namespace_roles_only if {
	r := deny with input as t.graph([t.grant("team-a", escalate_rule)])
	[f.msg | some f in r] == ["can escalate roles in namespace \"team-a\": write rules it does not hold into any role it may update"]
}

test_fires_wildcards if {
	r := deny with input as t.graph([t.grant("", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})])
	count(r) == 1
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([t.grant("", object.union(escalate_rule, {"resourceNames": ["view"]}))])
	[f.severity | some f in r] == ["medium"]
}

test_ignores_clusterroles_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", object.union(escalate_rule, {"resources": ["clusterroles"]}))])
	count(r) == 0
}

test_ignores_core_group if {
	r := deny with input as t.graph([t.grant("", object.union(escalate_rule, {"apiGroups": [""]}))])
	count(r) == 0
}

test_ignores_update_without_escalate if {
	r := deny with input as t.graph([t.grant("", object.union(escalate_rule, {"verbs": ["update", "patch", "bind"]}))])
	count(r) == 0
}
