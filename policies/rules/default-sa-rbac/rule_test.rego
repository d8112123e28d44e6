package kubegrant.rules.default_sa_rbac

import rego.v1

import data.kubegrant.lib.testing as t

rb := {"kind": "RoleBinding", "name": "app", "namespace": "team-a", "roleRef": {"kind": "Role", "name": "app", "namespace": "team-a"}}

default_sa(holds, workloads, bindings) := t.identities([t.identity("ServiceAccount", "team-a", "default", holds, workloads, {}, bindings)])

test_fires_high_when_it_holds_something_serious if {
	r := identity_deny with input as default_sa([t.hold("KG009", "high", "team-a")], [t.workload("Deployment", "team-a", "web", true)], [rb])
	r == {{
		"identity": 0, "severity": "high",
		"msg": "RoleBinding app grants the default ServiceAccount of namespace \"team-a\" (run by Deployment team-a/web), which then holds KG009",
	}}
}

test_fires_medium_for_any_binding if {
	r := identity_deny with input as default_sa([], [], [rb])
	r == {{
		"identity": 0, "severity": "medium",
		"msg": "RoleBinding app grants roles to the default ServiceAccount of namespace \"team-a\": every pod there without serviceAccountName holds them",
	}}
}

test_ignores_unbound_default_service_accounts if {
	count(identity_deny) == 0 with input as default_sa([t.hold("KG009", "high", "team-a")], [], [])
}

test_ignores_other_service_accounts if {
	count(identity_deny) == 0 with input as t.identities([t.identity("ServiceAccount", "team-a", "app", [], [], {}, [rb])])
}
