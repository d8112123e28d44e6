package kubegrant.rules.workload_risky_sa

import rego.v1

import data.kubegrant.lib.testing as t

app(holds, workloads) := t.identities([t.identity("ServiceAccount", "team-a", "app", holds, workloads, {}, [])])

deploy := t.workload("Deployment", "team-a", "api", true)

test_fires_once_per_service_account_naming_its_workloads if {
	r := identity_deny with input as app(
		[t.hold("KG011", "critical", "team-a"), t.hold("KG008", "high", "team-a")],
		[deploy, t.workload("Pod", "team-a", "debug", true), t.workload("Job", "team-a", "migrate", true)],
	)
	r == {{
		"identity": 0, "severity": "critical",
		"msg": "Deployment team-a/api and 2 other workloads run as ServiceAccount team-a/app and mount its token, which holds KG008, KG011: KG011 message",
	}}
}

test_fires_high_when_the_top_hold_is_high if {
	r := identity_deny with input as app([t.hold("KG008", "high", "team-a")], [deploy])
	[f.severity | some f in r] == ["high"]
}

test_ignores_workloads_that_do_not_mount_the_token if {
	count(identity_deny) == 0 with input as app([t.hold("KG011", "critical", "")], [t.workload("Deployment", "team-a", "api", false)])
}

test_ignores_harmless_holds if {
	count(identity_deny) == 0 with input as app([t.hold("KG060", "low", "")], [deploy])
}

test_ignores_daemonsets_reported_by_kg058 if {
	count(identity_deny) == 0 with input as app([t.hold("KG011", "critical", "")], [t.workload("DaemonSet", "team-a", "agent", true)])
}

test_ignores_service_accounts_without_workloads if {
	count(identity_deny) == 0 with input as app([t.hold("KG011", "critical", "")], [])
}
