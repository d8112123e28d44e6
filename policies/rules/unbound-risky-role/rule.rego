# METADATA
# title: Risky role that nothing binds
# description: >-
#   A Role or ClusterRole that no binding refers to, and that no bound role
#   aggregates, grants nothing today; but its rules would give a critical or
#   high capability to whoever it is bound to next (a RoleBinding anyone with
#   bind or rolebindings create may write). Reported low, at the role, with
#   the capabilities it would confer. Kubernetes' own roles (system: names,
#   built-ins) and aggregated ClusterRoles are left out.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg107
# custom:
#   kind: model
#   id: KG107
#   slug: unbound-risky-role
#   severity: low
#   remediation: >-
#     Delete roles nobody uses, or narrow their rules before they are bound.
#   tags: [stride:elevation-of-privilege, T1098]
#   catalogue: []
#   references:
#     - krane roles-not-bound
#     - rbac-tool analysis unused roles
package kubegrant.rules.unbound_risky_role
