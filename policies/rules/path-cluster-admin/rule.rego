# METADATA
# title: Attack path to cluster-admin
# description: >-
#   A non-system identity reaches cluster-admin in two steps or more: each step
#   is a capability that yields another identity (a minted token, a pod running
#   as a ServiceAccount, an exec into a pod that mounts a token, an
#   impersonation, a binding it may write, a signed certificate), and the last
#   one holds every permission. The path names each step with the grant that
#   gives it; it is one finding however many grants repeat it.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kgp01
# custom:
#   kind: path
#   id: KGP01
#   slug: path-cluster-admin
#   severity: critical
#   remediation: >-
#     Cut the path at its cheapest step: usually the first grant (restrict it
#     with resourceNames or remove it), or the powerful grant of the identity
#     in the middle.
#   tags: [stride:elevation-of-privilege, T1078.004, T1098]
#   catalogue: []
#   references:
#     - KubeHound attack paths
#     - kubesplaining privilege escalation
package kubegrant.rules.path_cluster_admin
