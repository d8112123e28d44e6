// Package policies holds kubegrant's embedded Rego catalogue and the risk
// model of the static pass: it evaluates the catalogue over small inputs and
// lets Go do the joins to grants, identities, scopes and attack paths.
//
// # Layout and metadata
//
// Each policy is a folder rules/<slug>/ with rule.rego and rule_test.rego,
// in package kubegrant.rules.<slug with "_" for "-">, Rego v1. Helpers live
// in lib/ (lib/rbac.rego follows the Kubernetes RBAC authorizer's matching
// exactly). A rule's metadata lives only in its package-scoped # METADATA:
// title, description, related_resources[0] (the help URI) and custom: id
// (KG0NN, NN the catalogue number; KG1NN for gap patterns; KGPNN for attack
// paths), slug, severity (the default: results may set their own), remediation
// (ending in "."), tags (STRIDE and MITRE ATT&CK), catalogue ids, references
// (the other tools' rule ids), kind and exercised_by (the RBAC rules a request
// must match to count as use of the capability). Load refuses a catalogue
// with incomplete or unknown metadata.
//
// # Kinds of rules
//
//   - grant (the default) and hygiene: a deny set over the capability input.
//     A result {"grant": p, "msg", "severity"?} says that whoever holds the
//     rule of probe p in its scope has the capability; a result
//     {"binding": b, "subject"?: j, "object"?: w, "msg", "severity"?} is
//     about a binding (and one of its subjects).
//   - identity: an identity_deny set over the identity input: a result
//     {"identity": i, "msg", "severity"?} is about identity i.
//   - path: metadata only; the escalation graph (graph.go) finds the paths.
//
// # Capability input: one probe per distinct (rule, scope class)
//
// Real clusters hold far fewer distinct PolicyRules than grants, so the
// capability rules never see grants: they see probes, one per distinct
// (rule content, scope class). The scope class is "" (a ClusterRoleBinding),
// a control-plane namespace by name (kube-system, kube-public,
// kube-node-lease), or the placeholder "<namespace>" for every other
// namespace; messages that name the placeholder get the grant's namespace
// when findings are built.
//
//	{
//	  "grants":     [{"scope": "" | "kube-system" | "<namespace>", "rule": {…}}], // the probes
//	  "rules":      [{"apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"}],
//	  "ruleGrants": [[p, …]],             // ruleGrants[k]: the probes of rules[k]
//	  "bindings": [{                      // every binding, resolved or not
//	    "kind", "name", "namespace",
//	    "roleRef":  {"kind", "name", "namespace"},
//	    "subjects": [{"kind", "name", "namespace"}],
//	    "grants":   [p, …]               // the probes of its grants
//	  }],
//	  "index": {                          // where bindings name each subject and role
//	    "subjects": {"<kind>": {"<namespace>": {"<name>": [[b, j], …]}}}, // input.bindings[b].subjects[j]; namespace "" for users and groups
//	    "roleRefs": {"<kind>": {"<namespace>": {"<name>": [b, …]}}}       // a Role's namespace is its binding's
//	  },
//	  "roles":           [{"kind", "name", "namespace"}],
//	  "serviceAccounts": [{"namespace", "name", "annotations": {…}}], // cloud identity annotations only
//	  "namespaces":      ["<name>", …],
//	  "workloads":       [{"kind", "namespace", "name", "serviceAccountName"}],
//	  "workloadsBySA":   {"<ns>": {"<name>": [w, …]}},
//	  "platforms":       {"eks"|"gke"|"aks": "<why>"} // managed platforms the input shows
//	}
//
// Binding rules look up the subjects and roles they judge in input.index
// (lib/rbac.rego: subjects_named, bindings_to) instead of walking every
// binding; lib/rbac.rego builds the same index from input.bindings when an
// input has none (rule tests). Each rule package is one prepared query, and
// Eval runs them on every core.
//
// Platform-specific rules (KG015 aws-auth on EKS) test input.platforms
// and stay silent elsewhere; when they run, Eval says so in a diagnostic.
// Arrays are never null. Absence in the object lists proves nothing unless
// the manifests hold objects of that kind at all: rules that report missing
// objects check that first.
//
// # The risk model (Go)
//
// Eval joins each probe's results to the grants that hold it and aggregates
// them into one finding per (rule, identity, scope), listing every grant
// that gives it (capability.go). A probe that is cluster-admin equivalent
// (KG001) keeps only that result: one critical, not ten. graph.go builds the
// escalation graph: identities (with the groups the authenticator puts them
// in), hubs ("every ServiceAccount of a namespace", "ServiceAccounts whose
// token pods mount", "legacy token Secrets", "namespace admin", "any user",
// "any group") and targets (cluster-admin, every Secret, kube-system's
// Secrets, the nodes, admission control); each edge is a capability with the
// grant that gives it, checked with the exact RBAC matcher. Compound
// capabilities (bind on ClusterRoles plus writing bindings, escalate plus
// writing roles, CSR create plus approve plus sign) are joined per identity,
// its groups included. A 0-1 breadth-first search from each target gives
// every node's distance and next hop (analysis.go); a finding's severity is
// then the most severe of its rule's and of what it reaches, and every
// non-system identity that reaches a target in two capability hops or more
// gets a path finding (kind "path", rule KGPnn) with one hop per capability.
//
// # Identity input
//
//	{"identities": [{
//	  "kind", "namespace", "name",
//	  "holds":       [{"id", "severity", "msg", "scope", "holder"}], // its own and its groups' findings (holder: who holds it)
//	  "workloads":   [{"kind", "namespace", "name", "mounted"}],      // mounted: pods hold its token
//	  "annotations": {…},                                           // cloud identity annotations
//	  "bindings":    [{"kind", "name", "namespace", "roleRef"}]
//	}]}
//
// It holds the ServiceAccounts that workloads run as, that are named
// default or that carry a cloud identity, and every identity that can mint
// tokens. Identity rules judge each identity on its own: a large input is
// cut into shares of identities, each evaluated as a whole input on its own
// core, and i is an index into the share. A malformed result is a policy
// bug and makes Eval fail rather than drop it.
package policies
