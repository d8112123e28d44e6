# METADATA
# title: Subject can approve certificate signing requests
# description: >-
#   update or patch on certificatesigningrequests/approval approves CSRs; it
#   works only together with approve on certificates.k8s.io signers for the CSR's
#   signer. With create on certificatesigningrequests as well (any grant of the
#   same subject, cluster-wide) the subject requests and approves a client
#   certificate for any user and group it names, system:masters included:
#   critical when the approvable signers include kubernetes.io/kube-apiserver-client
#   (by name, by kubernetes.io/* or unrestricted), high otherwise. Approval
#   without create approves others' pending CSRs (high), and approval without
#   approve on any signer does nothing alone (low). resourceNames on
#   certificatesigningrequests/approval do not help: the requester picks the CSR
#   name. CSRs and signers are cluster-scoped, so a RoleBinding confines this to
#   nothing. Subjects are matched by kind, namespace and name; group membership
#   is not known statically.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg035
# custom:
#   id: KG035
#   slug: csr-approve
#   severity: high
#   remediation: >-
#     Remove update and patch on certificatesigningrequests/approval and approve
#     on signers; leave approval to the controller manager's CSR approvers, or
#     restrict approve with resourceNames to signers that cannot issue API
#     client certificates.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1649, T1098]
#   catalogue: [U35]
#   references:
#     - rbac-police approve_csrs
#     - checkov CKV_K8S_156
#     - kubescape C-0280
#     - kubescape approve-csr-v1
#     - kubesplaining KUBE-PRIVESC-011
#     - rbac-scope 1052
#     - rbac-scope 1053
#     - rbac-scope 1054
#   exercised_by:
#     - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update, patch]}
package kubegrant.rules.csr_approve

import rego.v1

import data.kubegrant.lib.rbac

group := "certificates.k8s.io"

client_signer := "kubernetes.io/kube-apiserver-client"

# Atomic: approving CSRs (certificatesigningrequests/approval plus approve
# on signers). With CSR create and signing (KG036) the escalation graph
# joins them per identity: a client certificate for any user or group.
deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, group, "certificatesigningrequests/approval", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g.rule, concat(", ", verbs))
}

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	rbac.allows(rule, group, "signers", "approve")
	count(rbac.allowed_verbs(rule, group, "certificatesigningrequests/approval", ["update", "patch"])) == 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := {
		"grant": i,
		"severity": "medium",
		"msg": sprintf("can approve for signers %s: with certificatesigningrequests/approval, approve any pending CSR for them", [signers(g.rule)]),
	}
}

finding(i, rule, verbs) := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s certificatesigningrequests/approval and approve for signer %s: approve any pending client certificate", [verbs, client_signer]),
} if {
	rbac.allows(rule, group, "signers", "approve")
	client_signer_reached(rule)
} else := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s certificatesigningrequests/approval: with approve on a signer, approve pending CSRs", [verbs]),
}

client_signer_reached(rule) if not rbac.restricted(rule)

client_signer_reached(rule) if {
	some n in rule.resourceNames
	n in {client_signer, "kubernetes.io/*"}
}

signers(rule) := rbac.names(rule) if rbac.restricted(rule) else := "(any)"
