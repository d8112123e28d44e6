# METADATA
# title: Subject can add ephemeral containers to pods
# description: >-
#   update or patch on pods/ephemeralcontainers injects a container into a running
#   pod: it shares the pod's ServiceAccount token, volumes and namespaces, and its
#   securityContext is the subject's to choose where admission allows it.
#   resourceNames restrict it to the named pods (medium). Critical cluster-wide or
#   in a privileged namespace. A rule that is "*" in verbs, resources and apiGroups
#   is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg022
# custom:
#   id: KG022
#   slug: pods-ephemeral-containers
#   severity: high
#   remediation: >-
#     Remove update and patch on pods/ephemeralcontainers; grant debugging just in
#     time, restricted with resourceNames.
#   tags: [stride:elevation-of-privilege, T1609, T1610]
#   catalogue: [U22]
#   references:
#     - rbac-police pods_ephemeral_ctrs
#     - rbac-tool
#     - kubesplaining KUBE-PRIVESC-013
#     - kubescape attach-ephemeral-container-v1
#     - rbac-scope 1020
#     - rbac-scope 1021
#   exercised_by:
#     - {apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [update, patch]}
package kubegrant.rules.pods_ephemeral_containers

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "pods/ephemeralcontainers", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s pods/ephemeralcontainers of pods %s %s", [verbs, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": severity(g),
	"msg": sprintf("can add ephemeral containers to any pod %s (%s pods/ephemeralcontainers)", [rbac.where(g), verbs]),
}

severity(g) := "critical" if rbac.sensitive_scope(g) else := "high"
