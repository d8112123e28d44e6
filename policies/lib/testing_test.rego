# METADATA
# title: Builders of test inputs for rule_test.rego files
# description: Test-only helpers; never loaded into the engine.
package kubegrant.lib.testing

import rego.v1

empty_rule := {"apiGroups": [], "resources": [], "verbs": [], "resourceNames": [], "nonResourceURLs": []}

default_subjects := [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}]

# grant builds one input.grants entry: a ClusterRoleBinding when scope is "",
# a RoleBinding in scope otherwise, to ClusterRole "r".
grant(scope, rule) := grant_to(scope, rule, default_subjects)

grant_to(scope, rule, subjects) := {
	"binding": binding_ref(scope, "b"),
	"role": {"kind": "ClusterRole", "name": "r", "namespace": ""},
	"scope": scope,
	"rule": object.union(empty_rule, rule),
	"subjects": subjects,
	"aggregatedFrom": null,
}

binding_ref(scope, name) := {"kind": "ClusterRoleBinding", "name": name, "namespace": ""} if scope == ""

binding_ref(scope, name) := {"kind": "RoleBinding", "name": name, "namespace": scope} if scope != ""

# graph wraps grants into a whole input document. Every grant gets its own
# entry in rules: rules must not depend on the Go side's deduplication.
graph(grants) := {
	"grants": grants,
	"bindings": [],
	"rules": [g.rule | some g in grants],
	"ruleGrants": [[i] | some i, _ in grants],
	"roles": [],
	"serviceAccounts": [],
	"namespaces": [],
	"workloads": [],
	"workloadsBySA": {},
}

# with_workloads adds workloads ([kind, namespace, name, serviceAccountName])
# to an input document, indexed as the Go side does.
with_workloads(doc, ws) := object.union(doc, {
	"workloads": [{"kind": k, "namespace": ns, "name": n, "serviceAccountName": sa} | some [k, ns, n, sa] in ws],
	"workloadsBySA": by_sa,
}) if {
	by_sa := {ns: {sa: [i | some i, [_, ns2, _, sa2] in ws; ns2 == ns; sa2 == sa] |
		some [_, ns1, _, sa] in ws
		ns1 == ns
	} |
		some [_, ns, _, _] in ws
	}
}

# sa is a ServiceAccount subject.
sa(ns, name) := {"kind": "ServiceAccount", "name": name, "namespace": ns}

# binding builds an input.bindings entry whose grants are the probes gs
# (indexes into input.grants).
binding(kind, ns, name, role_ref, subjects, gs) := {
	"kind": kind, "name": name, "namespace": ns,
	"roleRef": role_ref, "subjects": subjects, "grants": gs,
}

# hold is one capability an identity holds, for the identity rules.
hold(id, severity, scope) := {"id": id, "severity": severity, "msg": sprintf("%s message", [id]), "scope": scope, "holder": {"kind": "ServiceAccount", "name": "app", "namespace": "team-a"}}

# workload is one workload of an identity, for the identity rules.
workload(kind, ns, name, mounted) := {"kind": kind, "namespace": ns, "name": name, "mounted": mounted}

# identity builds one input.identities entry.
identity(kind, ns, name, holds, workloads, annotations, bindings) := {
	"kind": kind, "namespace": ns, "name": name, "holds": holds,
	"workloads": workloads, "annotations": annotations, "bindings": bindings,
}

# identities wraps identity entries into the identity rules' input.
identities(ids) := {"identities": ids}
