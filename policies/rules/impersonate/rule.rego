# METADATA
# title: Subject can impersonate other identities
# description: >-
#   impersonate on users, groups or serviceaccounts (core group), or on uids and
#   userextras (authentication.k8s.io), lets the subject act as anyone, including
#   system:masters. users, groups, uids and userextras are checked without a
#   namespace, so a RoleBinding confines the grant to impersonating the namespace's
#   ServiceAccounts. Extras are authorised per key as userextras/<key>, so only "*",
#   "*/<key>" and "userextras/<key>" match them. resourceNames restrict it to the
#   named identities.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg032
# custom:
#   id: KG032
#   slug: impersonate
#   severity: critical
#   remediation: >-
#     Remove the impersonate verb, or restrict it with resourceNames to the
#     identities the subject must act as.
#   tags: [stride:spoofing, stride:elevation-of-privilege, T1078, T1134]
#   catalogue: [U32]
#   references:
#     - rbac-police impersonate
#     - KubiScan risky-impersonate-groups
#     - KubiScan risky-any-resource-impersonate
#     - KSV-0043
#     - checkov CKV2_K8S_3
#     - kubescape C-0065
#     - kubescape impersonate-users-groups-v1
#     - rbac-tool via-impersonate
#     - kubesplaining KUBE-PRIVESC-008
#     - rbac-scope 1066
#     - KubeHound IDENTITY_IMPERSONATE
#   exercised_by:
#     - {apiGroups: ["", authentication.k8s.io], resources: ["*"], verbs: [impersonate]}
package kubegrant.rules.impersonate

import rego.v1

import data.kubegrant.lib.rbac

auth_group := "authentication.k8s.io"

targets := [["", "users"], ["", "groups"], ["", "serviceaccounts"], [auth_group, "uids"]]

deny contains f if {
	some k, rule in input.rules
	rbac.verb_matches(rule, "impersonate")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	what := array.concat(
		[r |
			some [group, r] in targets
			rbac.reaches(g, r)
			rbac.allows(g.rule, group, r, "impersonate")
		],
		[r | some r in ["userextras"]; extras(g)],
	)
	count(what) > 0
	f := finding(i, g, concat(", ", what))
}

# extras holds when the rule allows impersonating some user extra: the
# authorizer asks for userextras/<key> in authentication.k8s.io.
extras(g) if {
	rbac.cluster_wide(g)
	rbac.group_matches(g.rule, auth_group)
	some r in g.rule.resources
	extras_resource(r)
}

extras_resource("*")

extras_resource(r) if startswith(r, "userextras/")

extras_resource(r) if startswith(r, "*/")

finding(i, g, what) := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can impersonate %s named %s %s", [what, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "critical",
	"msg": sprintf("can impersonate any of %s %s", [what, rbac.where(g)]),
}
