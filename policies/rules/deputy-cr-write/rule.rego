# METADATA
# title: Subject can write resources an operator acts on with its own power
# description: >-
#   Some operators act with their own, powerful ServiceAccount on what a custom
#   resource asks (a confused deputy): an Argo CD Application or ApplicationSet
#   deploys any manifest wherever its project allows, a Flux Kustomization or
#   HelmRelease applies what its source holds (as the controller unless it names
#   a ServiceAccount), a cert-manager ClusterIssuer signs certificates for every
#   namespace, a k3s ETCDSnapshotFile reaches etcd. Writing them borrows the
#   operator's power. High; resourceNames restrict it to the named objects
#   (low).
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg061
# custom:
#   id: KG061
#   slug: deputy-cr-write
#   severity: high
#   remediation: >-
#     Restrict write verbs on these resources to the platform team; confine
#     operators (Argo CD projects with destination limits, Flux
#     serviceAccountName impersonation, namespaced Issuers).
#   tags: [stride:elevation-of-privilege, T1098, T1610]
#   catalogue: [U61]
#   references:
#     - kubesplaining KUBE-CONFUSED-DEPUTY-001
#     - rbac-scope 1062
#     - rbac-scope 1063
#     - rbac-scope 1064
#     - rbac-scope 1065
#   exercised_by:
#     - {apiGroups: [argoproj.io, kustomize.toolkit.fluxcd.io, helm.toolkit.fluxcd.io, cert-manager.io, k3s.cattle.io], resources: [applications, applicationsets, appprojects, kustomizations, helmreleases, clusterissuers, etcdsnapshotfiles], verbs: [create, update, patch]}
package kubegrant.rules.deputy_cr_write

import rego.v1

import data.kubegrant.lib.rbac

# targets are the [group, resource] pairs the rule is about.
targets := [["argoproj.io", "applications"], ["argoproj.io", "applicationsets"], ["argoproj.io", "appprojects"], ["kustomize.toolkit.fluxcd.io", "kustomizations"], ["helm.toolkit.fluxcd.io", "helmreleases"], ["cert-manager.io", "clusterissuers"], ["k3s.cattle.io", "etcdsnapshotfiles"]]

target_groups := {t[0] | some t in targets}

deny contains f if {
	some k, rule in input.rules
	rbac.may_touch(rule, target_groups)
	not rbac.all_wildcard(rule)
	hits := [sprintf("%s %s", [concat(", ", vs), label(t)]) |
		some t in targets
		vs := rbac.allowed_verbs(rule, t[0], t[1], ["create", "update", "patch"])
		count(vs) > 0
	]
	count(hits) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, hits)
}

label(t) := t[1] if t[0] == ""

label(t) := sprintf("%s.%s", [t[1], t[0]]) if t[0] != ""

finding(i, g, hits) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can write operator resources named %s %s (%s)", [rbac.names(g.rule), rbac.where(g), concat("; ", hits)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can write resources that operators act on with their own power %s (%s)", [rbac.where(g), concat("; ", hits)]),
}

severity(_) := "high"
