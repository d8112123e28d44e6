package kubegrant.rules.workload_risky_sa

import rego.v1

import data.kubegrant.lib.testing as t

exec_rule := {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}

secrets_rule := {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}

api := t.sa("payments", "api")

alice := {"kind": "User", "name": "alice", "namespace": ""}

doc(grants, ws) := t.with_workloads(t.graph(grants), ws)

deploy := ["Deployment", "payments", "api", "api"]

test_fires_deployment_with_exec if {
	r := deny with input as doc([t.grant_to("payments", exec_rule, [alice, api])], [deploy])
	r == {{
		"grant": 0, "subject": 1, "severity": "high", "object": 0,
		"msg": "Deployment payments/api runs as ServiceAccount payments/api, which holds KG020: can exec into any pod in namespace \"payments\"",
	}}
}

test_fires_critical_once_per_grant_with_every_rule if {
	r := deny with input as doc([t.grant_to("", secrets_rule, [api])], [deploy, ["Pod", "payments", "api-1", "api"], ["Pod", "payments", "api-2", "api"]])
	count(r) == 1
	some f in r
	f.severity == "critical"
	startswith(f.msg, "Deployment payments/api and 2 other workloads runs as ServiceAccount payments/api, which holds KG008, KG009: ")
}

test_fires_builtin_edit_binding if {
	b := {
		"kind": "RoleBinding", "name": "api-edit", "namespace": "payments",
		"roleRef": {"kind": "ClusterRole", "name": "edit", "namespace": ""},
		"subjects": [api],
	}
	r := deny with input as object.union(doc([], [deploy]), {"bindings": [b]})
	[[f.binding, f.subject, f.severity] | some f in r] == [[0, 0, "high"]]
}

test_ignores_without_workloads if {
	r := deny with input as t.graph([t.grant_to("payments", exec_rule, [api])])
	count(r) == 0
}

test_ignores_other_service_account if {
	r := deny with input as doc([t.grant_to("payments", exec_rule, [api])], [["Deployment", "payments", "web", "web"]])
	count(r) == 0
}

test_ignores_same_name_other_namespace if {
	r := deny with input as doc([t.grant_to("", exec_rule, [t.sa("billing", "api")])], [deploy])
	count(r) == 0
}

test_ignores_medium_and_restricted_grants if {
	r := deny with input as doc([
		t.grant_to("payments", object.union(secrets_rule, {"verbs": ["get"], "resourceNames": ["db"]}), [api]),
		t.grant_to("payments", {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]}, [api]),
		t.grant_to("payments", {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}, [api]),
	], [deploy])
	count(r) == 0
}

test_ignores_other_subject_of_subject_specific_finding if {
	# KG028 grades per subject: alice can also write bindings (critical), api
	# cannot (high) — api's finding must carry its own severity.
	bind := {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}
	r := deny with input as doc([
		t.grant_to("payments", bind, [alice, api]),
		t.grant_to("payments", {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}, [alice]),
	], [deploy])
	[[f.grant, f.subject, f.severity] | some f in r] == [[0, 1, "high"]]
}

test_ignores_group_subjects if {
	r := deny with input as doc([t.grant_to("payments", exec_rule, [{"kind": "Group", "name": "system:serviceaccounts:payments", "namespace": ""}])], [deploy])
	count(r) == 0
}
