# METADATA
# title: Subject can create pods
# description: >-
#   create on pods runs a pod with any ServiceAccount of the namespace, and so with
#   its token and permissions, and a privileged or hostPath pod where admission
#   allows it. resourceNames cannot restrict create (the pod has no name yet).
#   Critical cluster-wide or in a privileged namespace. A rule that is "*" in
#   verbs, resources and apiGroups is KG001's and not reported again here.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg017
# custom:
#   id: KG017
#   slug: pods-create
#   severity: high
#   remediation: >-
#     Remove create on pods; let a controller with a reviewed pod template create
#     them, and enforce the restricted Pod Security Standard in the namespace.
#   tags: [stride:elevation-of-privilege, T1610, T1078.004]
#   catalogue: [U17]
#   references:
#     - KubiScan risky-create-pod
#     - kubescape C-0188
#     - kubescape rule-can-create-pod
#     - kube-linter access-to-create-pods
#     - kubesplaining KUBE-PRIVESC-001
#     - kubesplaining KUBE-PRIVESC-002
#     - rbac-police assign_sa
#     - rbac-scope 1006
#     - rbac-scope 1007
#     - KSV-0048
#     - KubeHound POD_CREATE
#   exercised_by:
#     - {apiGroups: [""], resources: [pods], verbs: [create]}
package kubegrant.rules.pods_create

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	rbac.allows(rule, "", "pods", "create")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := {
		"grant": i,
		"severity": severity(g),
		"msg": sprintf("can create pods %s: run them as any ServiceAccount there", [rbac.where(g)]),
	}
}

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
