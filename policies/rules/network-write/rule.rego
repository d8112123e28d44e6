# METADATA
# title: Subject can change Services, endpoints, ingresses or network policies
# description: >-
#   Write access (create, update, patch, delete) to services, endpoints,
#   endpointslices, ingresses, ingressclasses, networkpolicies, Gateway API routes
#   and gateways or Cilium network policies redirects traffic to a pod the
#   subject controls (and reads what it carries) or removes the isolation
#   between workloads. High cluster-wide or in a privileged namespace, medium in
#   other namespaces. resourceNames cannot restrict create; they restrict the
#   other verbs to the named objects (low). A rule that is "*" in verbs,
#   resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg048
# custom:
#   id: KG048
#   slug: network-write
#   severity: high
#   remediation: >-
#     Remove write verbs on Services, endpoints, ingresses and network policies
#     from this role, or limit them to the namespaces the subject owns; manage
#     network policy through a reviewed pipeline.
#   tags: [stride:tampering, stride:information-disclosure, T1557, T1562.001]
#   catalogue: [U48]
#   references:
#     - KSV-0056
#     - rbac-tool Networking
#     - rbac-tool Gateway API
#     - rbac-scope 1064
#     - rbac-scope 1071
#     - rbac-scope 1076
#     - rbac-scope 1091
#     - rbac-scope 1092
#   exercised_by:
#     - {apiGroups: [""], resources: [services, endpoints], verbs: [create, update, patch, delete]}
#     - {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [create, update, patch, delete]}
#     - {apiGroups: [networking.k8s.io], resources: [networkpolicies, ingresses, ingressclasses], verbs: [create, update, patch, delete]}
#     - {apiGroups: [gateway.networking.k8s.io], resources: [gateways, httproutes, tlsroutes, tcproutes, grpcroutes], verbs: [create, update, patch, delete]}
#     - {apiGroups: [cilium.io], resources: [ciliumnetworkpolicies, ciliumclusterwidenetworkpolicies], verbs: [create, update, patch, delete]}
package kubegrant.rules.network_write

import rego.v1

import data.kubegrant.lib.rbac

targets := [
	["", "services"], ["", "endpoints"], ["discovery.k8s.io", "endpointslices"],
	["networking.k8s.io", "networkpolicies"], ["networking.k8s.io", "ingresses"], ["networking.k8s.io", "ingressclasses"],
	["gateway.networking.k8s.io", "gateways"], ["gateway.networking.k8s.io", "httproutes"],
	["gateway.networking.k8s.io", "tlsroutes"], ["gateway.networking.k8s.io", "tcproutes"],
	["gateway.networking.k8s.io", "grpcroutes"],
	["cilium.io", "ciliumnetworkpolicies"], ["cilium.io", "ciliumclusterwidenetworkpolicies"],
]

# Cluster-scoped targets that a RoleBinding cannot reach.
cluster_scoped := {"ingressclasses", "ciliumclusterwidenetworkpolicies"}

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	matched := rbac.matches(rule, targets, ["create", "update", "patch", "delete"])
	count(matched) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	pairs := [p | some p in matched; reached(g, p[0])]
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	f := finding(i, g, pairs, open)
}

reached(g, _) if rbac.cluster_wide(g)

reached(g, r) if {
	not rbac.cluster_wide(g)
	not r in cluster_scoped
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s %s named %s %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can %s any %s %s: redirect traffic or remove isolation", [rbac.pair_verbs(open), rbac.pair_resources(open), rbac.where(g)]),
}

severity(g) := "high" if rbac.sensitive_scope(g) else := "medium"
