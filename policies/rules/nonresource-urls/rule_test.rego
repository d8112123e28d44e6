package kubegrant.rules.nonresource_urls

import rego.v1

import data.kubegrant.lib.testing as t

test_fires_star_all_verbs_high if {
	r := deny with input as t.graph([t.grant("", {"nonResourceURLs": ["*"], "verbs": ["*"]})])
	r == {{"grant": 0, "severity": "high", "msg": "can * non-resource URLs *: API server logs, debug and proxy endpoints"}}
}

test_fires_get_logs_medium if {
	r := deny with input as t.graph([t.grant("", {"nonResourceURLs": ["/healthz", "/logs/*", "/debug/pprof/*"], "verbs": ["get"]})])
	[[f.severity, f.msg] | some f in r] == [["medium", "can get non-resource URLs /logs/*, /debug/pprof/*: API server logs, debug and proxy endpoints"]]
}

test_ignores_rolebinding if {
	count(deny) == 0 with input as t.graph([t.grant("team-a", {"nonResourceURLs": ["*"], "verbs": ["*"]})])
}

test_ignores_ordinary_paths if {
	r := deny with input as t.graph([t.grant("", {"nonResourceURLs": ["/metrics", "/healthz", "/version", "/api", "/apis/*"], "verbs": ["get"]})])
	count(r) == 0
}
