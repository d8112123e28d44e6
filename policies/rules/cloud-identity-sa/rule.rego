# METADATA
# title: ServiceAccount with a cloud identity holds a critical or high grant
# description: >-
#   A ServiceAccount annotated with eks.amazonaws.com/role-arn (EKS IRSA),
#   iam.gke.io/gcp-service-account (GKE Workload Identity) or
#   azure.workload.identity/client-id (Azure Workload Identity) exchanges its
#   token for cloud credentials. When it also holds a critical or high grant of
#   another rule, the two blast radii join: a stolen token is both that grant and
#   the cloud identity, and whoever obtains the grant's power over pods or
#   tokens reaches the cloud account. One finding per such grant, naming the
#   annotation and the grant's rule ids. Only ServiceAccounts loaded as objects
#   are known; silent otherwise.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg034
# custom:
#   kind: identity
#   id: KG034
#   slug: cloud-identity-sa
#   severity: high
#   remediation: >-
#     Keep ServiceAccounts that carry a cloud identity free of powerful RBAC
#     grants: split the workload's Kubernetes permissions and its cloud role
#     across two ServiceAccounts, and scope the cloud role to what it needs.
#   tags: [stride:elevation-of-privilege, T1078.004, T1528]
#   catalogue: [U34]
#   references:
#     - rbac-police providerIAM
#     - kubescape provider-iam-assumption-v1
#     - kubesplaining KUBE-CLOUD-IRSA-ADMIN-ROLE-001
#     - kubesplaining KUBE-PRIVESC-PATH-AWS-IAM-ROLE
package kubegrant.rules.cloud_identity_sa

import rego.v1

import data.kubegrant.lib.identity

identity_deny contains f if {
	some i, id in input.identities
	count(id.annotations) > 0
	held := identity.serious(id)
	count(held) > 0
	some ann, value in id.annotations
	f := {
		"identity": i,
		"msg": sprintf("ServiceAccount %s has cloud identity %s=%s and holds %s: %s", [
			identity.name(id), ann, value, identity.ids(held), identity.first_msg(held),
		]),
	}
}
