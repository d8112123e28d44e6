# METADATA
# title: Subject can create or change Deployments outside GitOps
# description: >-
#   Our clusters are deployed by Argo CD only: a person or a CI job that can
#   create, update or patch Deployments bypasses review. (An example of a user
#   policy: see docs/writing-rules.md.)
# related_resources:
#   - ref: https://wiki.example.com/platform/gitops
# custom:
#   id: KGU001
#   slug: deployments-write
#   severity: medium
#   remediation: Remove write verbs on deployments from this role; deploy through Argo CD.
#   tags: [stride:tampering, T1610]
#   references: [ACME platform policy 4.2]
#   exercised_by:
#     - {apiGroups: [apps], resources: [deployments], verbs: [create, update, patch]}
package kubegrant.rules.deployments_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "apps", "deployments", ["create", "update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := {
		"grant": i,
		"msg": sprintf("can %s Deployments %s, outside GitOps", [concat(", ", verbs), rbac.where(g)]),
	}
}
