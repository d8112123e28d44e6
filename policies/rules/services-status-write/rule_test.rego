package kubegrant.rules.services_status_write

import rego.v1

import data.kubegrant.lib.testing as t

write := {"apiGroups": [""], "resources": ["services/status"], "verbs": ["update", "patch"]}

test_fires_in_namespace if {
	r := deny with input as t.graph([t.grant("team-a", write)])
	r == {{"grant": 0, "msg": "can update, patch the status of any Service in namespace \"team-a\": claim a load-balancer IP and intercept its traffic (CVE-2020-8554)"}}
}

test_fires_restricted_low if {
	r := deny with input as t.graph([t.grant("", object.union(write, {"resourceNames": ["lb"]}))])
	[f.severity | some f in r] == ["low"]
}

test_ignores_services_and_other_groups if {
	r := deny with input as t.graph([
		t.grant("", object.union(write, {"resources": ["services"]})),
		t.grant("", object.union(write, {"apiGroups": ["apps"]})),
		t.grant("", object.union(write, {"verbs": ["get"]})),
	])
	count(r) == 0
}
