# METADATA
# title: Attack path to every Secret
# description: >-
#   A non-system identity reaches every Secret of the cluster (critical), or of
#   kube-system (high), in two steps or more, through other identities. The
#   path names each step with the grant that gives it.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kgp02
# custom:
#   kind: path
#   id: KGP02
#   slug: path-secrets
#   severity: critical
#   remediation: >-
#     Cut the path at its cheapest step: the first grant, or the Secret read of
#     the identity in the middle.
#   tags: [stride:information-disclosure, T1552.007]
#   catalogue: []
#   references:
#     - KubeHound attack paths
#     - kubesplaining privilege escalation
package kubegrant.rules.path_secrets
