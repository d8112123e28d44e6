# METADATA
# title: Binding grants a role to every authenticated user
# description: >-
#   A binding subject Group system:authenticated hands the role to every
#   principal that authenticates: every user, every ServiceAccount of every
#   namespace, every node, and on some clouds any account of the provider
#   (GKE "Sys:All"). The bootstrap ClusterRoles system:basic-user,
#   system:discovery, system:public-info-viewer and
#   system:service-account-issuer-discovery are allowed by name. Critical, or high
#   when every rule the binding grants only reads (get, list, watch) resources
#   other than Secrets; a role that does not resolve is critical, since whoever
#   creates it fills it. One finding per such subject of each binding.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg053
# custom:
#   id: KG053
#   slug: authenticated-binding
#   severity: critical
#   remediation: >-
#     Replace system:authenticated in the binding's subjects with the users, groups
#     or ServiceAccounts that need the role.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1078, T1098]
#   catalogue: [U53]
#   references:
#     - kubescape C-0265
#     - KSV-01011
#     - krane (opt-in) system:authenticated subject
package kubegrant.rules.authenticated_binding

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some [b, j] in rbac.subjects_named("Group", "", "system:authenticated")
	binding := input.bindings[b]
	not rbac.discovery_role(binding.roleRef)
	f := finding(b, j, binding, rbac.power(binding))
}

finding(b, j, binding, "read") := {
	"binding": b,
	"subject": j,
	"severity": "high",
	"msg": sprintf("%s %s binds %s %q to every authenticated user: read access for anyone with credentials", [
		binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name,
	]),
}

finding(b, j, binding, "narrow") := {
	"binding": b,
	"subject": j,
	"severity": "low",
	"msg": sprintf("%s %s binds %s %q to every authenticated user: read access to named objects only, for anyone with credentials", [
		binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name,
	]),
}

finding(b, j, binding, power) := {
	"binding": b,
	"subject": j,
	"severity": "critical",
	"msg": sprintf("%s %s binds %s %q to every authenticated user: %s", [
		binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, what[power],
	]),
} if not power in {"read", "narrow"}

what := {
	"admin": "every verb on every resource for anyone with credentials",
	"write": "more than read access for anyone with credentials",
}
