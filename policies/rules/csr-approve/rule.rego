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
#   severity: critical
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

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, group, "certificatesigningrequests/approval", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	some j, s in g.subjects
	f := finding(i, j, rbac.subject_key(s), concat(", ", verbs))
}

finding(i, j, key, verbs) := {
	"grant": i,
	"subject": j,
	"severity": "critical",
	"msg": sprintf("can create certificatesigningrequests and %s their approval for signer %s: mint a client certificate for any user or group", [verbs, client_signer]),
} if {
	key in creators
	[key, true] in approvers
} else := {
	"grant": i,
	"subject": j,
	"severity": "high",
	"msg": sprintf("can %s certificatesigningrequests/approval and approve signers %s: approve any pending CSR for them", [verbs, signers_of(key)]),
} if {
	some p in approvers
	p[0] == key
} else := {
	"grant": i,
	"subject": j,
	"severity": "low",
	"msg": sprintf("can %s certificatesigningrequests/approval, but no grant of the subject approves any signer", [verbs]),
}

# approvers holds [subject key, client] for each cluster-wide grant of
# approve on signers, client when it reaches the API client signer.
approvers contains [rbac.subject_key(s), client_signer_reached(g.rule)] if {
	some k, rule in input.rules
	rbac.allows(rule, group, "signers", "approve")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	some s in g.subjects
}

client_signer_reached(rule) := true if {
	not rbac.restricted(rule)
} else := true if {
	some n in rule.resourceNames
	n in {client_signer, "kubernetes.io/*"}
} else := false

signer_names contains [rbac.subject_key(s), signers(g.rule)] if {
	some k, rule in input.rules
	rbac.allows(rule, group, "signers", "approve")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	some s in g.subjects
}

signers(rule) := rbac.names(rule) if rbac.restricted(rule) else := "(any)"

signers_of(key) := concat(", ", sort({n | some [key2, n] in signer_names; key2 == key}))

# creators holds the subject keys that can create CSRs cluster-wide
# (resourceNames never restrict create).
creators contains rbac.subject_key(s) if {
	some k, rule in input.rules
	rbac.allows(rule, group, "certificatesigningrequests", "create")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	some s in g.subjects
}
