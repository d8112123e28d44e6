# METADATA
# title: Subject can sign certificate signing requests itself
# description: >-
#   sign on certificates.k8s.io signers together with update or patch on
#   certificatesigningrequests/status (any cluster-wide grant of the same subject)
#   lets the subject act as the signer: it writes the issued certificate into
#   an approved CSR's status. Critical when the signers include
#   kubernetes.io/kube-apiserver-client (by name, by kubernetes.io/* or
#   unrestricted): a client certificate for any user or group the CSR names; high
#   for other signers. sign without status write issues nothing and is not
#   reported. CSRs and signers are cluster-scoped, so a RoleBinding confines this
#   to nothing.
#   A sign grant from a rule that is "*" in verbs, resources and
#   apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg036
# custom:
#   id: KG036
#   slug: csr-sign
#   severity: high
#   remediation: >-
#     Remove sign on signers and update and patch on
#     certificatesigningrequests/status; leave signing to the controller manager,
#     or restrict sign with resourceNames to a custom signer.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1649]
#   catalogue: [U36]
#   references:
#     - kubesplaining KUBE-PRIVESC-024
#     - rbac-scope 1090
#   exercised_by:
#     - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/status], verbs: [update, patch]}
package kubegrant.rules.csr_sign

import rego.v1

import data.kubegrant.lib.rbac

group := "certificates.k8s.io"

# Atomic: signing as a signer. With CSR create, approval and status writes
# (KG035) the escalation graph joins them per identity: a client
# certificate for any user or group, system:masters included.
deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	rbac.allows(rule, group, "signers", "sign")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g.rule)
}

finding(i, rule) := {
	"grant": i,
	"severity": "high",
	"msg": "can sign as kubernetes.io/kube-apiserver-client: with CSR create, approval and status writes, a client certificate for any user or group",
} if {
	client_signer(rule)
} else := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can sign as %s", [rbac.names(rule)]),
}

client_signer(rule) if not rbac.restricted(rule)

client_signer(rule) if {
	some n in rule.resourceNames
	n in {"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"}
}
