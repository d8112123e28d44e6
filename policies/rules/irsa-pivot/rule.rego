# METADATA
# title: Subject can annotate ServiceAccounts and mint their tokens (cloud identity pivot)
# description: >-
#   patch or update on serviceaccounts together with create on
#   serviceaccounts/token (any grants of the same subject, in the same namespace
#   or cluster-wide) lets the subject set eks.amazonaws.com/role-arn or
#   iam.gke.io/gcp-service-account on a ServiceAccount and then mint that
#   ServiceAccount's token for the cloud's audience: it assumes every cloud role
#   whose trust policy admits that ServiceAccount, a pivot out of the cluster
#   that KG011 and KG033 only show in halves. High; critical cluster-wide;
#   medium when resourceNames restrict either half. Reported on the token grant.
#   A token grant from a rule that is "*" in verbs, resources and
#   apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg105
# custom:
#   id: KG105
#   slug: irsa-pivot
#   severity: high
#   remediation: >-
#     Do not give one subject both serviceaccounts/token create and serviceaccounts
#     patch; restrict token minting with resourceNames to ServiceAccounts without
#     cloud identities.
#   tags: [stride:elevation-of-privilege, T1078.004, T1528]
#   catalogue: [G5]
#   references:
#     - kubegrant G5 (kubesplaining covers the graph, not as a rule)
#   exercised_by:
#     - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
#     - {apiGroups: [""], resources: [serviceaccounts], verbs: [update, patch]}
package kubegrant.rules.irsa_pivot

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	rbac.allows(rule, "", "serviceaccounts/token", "create")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	some j, s in g.subjects
	key := rbac.subject_key(s)
	some open in [true, false]
	annotator(key, g.scope, open)
	f := finding(i, j, g, open)
}

# annotator holds when the subject can update or patch ServiceAccounts
# (unrestricted when open) in the namespace of the token grant, or
# cluster-wide, or, for a cluster-wide token grant, in any namespace.
annotator(key, scope, open) if [key, scope, open] in patchers

annotator(key, _, open) if [key, "", open] in patchers

annotator(key, "", open) if [key, open] in patcher_keys

patchers contains [rbac.subject_key(s), g.scope, unrestricted(g.rule)] if {
	some k, rule in input.rules
	count(rbac.allowed_verbs(rule, "", "serviceaccounts", ["update", "patch"])) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	some s in g.subjects
}

patcher_keys contains [key, open] if some [key, _, open] in patchers

unrestricted(rule) := false if rbac.restricted(rule) else := true

finding(i, j, g, true) := {
	"grant": i,
	"subject": j,
	"severity": severity(g),
	"msg": sprintf("can annotate any ServiceAccount and mint its token %s: assume the cloud roles that trust it", [rbac.where(g)]),
} if {
	not rbac.restricted(g.rule)
} else := {
	"grant": i,
	"subject": j,
	"severity": "medium",
	"msg": sprintf("can annotate and mint tokens for some ServiceAccounts %s: assume the cloud roles that trust them", [rbac.where(g)]),
}

finding(i, j, g, false) := {
	"grant": i,
	"subject": j,
	"severity": "medium",
	"msg": sprintf("can annotate and mint tokens for some ServiceAccounts %s: assume the cloud roles that trust them", [rbac.where(g)]),
} if {
	not annotator(rbac.subject_key(g.subjects[j]), g.scope, true)
}

severity(g) := "critical" if rbac.cluster_wide(g) else := "high"
