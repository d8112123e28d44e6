// Package policies holds kubegrant's embedded Rego catalogue and evaluates
// it over a resolved scanner.Graph.
//
// # Layout and metadata
//
// Each policy is a folder rules/<slug>/ with rule.rego and rule_test.rego,
// in package kubegrant.rules.<slug with "_" for "-">, Rego v1. Helpers live
// in lib/ (lib/rbac.rego follows the Kubernetes RBAC authorizer's matching
// exactly). A rule's metadata lives only in its package-scoped # METADATA:
// title, description, related_resources[0] (the help URI) and custom: id
// (KG0NN, NN the CATALOGUE.md number), slug, severity, remediation (ending in
// "."), tags (STRIDE and MITRE ATT&CK), catalogue ids, references (the other
// tools' rule ids), kind (grant, the default, or hygiene) and exercised_by
// (the RBAC rules a request must match to count as use of the flagged grant).
// Load refuses a catalogue with incomplete or unknown metadata.
//
// # Compile once, evaluate once
//
// Load parses the embedded files, compiles them strictly (the checks of
// `opa check --strict`) and prepares one query, data.kubegrant.findings
// (lib/findings.rego), over every rule package. Eval converts the graph to
// an input value once and evaluates that query once.
//
// # Input document
//
//	{
//	  "grants": [{                       // one per (binding, role, scope, rule)
//	    "binding":  {"kind", "name", "namespace"},
//	    "role":     {"kind", "name", "namespace"},
//	    "scope":    "<namespace>" | "",  // "" = cluster-wide (ClusterRoleBinding)
//	    "rule":     {"apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"},
//	    "subjects": [{"kind", "name", "namespace"}],
//	    "aggregatedFrom": {"kind", "name", "namespace"} | null
//	  }],
//	  "bindings": [{                     // every binding, resolved or not
//	    "kind", "name", "namespace",
//	    "roleRef":  {"kind", "name", "namespace"},
//	    "subjects": [{"kind", "name", "namespace"}]
//	  }],
//	  "rules":      [{"apiGroups", …}],  // distinct rule contents
//	  "ruleGrants": [[i, …]],            // ruleGrants[k]: the grants holding rules[k]
//	  "roles":      [{"kind", "name", "namespace"}], // every Role and ClusterRole loaded
//	  // From Graph.Objects (all empty when only RBAC objects were loaded):
//	  "serviceAccounts": [{"namespace", "name",
//	                       "annotations": {…}}], // cloud identity annotations only
//	  "namespaces":      ["<name>", …],          // Namespace objects
//	  "workloads":       [{"kind", "namespace", "name", "serviceAccountName"}],
//	  "workloadsBySA":   {"<ns>": {"<name>": [w, …]}}, // workloads running as that ServiceAccount
//	  "saGrants":        {i: true, …} // grants with a ServiceAccount subject named default,
//	                                  // run by a workload or with a cloud identity
//	}
//
// Arrays are never null. workloads are Pods and the controllers that run
// them (Deployment, DaemonSet, StatefulSet, ReplicaSet,
// ReplicationController, Job, CronJob), with the pod template's
// ServiceAccount ("default" when unset); workloadsBySA indexes them by that
// ServiceAccount's namespace and name, so a rule joins a grant's
// ServiceAccount subject to the workloads that hold its token with one
// lookup. Of a
// ServiceAccount's annotations only eks.amazonaws.com/role-arn,
// iam.gke.io/gcp-service-account and azure.workload.identity/client-id are
// kept. Absence in these lists proves nothing unless the manifests hold
// objects of that kind (and namespace) at all: rules that report missing
// objects check that first, and stay silent on RBAC-only input. The per-subject grants of scanner.Graph are grouped
// so that a binding with many subjects is matched once per rule, and rules
// match each distinct rule once (most bindings share a few roles) and join
// to grants through ruleGrants: evaluation is linear in grants with a small
// constant, and the cost of matching grows with distinct rules only.
//
// # Results and findings
//
// A rule's deny set holds objects {"grant": i, "msg": m} or {"binding": b,
// "msg": m}, with an optional "severity" (overriding the metadata default),
// an optional "subject": j (only that subject of the grant or binding) and
// an optional "object": w (input.workloads[w], added as a related location).
// Eval fans each result out to one reports.Finding per subject: grant-level
// findings point at the rule's line (else the binding's), carry the binding,
// the subject entry and the aggregated-from role as related locations, and
// keep a pointer to the scanner.Grant so the audit replay can mark them
// exercised; binding-level findings point at the subject entry and carry no
// Grant. A malformed result is a policy bug and makes Eval fail rather than
// drop it. Findings are sorted by rule ID, then graph order, then subject.
// Fingerprints are left to package reports.
package policies
