# METADATA
# title: Subject can reach every non-resource URL, or a proxy or debug path
# description: >-
#   nonResourceURLs "*" (or "/*") reach every API server path that is not a
#   resource: /logs (the control plane host's logs), /debug/pprof, /metrics,
#   version and health endpoints, and whatever future releases and aggregated
#   servers add; "/proxy", "/logs" and "/debug" paths reach proxies and
#   diagnostics. No anchor tool models these. nonResourceURLs only take effect
#   through a ClusterRoleBinding. High for "*" or "/*" with verbs beyond get,
#   medium otherwise.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg104
# custom:
#   id: KG104
#   slug: nonresource-urls
#   severity: medium
#   remediation: >-
#     List the non-resource paths the subject needs (e.g. /metrics, /healthz)
#     instead of "*", and drop /logs, /debug and proxy paths.
#   tags: [stride:information-disclosure, stride:denial-of-service, T1613]
#   catalogue: [G4]
#   references:
#     - kubegrant G4 (no anchor tool covers it)
#   exercised_by:
#     - {nonResourceURLs: ["*"], verbs: ["*"]}
package kubegrant.rules.nonresource_urls

import rego.v1

import data.kubegrant.lib.rbac

everything := {"*", "/*"}

deny contains f if {
	some k, rule in input.rules
	urls := [u | some u in rule.nonResourceURLs; risky(u)]
	count(urls) > 0
	count(rule.verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := {
		"grant": i,
		"severity": severity(urls, rule.verbs),
		"msg": sprintf("can %s non-resource URLs %s: API server logs, debug and proxy endpoints", [
			concat(", ", rule.verbs), concat(", ", urls),
		]),
	}
}

risky(u) if u in everything

risky(u) if {
	not u in everything
	some p in ["/proxy", "/logs", "/debug"]
	startswith(u, p)
}

severity(urls, verbs) := "high" if {
	some u in urls
	u in everything
	some v in verbs
	v != "get"
} else := "medium"
