# METADATA
# title: Workload runs as a ServiceAccount with a critical or high grant
# description: >-
#   A Pod or a controller (Deployment, DaemonSet, StatefulSet, ReplicaSet,
#   ReplicationController, Job, CronJob) runs as a ServiceAccount that holds a
#   critical or high grant of another rule: whoever takes over a container (an
#   RCE, a compromised image, exec) reads the token and holds the grant. One
#   finding per such grant and ServiceAccount, naming the first workload and how
#   many others run as it; its severity is the highest of the grant's findings,
#   whose rule ids and message it repeats. Only grants bound to the
#   ServiceAccount itself count: grants to ServiceAccount groups are KG055's
#   and to system:authenticated KG053's. Workloads come from the scanned
#   manifests or cluster; automountServiceAccountToken is not modelled, so a
#   workload that opts out of the token is reported too. Silent when no
#   workloads were loaded.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg057
# custom:
#   kind: identity
#   id: KG057
#   slug: workload-risky-sa
#   severity: high
#   remediation: >-
#     Give the workload its own ServiceAccount with only the permissions it
#     needs, move the powerful grant to a ServiceAccount no workload runs as, or
#     set automountServiceAccountToken to false when the workload does not call
#     the API.
#   tags: [stride:elevation-of-privilege, stride:information-disclosure, T1528, T1552.007]
#   catalogue: [U57]
#   references:
#     - kubescape C-0267
#     - kubescape C-0272 workload-with-cluster-takeover-roles
#     - kubesplaining KUBE-SA-PRIVILEGED-002
#     - rbac-police default target set
#     - KubiScan risky pods
package kubegrant.rules.workload_risky_sa

import rego.v1

import data.kubegrant.lib.identity

# One finding per ServiceAccount: the workloads (DaemonSets are KG058's)
# whose pods mount its token, and what it holds.
identity_deny contains f if {
	some i, id in input.identities
	ws := [w | some w in identity.mounted(id); w.kind != "DaemonSet"]
	count(ws) > 0
	held := identity.serious(id)
	count(held) > 0
	f := {
		"identity": i,
		"severity": identity.top(held),
		"msg": sprintf("%s run as ServiceAccount %s and mount its token, which holds %s: %s", [
			identity.workloads(ws), identity.name(id), identity.ids(held), identity.first_msg(held),
		]),
	}
}
