package kubegrant.rules.default_sa_rbac

import rego.v1

import data.kubegrant.lib.testing as t

rb(ns, role, subjects) := {
	"kind": "RoleBinding", "name": "b", "namespace": ns,
	"roleRef": {"kind": "ClusterRole", "name": role, "namespace": ""},
	"subjects": subjects,
}

# doc binds role with one rule to subjects in ns, as a binding and its grant.
doc(ns, rule, subjects) := object.union(t.graph([t.grant_to(ns, rule, subjects)]), {"bindings": [rb(ns, "r", subjects)]})

dflt := t.sa("team-a", "default")

read_cm := {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}

test_fires_medium_for_read_grant if {
	r := deny with input as doc("team-a", read_cm, [dflt])
	r == {{
		"binding": 0, "subject": 0, "severity": "medium",
		"msg": "RoleBinding b grants ClusterRole \"r\" to the default ServiceAccount of namespace \"team-a\": every pod there without serviceAccountName holds it",
	}}
}

test_fires_high_for_exec_grant_with_workloads if {
	d := t.with_workloads(doc("team-a", {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}, [dflt]), [
		["Pod", "team-a", "web-1", "default"], ["Pod", "team-a", "web-2", "default"],
	])
	r := deny with input as d
	r == {{
		"binding": 0, "subject": 0, "severity": "high",
		"msg": "RoleBinding b grants ClusterRole \"r\" to the default ServiceAccount of namespace \"team-a\" (run by Pod team-a/web-1 and 1 other workload), which then holds KG020",
	}}
}

test_fires_for_unresolved_role if {
	r := deny with input as object.union(t.graph([]), {"bindings": [rb("team-a", "missing", [dflt])]})
	[f.severity | some f in r] == ["medium"]
}

test_ignores_other_service_accounts if {
	r := deny with input as doc("team-a", read_cm, [t.sa("team-a", "web"), {"kind": "User", "name": "default", "namespace": ""}])
	count(r) == 0
}

test_ignores_serious_grant_through_other_binding if {
	# The exec grant comes from another binding: this one only reads.
	d := object.union(t.graph([
		object.union(t.grant_to("team-a", {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}, [dflt]), {"binding": t.binding_ref("team-a", "other")}),
	]), {"bindings": [rb("team-a", "r", [dflt])]})
	r := deny with input as d
	[f.severity | some f in r] == ["medium"]
}
