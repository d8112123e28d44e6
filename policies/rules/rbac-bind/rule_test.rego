package kubegrant.rules.rbac_bind

import rego.v1

import data.kubegrant.lib.testing as t

bind_rule := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}

create_rb := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}

alice := {"kind": "User", "name": "alice", "namespace": ""}

bob := {"kind": "User", "name": "bob", "namespace": ""}

test_fires_high_without_binding_write if {
	r := deny with input as t.graph([t.grant("", bind_rule)])
	r == {{"grant": 0, "subject": 0, "severity": "high", "msg": "can bind any of clusterroles in every namespace"}}
}

test_fires_critical_with_binding_write_other_grant if {
	r := deny with input as t.graph([
		t.grant_to("team-a", bind_rule, [alice, bob]),
		t.grant_to("team-a", create_rb, [alice]),
	])
	r == {
		{"grant": 0, "subject": 0, "severity": "critical", "msg": "can bind any of clusterroles in namespace \"team-a\" and create bindings: it can grant itself any permission"},
		{"grant": 0, "subject": 1, "severity": "high", "msg": "can bind any of clusterroles in namespace \"team-a\""},
	}
}

test_fires_critical_cluster_wide_writer if {
	r := deny with input as t.graph([
		t.grant_to("team-a", bind_rule, [alice]),
		t.grant_to("", object.union(create_rb, {"resources": ["clusterrolebindings"]}), [alice]),
	])
	[f.severity | some f in r] == ["critical"]
}

test_fires_critical_cluster_bind_namespace_writer if {
	r := deny with input as t.graph([
		t.grant_to("", bind_rule, [alice]),
		t.grant_to("team-b", create_rb, [alice]),
	])
	[f.severity | some f in r] == ["critical"]
}

test_fires_high_writer_in_other_namespace if {
	r := deny with input as t.graph([
		t.grant_to("team-a", bind_rule, [alice]),
		t.grant_to("team-b", create_rb, [alice]),
	])
	[f.severity | some f in r] == ["high"]
}

test_fires_high_restricted_patch_is_not_a_writer if {
	r := deny with input as t.graph([
		t.grant_to("team-a", bind_rule, [alice]),
		t.grant_to("team-a", object.union(create_rb, {"verbs": ["patch"], "resourceNames": ["x"]}), [alice]),
	])
	[f.severity | some f in r] == ["high"]
}

test_fires_same_rule_binds_and_creates if {
	r := deny with input as t.graph([t.grant("", {
		"apiGroups": ["rbac.authorization.k8s.io"],
		"resources": ["roles", "clusterroles", "clusterrolebindings"],
		"verbs": ["bind", "create"],
	})])
	[f.msg | some f in r] == ["can bind any of roles, clusterroles in every namespace and create bindings: it can grant itself any permission"]
}

test_fires_restricted_medium if {
	r := deny with input as t.graph([
		t.grant_to("team-a", object.union(bind_rule, {"resourceNames": ["view", "edit"]}), [alice]),
		t.grant_to("team-a", create_rb, [alice]),
	])
	r == {{"grant": 0, "subject": 0, "severity": "medium", "msg": "can bind clusterroles edit, view in namespace \"team-a\""}}
}

test_ignores_bind_on_bindings if {
	r := deny with input as t.graph([t.grant("", object.union(bind_rule, {"resources": ["rolebindings", "clusterrolebindings"]}))])
	count(r) == 0
}

test_ignores_core_group if {
	r := deny with input as t.graph([t.grant("", object.union(bind_rule, {"apiGroups": [""]}))])
	count(r) == 0
}

test_ignores_create_bindings_alone if {
	r := deny with input as t.graph([t.grant("", create_rb)])
	count(r) == 0
}
