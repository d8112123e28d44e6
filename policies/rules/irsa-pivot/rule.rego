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
#   kind: identity
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

import data.kubegrant.lib.identity

# Minting tokens (KG011) and annotating ServiceAccounts (KG033) in the same
# scope, or either cluster-wide, through the identity's own or its groups'
# grants: point any ServiceAccount at a cloud role and mint its token.
identity_deny contains f if {
	some i, id in input.identities
	some token in id.holds
	token.id == "KG011"
	some patch in id.holds
	patch.id == "KG033"
	same_scope(token.scope, patch.scope)
	f := {
		"identity": i,
		"severity": severity(token, patch),
		"msg": sprintf("can annotate ServiceAccounts and mint their tokens %s: assume the cloud roles that trust them", [where(token.scope, patch.scope)]),
	}
}

same_scope(a, a)

same_scope("", _)

same_scope(_, "")

severity(token, patch) := "high" if {
	token.severity in identity.serious_severities
	patch.severity in identity.serious_severities
} else := "medium"

where("", "") := "in every namespace"

where(a, _) := sprintf("in namespace %q", [a]) if a != ""

where("", b) := sprintf("in namespace %q", [b]) if b != ""
