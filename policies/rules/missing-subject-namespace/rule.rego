# METADATA
# title: Binding subject lives in a namespace that does not exist
# description: >-
#   A ServiceAccount subject, or a system:serviceaccounts:<namespace> group, in a
#   namespace that does not exist is a pre-created grant: whoever creates the
#   namespace (and a ServiceAccount of that name in it) inherits the binding's
#   permissions. Medium; low when every rule the binding grants only reads
#   resources other than Secrets. Reported only when the scan loaded Namespace
#   objects at all (otherwise absence proves nothing), and never for default,
#   kube-system, kube-public and kube-node-lease, which every cluster has.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg106
# custom:
#   id: KG106
#   slug: missing-subject-namespace
#   severity: medium
#   remediation: >-
#     Remove the subject whose namespace does not exist from the binding, or
#     create the namespace on purpose and control who can create ServiceAccounts
#     in it.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1098, T1078]
#   catalogue: [G6]
#   references:
#     - kubegrant G6 (squatting variant of U59; no anchor tool covers it)
package kubegrant.rules.missing_subject_namespace

import rego.v1

import data.kubegrant.lib.rbac

builtin_namespaces := {"default", "kube-system", "kube-public", "kube-node-lease"}

namespaces := {n | some n in input.namespaces}

deny contains f if {
	count(namespaces) > 0
	some [b, j] in subjects_of_missing_namespaces
	binding := input.bindings[b]
	s := binding.subjects[j]
	ns := subject_namespace(s)
	f := {
		"binding": b,
		"subject": j,
		"severity": severity(binding),
		"msg": sprintf("%s %s grants %s %q to %s %q of namespace %q, which does not exist: whoever creates it inherits the grant", [
			binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name, s.kind, s.name, ns,
		]),
	}
}

# subjects_of_missing_namespaces lists [b, j] for each ServiceAccount
# subject, and each system:serviceaccounts:<ns> group, whose namespace is
# neither in the input nor built in.
subjects_of_missing_namespaces contains ref if {
	some ns, names in object.get(rbac.subject_index, "ServiceAccount", {})
	missing(ns)
	some refs in names
	some ref in refs
}

subjects_of_missing_namespaces contains ref if {
	some name, refs in object.get(rbac.subject_index, ["Group", ""], {})
	missing(subject_namespace({"kind": "Group", "name": name}))
	some ref in refs
}

missing(ns) if {
	not ns in namespaces
	not ns in builtin_namespaces
}

subject_namespace(s) := s.namespace if s.kind == "ServiceAccount"

subject_namespace(s) := ns if {
	s.kind == "Group"
	startswith(s.name, "system:serviceaccounts:")
	ns := substring(s.name, count("system:serviceaccounts:"), -1)
	ns != ""
}

severity(binding) := "low" if rbac.power(binding) in {"read", "narrow"} else := "medium"
