# METADATA
# title: Binding grants a role to anonymous or unauthenticated requests
# description: >-
#   A binding subject system:anonymous (User or Group) or system:unauthenticated
#   (Group) hands the role to anyone who can reach the API server. The defaults
#   system:public-info-viewer and kubeadm:bootstrap-signer-clusterinfo are allowed
#   by name. One finding per such subject of each binding, even when the role does
#   not resolve.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg052
# custom:
#   id: KG052
#   slug: anonymous-binding
#   severity: critical
#   remediation: >-
#     Remove system:anonymous and system:unauthenticated from the binding's subjects.
#   tags: [stride:spoofing, stride:elevation-of-privilege, T1190, T1078.001]
#   catalogue: [U52]
#   references:
#     - KSV-0122
#     - kubescape C-0262
#     - kubescape anonymous-access-enabled
#     - krane unauthenticated-subject-access
package kubegrant.rules.anonymous_binding

import rego.v1

import data.kubegrant.lib.rbac

anonymous := {"system:anonymous", "system:unauthenticated"}

allowed_roles := {"system:public-info-viewer", "kubeadm:bootstrap-signer-clusterinfo"}

deny contains f if {
	some kind in ["User", "Group"]
	some name in anonymous
	some [b, j] in rbac.subjects_named(kind, "", name)
	binding := input.bindings[b]
	not binding.roleRef.name in allowed_roles
	s := binding.subjects[j]
	f := {
		"binding": b,
		"subject": j,
		"msg": sprintf("%s %s binds %s %q to %s %q: anyone who reaches the API server holds it", [
			binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, s.kind, s.name,
		]),
	}
}
