# METADATA
# title: Subject can delete sensitive resources or namespaces
# description: >-
#   delete or deletecollection on Secrets, pods, Services, workload controllers, or
#   delete on namespaces destroys data and takes applications down (deletecollection
#   wipes a whole namespace's worth in one call). A Namespace's own object is
#   authorised in that namespace, so a RoleBinding granting delete on namespaces
#   can delete its own namespace and everything in it. resourceNames restrict
#   delete to the named objects (low) but never deletecollection. High when
#   namespaces can be deleted, cluster-wide or in a privileged namespace; medium
#   otherwise. A rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg049
# custom:
#   id: KG049
#   slug: delete-sensitive
#   severity: medium
#   remediation: >-
#     Remove delete and deletecollection on these resources, or restrict delete with
#     resourceNames to the objects the subject manages.
#   tags: [stride:denial-of-service, stride:tampering, T1485, T1489]
#   catalogue: [U49]
#   references:
#     - kubescape C-0007
#     - kubescape rule-excessive-delete-rights-v1
#     - KubiScan risky-any-resource-delete
#     - krane risky-any-resource-delete
#     - rbac-scope 1026
#   exercised_by:
#     - {apiGroups: [""], resources: [secrets, pods, services, replicationcontrollers], verbs: [delete, deletecollection]}
#     - {apiGroups: [apps], resources: [deployments, daemonsets, statefulsets, replicasets], verbs: [delete, deletecollection]}
#     - {apiGroups: [batch], resources: [jobs, cronjobs], verbs: [delete, deletecollection]}
#     - {apiGroups: [""], resources: [namespaces], verbs: [delete]}
package kubegrant.rules.delete_sensitive

import rego.v1

import data.kubegrant.lib.rbac

targets := [
	["", "secrets"], ["", "pods"], ["", "services"], ["", "replicationcontrollers"],
	["apps", "deployments"], ["apps", "daemonsets"], ["apps", "statefulsets"], ["apps", "replicasets"],
	["batch", "jobs"], ["batch", "cronjobs"], ["", "namespaces"],
]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := [p |
		some p in rbac.matches(rule, targets, ["delete", "deletecollection"])
		p != ["namespaces", "deletecollection"]
	]
	count(pairs) > 0
	free := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	reached := [p | some p in pairs; rbac.reaches_verb(g, p[0], p[1])]
	count(reached) > 0
	open := [p | some p in free; rbac.reaches_verb(g, p[0], p[1])]
	f := finding(i, g, reached, open)
}

finding(i, g, reached, open) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can delete %s named %s %s", [rbac.pair_resources(reached), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g, open),
	"msg": sprintf("can %s any %s %s", [rbac.pair_verbs(open), rbac.pair_resources(open), where(g, open)]),
}

severity(g, open) := "high" if {
	rbac.sensitive_scope(g)
} else := "high" if {
	["namespaces", "delete"] in open
} else := "medium"

where(g, open) := sprintf("%s, including namespace %q itself", [rbac.where(g), g.scope]) if {
	g.scope != ""
	["namespaces", "delete"] in open
} else := rbac.where(g)
