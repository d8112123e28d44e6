# METADATA
# title: Subject can create or change workload controllers
# description: >-
#   create, update or patch on Deployments, DaemonSets, StatefulSets, ReplicaSets,
#   ReplicationControllers, Jobs or CronJobs runs pods from a template the subject
#   writes, with any ServiceAccount of the namespace: the same as creating pods
#   (KG017), and a DaemonSet runs on every node. resourceNames cannot restrict
#   create; they do restrict update and patch to the named controllers (medium).
#   Critical for DaemonSets, cluster-wide or in a privileged namespace. A rule that
#   is "*" in verbs, resources and apiGroups is KG001's and not reported again here.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg018
# custom:
#   id: KG018
#   slug: workload-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on workload controllers; deploy through a
#     reviewed pipeline, or restrict update and patch with resourceNames.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1610, T1053.007]
#   catalogue: [U18]
#   references:
#     - KubiScan risky-create-deployments
#     - krane risky-create-deployments
#     - KSV-0048
#     - rbac-tool Workload Creators & Editors
#     - rbac-police assign_sa
#     - kubesplaining KUBE-PRIVESC-003
#     - rbac-scope 1033
#     - rbac-scope 1042
#     - kube-linter access-to-create-pods
#   exercised_by:
#     - {apiGroups: [apps], resources: [deployments, daemonsets, statefulsets, replicasets], verbs: [create, update, patch]}
#     - {apiGroups: [batch], resources: [jobs, cronjobs], verbs: [create, update, patch]}
#     - {apiGroups: [""], resources: [replicationcontrollers], verbs: [create, update, patch]}
package kubegrant.rules.workload_write

import rego.v1

import data.kubegrant.lib.rbac

targets := [
	["apps", "deployments"], ["apps", "daemonsets"], ["apps", "statefulsets"], ["apps", "replicasets"],
	["", "replicationcontrollers"], ["batch", "jobs"], ["batch", "cronjobs"],
]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, targets, ["create", "update", "patch"])
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, pairs, open)
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s %s named %s %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": severity(g, open),
	"msg": sprintf("can %s any %s %s: run pods as any ServiceAccount there", [rbac.pair_verbs(open), rbac.pair_resources(open), rbac.where(g)]),
}

severity(g, open) := "critical" if {
	rbac.sensitive_scope(g)
} else := "critical" if {
	some [r, _] in open
	r == "daemonsets"
} else := "high"
