# METADATA
# title: Attack path to admission control
# description: >-
#   A non-system identity reaches write access to admission webhooks in two
#   steps or more: it sees and rewrites every object written to the cluster,
#   Secrets and pod specs included. The path names each step with the grant
#   that gives it.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kgp04
# custom:
#   kind: path
#   id: KGP04
#   slug: path-admission
#   severity: critical
#   remediation: >-
#     Cut the path at its cheapest step; admission webhooks are for the
#     platform's own controllers only.
#   tags: [stride:tampering, T1546]
#   catalogue: []
#   references:
#     - KubeHound attack paths
#     - kubesplaining privilege escalation
package kubegrant.rules.path_admission
