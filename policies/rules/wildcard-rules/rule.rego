# METADATA
# title: Role rule uses a wildcard
# description: >-
#   "*" in verbs, resources or apiGroups grows silently with every new verb, API or
#   CRD (CIS 5.1.3). Medium when verbs or resources are "*", low when only
#   apiGroups is. Rules that are "*" in all three are reported by KG001 at a higher
#   severity and not again here; non-resource URL rules are out of scope.
#   Catalogue U04 ("*" verbs on a sensitive resource), U05 ("*" resources with one
#   verb) and U06 ("*/*: watch" in a namespace) are this rule's wildcard forms;
#   the capabilities they imply (reading Secrets, exec, bind, escalate,
#   impersonate…) are each reported by their own rule at its severity.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg007
# custom:
#   id: KG007
#   slug: wildcard-rules
#   severity: medium
#   kind: hygiene
#   remediation: >-
#     List the verbs, resources and API groups the subject needs instead of "*".
#   tags: [stride:elevation-of-privilege, cis-5.1.3, T1078]
#   catalogue: [U07, U04, U05, U06]
#   references:
#     - checkov CKV_K8S_49
#     - kube-linter wildcard-in-rules
#     - kubescape C-0187
#   exercised_by:
#     - {apiGroups: ["*"], resources: ["*"], verbs: [create, update, patch, delete, deletecollection]}
#     - {apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}
#     - {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [get]}
#     - {apiGroups: [""], resources: [nodes/proxy], verbs: ["*"]}
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [escalate, bind]}
#     - {apiGroups: ["", authentication.k8s.io], resources: ["*"], verbs: [impersonate]}
package kubegrant.rules.wildcard_rules

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	count(rule.resources) > 0
	not rbac.all_wildcard(rule)
	fields := [name | some name in ["verbs", "resources", "apiGroups"]; "*" in rule[name]]
	count(fields) > 0
	some i in input.ruleGrants[k]
	f := {
		"grant": i,
		"severity": severity(fields),
		"msg": sprintf("rule uses \"*\" in %s", [concat(", ", fields)]),
	}
}

severity(fields) := "low" if fields == ["apiGroups"] else := "medium"
