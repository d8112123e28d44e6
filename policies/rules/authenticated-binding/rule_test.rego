package kubegrant.rules.authenticated_binding

import rego.v1

import data.kubegrant.lib.rbac
import data.kubegrant.lib.testing as t

binding(kind, ns, role_kind, role, subjects) := {
	"kind": kind, "name": "b", "namespace": ns,
	"roleRef": {"kind": role_kind, "name": role, "namespace": ""},
	"subjects": subjects,
}

crb(role, subjects) := binding("ClusterRoleBinding", "", "ClusterRole", role, subjects)

authn := {"kind": "Group", "name": "system:authenticated", "namespace": ""}

alice := {"kind": "User", "name": "alice", "namespace": ""}

# doc is an input with the binding and, when rule is not null, one grant of
# that rule through it.
doc(b, rule) := object.union(t.graph([object.union(t.grant_to("", rule, b.subjects), {"binding": {"kind": b.kind, "name": b.name, "namespace": b.namespace}})]), {"bindings": [object.union(b, {"grants": [0]})]}) if rule != null

doc(b, null) := {"grants": [], "rules": [], "ruleGrants": [], "bindings": [object.union(b, {"grants": []})]}

read_pods := {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}

test_fires_read_only_high if {
	r := deny with input as doc(crb("viewer", [alice, authn]), read_pods)
	r == {{"binding": 0, "subject": 1, "severity": "high", "msg": "ClusterRoleBinding b binds ClusterRole \"viewer\" to every authenticated user: read access for anyone with credentials"}}
}

test_fires_write_critical if {
	r := deny with input as doc(crb("editor", [authn]), {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]})
	r == {{"binding": 0, "subject": 0, "severity": "critical", "msg": "ClusterRoleBinding b binds ClusterRole \"editor\" to every authenticated user: more than read access for anyone with credentials"}}
}

test_fires_secret_read_critical if {
	r := deny with input as doc(crb("viewer", [authn]), {"apiGroups": ["*"], "resources": ["secrets"], "verbs": ["get"]})
	[f.severity | some f in r] == ["critical"]
}

test_fires_admin_critical if {
	r := deny with input as doc(crb("cluster-admin", [authn]), {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
	[f.msg | some f in r] == ["ClusterRoleBinding b binds ClusterRole \"cluster-admin\" to every authenticated user: every verb on every resource for anyone with credentials"]
}

test_fires_unresolved_role_critical if {
	r := deny with input as doc(crb("missing", [authn]), null)
	[f.severity | some f in r] == ["critical"]
}

test_fires_rolebinding_and_role_named_like_bootstrap if {
	r := deny with input as doc(binding("RoleBinding", "team-a", "Role", "system:discovery", [authn]), null)
	[f.severity | some f in r] == ["critical"]
}

test_ignores_bootstrap_roles if {
	every role in rbac.discovery_roles {
		count(deny) == 0 with input as doc(crb(role, [authn]), {"nonResourceURLs": ["/api"], "verbs": ["get"]})
	}
}

test_ignores_other_subjects if {
	r := deny with input as doc(crb("editor", [
		alice,
		{"kind": "User", "name": "system:authenticated", "namespace": ""},
		{"kind": "Group", "name": "system:unauthenticated", "namespace": ""},
	]), {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
	count(r) == 0
}

test_fires_low_for_named_objects_only if {
	# Tekton's tekton-pipelines-info: one named ConfigMap for everyone.
	r := deny with input as doc(crb("info", [authn]), {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["tekton-pipelines-info"]})
	[f.severity | some f in r] == ["low"]
}
