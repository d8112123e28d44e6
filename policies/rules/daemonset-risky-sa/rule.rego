# METADATA
# title: DaemonSet runs as a ServiceAccount with a critical or high grant
# description: >-
#   A DaemonSet puts a pod, and so its ServiceAccount's token, on every node:
#   whoever compromises any one node (a container escape, a kubelet
#   credential) reads that token and holds the ServiceAccount's grants, which
#   turns one node into the cluster. Reported when the ServiceAccount holds a
#   critical or high grant of another rule (named with its message); one finding
#   per such grant, naming the first DaemonSet that runs as it. KG057 reports the
#   same grant for every kind of workload, with the grant's own severity. Silent
#   when no DaemonSets were loaded.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg058
# custom:
#   kind: identity
#   id: KG058
#   slug: daemonset-risky-sa
#   severity: high
#   remediation: >-
#     Give the DaemonSet a ServiceAccount with only what its node agent needs
#     (read the node's own objects), and move cluster-wide powers to a
#     Deployment that runs on few, trusted nodes.
#   tags: [stride:elevation-of-privilege, T1528, T1611]
#   catalogue: [U58]
#   references:
#     - kubesplaining KUBE-SA-DAEMONSET-001
#     - rbac-police --only-sas-on-all-nodes
package kubegrant.rules.daemonset_risky_sa

import rego.v1

import data.kubegrant.lib.identity

# One finding per ServiceAccount run by DaemonSets that mount its token.
identity_deny contains f if {
	some i, id in input.identities
	ds := [w | some w in identity.mounted(id); w.kind == "DaemonSet"]
	count(ds) > 0
	held := identity.serious(id)
	count(held) > 0
	f := {
		"identity": i,
		"msg": sprintf("%s runs on every node as ServiceAccount %s, which holds %s: %s", [
			identity.workloads(ds), identity.name(id), identity.ids(held), identity.first_msg(held),
		]),
	}
}
