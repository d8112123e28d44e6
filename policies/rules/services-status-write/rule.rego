# METADATA
# title: Subject can update or patch Service status
# description: >-
#   update or patch on services/status sets status.loadBalancer.ingress: with
#   kube-proxy in iptables or IPVS mode every node then routes traffic for that
#   IP to the Service, so the subject intercepts traffic meant for any external
#   address (CVE-2020-8554, unpatched by design). Medium; resourceNames restrict
#   it to the named Services (low). A rule that is "*" in verbs, resources and
#   apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg047
# custom:
#   id: KG047
#   slug: services-status-write
#   severity: medium
#   remediation: >-
#     Remove update and patch on services/status; only the cloud controller or
#     load-balancer controller should write it. Block external IPs with an
#     admission policy (DenyServiceExternalIPs).
#   tags: [stride:tampering, stride:information-disclosure, T1557]
#   catalogue: [U47]
#   references:
#     - rbac-police modify_service_status_cve_2020_8554
#     - checkov CKV2_K8S_4
#   exercised_by:
#     - {apiGroups: [""], resources: [services/status], verbs: [update, patch]}
package kubegrant.rules.services_status_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "services/status", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s the status of Services %s %s", [verbs, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"msg": sprintf("can %s the status of any Service %s: claim a load-balancer IP and intercept its traffic (CVE-2020-8554)", [verbs, rbac.where(g)]),
}
