package kubegrant.rules.rbac_bindings_write

import rego.v1

import data.kubegrant.lib.testing as t

create_rb := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}

bind_rule := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}

alice := {"kind": "User", "name": "alice", "namespace": ""}

bob := {"kind": "User", "name": "bob", "namespace": ""}

test_fires_namespace_high if {
	r := deny with input as t.graph([t.grant_to("team-a", create_rb, [alice])])
	r == {{"grant": 0, "subject": 0, "severity": "high", "msg": "can create any rolebindings in namespace \"team-a\": bind itself any role whose permissions it holds"}}
}

test_fires_cluster_wide_and_kube_system_critical if {
	r := deny with input as t.graph([
		t.grant("", object.union(create_rb, {"resources": ["clusterrolebindings"], "verbs": ["patch"]})),
		t.grant("kube-system", create_rb),
	])
	[f.severity | some f in r] == ["critical", "critical"]
}

test_fires_restricted_patch_medium if {
	r := deny with input as t.graph([t.grant_to("team-a", object.union(create_rb, {"verbs": ["update", "patch"], "resourceNames": ["ops"]}), [alice])])
	r == {{"grant": 0, "subject": 0, "severity": "medium", "msg": "can update, patch rolebindings named ops in namespace \"team-a\""}}
}

test_fires_resource_names_do_not_restrict_create if {
	r := deny with input as t.graph([t.grant("team-a", object.union(create_rb, {"resourceNames": ["ops"]}))])
	[f.severity | some f in r] == ["high"]
}

test_fires_only_for_subjects_without_bind if {
	r := deny with input as t.graph([
		t.grant_to("team-a", create_rb, [alice, bob]),
		t.grant_to("team-a", bind_rule, [alice]),
	])
	{f.subject | some f in r} == {1}
}

test_fires_with_restricted_bind if {
	r := deny with input as t.graph([
		t.grant_to("team-a", create_rb, [alice]),
		t.grant_to("team-a", object.union(bind_rule, {"resourceNames": ["view"]}), [alice]),
	])
	count(r) == 1
}

test_fires_with_bind_in_other_namespace if {
	r := deny with input as t.graph([
		t.grant_to("team-a", create_rb, [alice]),
		t.grant_to("team-b", bind_rule, [alice]),
	])
	count(r) == 1
}

test_fires_every_rule_and_wildcard_group if {
	r := deny with input as t.graph([
		t.grant("team-a", {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get"]}),
		t.grant("team-a", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["create"]}),
	])
	{f.grant | some f in r} == {1}
}

test_ignores_when_bind_reports_it if {
	r := deny with input as t.graph([
		t.grant_to("team-a", create_rb, [alice]),
		t.grant_to("", bind_rule, [alice]),
	])
	count(r) == 0
}

test_ignores_clusterrolebindings_in_rolebinding if {
	r := deny with input as t.graph([t.grant("team-a", object.union(create_rb, {"resources": ["clusterrolebindings"]}))])
	count(r) == 0
}

test_ignores_core_group_and_other_verbs if {
	r := deny with input as t.graph([
		t.grant("", object.union(create_rb, {"apiGroups": [""]})),
		t.grant("", object.union(create_rb, {"verbs": ["get", "list", "delete", "bind"]})),
	])
	count(r) == 0
}
