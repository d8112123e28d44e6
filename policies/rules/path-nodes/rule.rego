# METADATA
# title: Attack path to the nodes
# description: >-
#   A non-system identity reaches the kubelet API of every node (nodes/proxy)
#   in two steps or more: code execution in every pod of the cluster. The path
#   names each step with the grant that gives it.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kgp03
# custom:
#   kind: path
#   id: KGP03
#   slug: path-nodes
#   severity: critical
#   remediation: >-
#     Cut the path at its cheapest step; grant nodes/proxy to monitoring only
#     through nodes/metrics or nodes/stats.
#   tags: [stride:elevation-of-privilege, T1609, T1611]
#   catalogue: []
#   references:
#     - KubeHound attack paths
#     - kubesplaining privilege escalation
package kubegrant.rules.path_nodes
