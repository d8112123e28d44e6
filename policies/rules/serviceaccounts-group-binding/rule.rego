# METADATA
# title: Binding grants a role to every ServiceAccount (of a namespace)
# description: >-
#   A binding subject Group system:serviceaccounts hands the role to every
#   ServiceAccount of the cluster, and system:serviceaccounts:<namespace> to
#   every ServiceAccount of that namespace: every pod (every pod of the
#   namespace) holds it, and so does whoever can create pods or ServiceAccounts
#   there. High; critical when the binding grants every verb on every resource;
#   medium when every rule it grants only reads (get, list, watch) resources
#   other than Secrets. A role that does not resolve counts as writing, since
#   whoever creates it fills it. The bootstrap ClusterRoles system:basic-user,
#   system:discovery, system:public-info-viewer and
#   system:service-account-issuer-discovery are allowed by name (Kubernetes binds
#   the last to system:serviceaccounts). One finding per such subject.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg055
# custom:
#   id: KG055
#   slug: serviceaccounts-group-binding
#   severity: high
#   remediation: >-
#     Replace the system:serviceaccounts group in the binding's subjects with the
#     ServiceAccounts that need the role.
#   tags: [stride:elevation-of-privilege, T1078.001, T1098]
#   catalogue: [U55]
#   references:
#     - rbac-police (resolves ServiceAccount groups)
#     - kubectl-permissions #97
package kubegrant.rules.serviceaccounts_group_binding

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some name, refs in object.get(rbac.subject_index, ["Group", ""], {})
	who := audience(name)
	some [b, j] in refs
	binding := input.bindings[b]
	not rbac.discovery_role(binding.roleRef)
	power := rbac.power(binding)
	f := {
		"binding": b,
		"subject": j,
		"severity": severity[power],
		"msg": sprintf("%s %s binds %s %q to %s: %s", [
			binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, who, what[power],
		]),
	}
}

audience("system:serviceaccounts") := "every ServiceAccount of the cluster"

audience(name) := sprintf("every ServiceAccount of namespace %q", [ns]) if {
	startswith(name, "system:serviceaccounts:")
	ns := substring(name, count("system:serviceaccounts:"), -1)
	ns != ""
}

severity := {"admin": "critical", "write": "high", "read": "medium", "narrow": "low"}

what := {
	"admin": "every verb on every resource for every pod there",
	"write": "more than read access for every pod there",
	"read": "read access for every pod there",
	"narrow": "read access to named objects only, for every pod there",
}
