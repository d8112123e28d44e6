// Package scanner loads Kubernetes RBAC objects (from manifests or a live
// cluster) and resolves them into a Graph of effective per-subject Grants,
// following the Kubernetes RBAC authorizer exactly.
//
// The Graph is the single model of kubegrant: the Rego policies (package
// policies) and the audit replay (package detect) both consume its Grants and
// never re-resolve bindings themselves.
//
// Every object keeps its Source: the file and line it was read from, or the
// cluster object it was listed as. Rules and subjects carry the line of their
// own list entry so that findings point at the exact offending rule.
package scanner

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Kinds of RBAC objects and subjects.
const (
	KindRole               = "Role"
	KindClusterRole        = "ClusterRole"
	KindRoleBinding        = "RoleBinding"
	KindClusterRoleBinding = "ClusterRoleBinding"

	KindServiceAccount = rbacv1.ServiceAccountKind // "ServiceAccount"
	KindUser           = rbacv1.UserKind           // "User"
	KindGroup          = rbacv1.GroupKind          // "Group"
)

// Source says where an object, rule or subject came from: a file and a
// 1-based line (manifests), or a cluster object reference "Kind/namespace/name"
// (live cluster). The zero Source means "unknown".
//
// For objects rendered from a Helm chart or a Kustomize directory, File is
// the template or base file that produced the object, and Approximate says
// that Line is the nearest line the renderer's output could be traced back
// to (a templated value, an included helper, a patched field), not the line
// that wrote it.
type Source struct {
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
	Approximate bool   `json:"approximate,omitempty"`
	Cluster     string `json:"cluster,omitempty"`
}

// String renders the source as file:line or the cluster reference.
func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0 && s.Approximate:
		return fmt.Sprintf("%s:%d (approximate line)", s.File, s.Line)
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	default:
		return s.Cluster
	}
}

// Ref names an object or a subject. Namespace is empty for cluster-scoped
// objects, Users and Groups.
type Ref struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// String renders the reference as Kind/namespace/name (or Kind/name).
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Rule is one entry of a role's rules list, with where it was written.
type Rule struct {
	rbacv1.PolicyRule
	// Index is the position of the rule in its role's rules list.
	Index  int
	Source Source
}

// Role is a Role or ClusterRole.
type Role struct {
	Ref
	Labels map[string]string
	// Rules are the rules as written (for an aggregated ClusterRole loaded
	// from manifests, usually empty).
	Rules           []Rule
	AggregationRule *rbacv1.AggregationRule
	// Annotations keeps only the role's kubegrant.io/ annotations (inline
	// suppressions); nil when it has none.
	Annotations map[string]string
	Source      Source
}

// Subject is one entry of a binding's subjects list. A ServiceAccount
// subject without a namespace has already been given the binding's.
type Subject struct {
	Ref
	Source Source
}

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Ref
	RoleRef  rbacv1.RoleRef
	Subjects []Subject
	// Annotations keeps only the binding's kubegrant.io/ annotations
	// (inline suppressions); nil when it has none.
	Annotations map[string]string
	Source      Source
}

// AnnotationPrefix is the prefix of kubegrant's own annotations.
const AnnotationPrefix = "kubegrant.io/"

// KubegrantAnnotations returns the kubegrant.io/ annotations of a, or nil when
// there are none. Roles and bindings keep only these: at tens of thousands of
// bindings, Helm's and kubectl's annotations would cost memory for nothing.
func KubegrantAnnotations(a map[string]string) map[string]string {
	var out map[string]string
	for k, v := range a {
		if strings.HasPrefix(k, AnnotationPrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// Object is any other object the scan keeps for later analysis
// (ServiceAccounts, Namespaces, workloads, Nodes…), with its labels and
// annotations but not its data: a Secret's data is never read into memory.
type Object struct {
	Ref
	APIVersion  string
	Labels      map[string]string
	Annotations map[string]string
	// ServiceAccountName is the pod template's service account for pods
	// and workloads ("" otherwise; "default" when unset on a workload).
	ServiceAccountName string
	// AutomountToken is automountServiceAccountToken: of a ServiceAccount,
	// or of a pod's or workload's pod spec; nil when unset (a pod's value
	// wins over its ServiceAccount's, and unset means mounted).
	AutomountToken *bool
	// Type is a Secret's type ("kubernetes.io/service-account-token",
	// "Opaque"…), the only part of a Secret besides metadata that is kept.
	Type   string
	Source Source
}

// Grant is one effective permission: a subject holds one rule of a role
// through one binding, within a scope. Grants are flattened: a binding with
// two subjects to a role with three rules gives six grants.
type Grant struct {
	Subject Subject
	// Binding is the binding that grants it; BindingSource where it is written.
	Binding       Ref
	BindingSource Source
	// Role is the role the binding refers to.
	Role Ref
	// Scope is the namespace the grant applies in, or "" for cluster-wide
	// (a ClusterRoleBinding).
	Scope string
	// Rule is the policy rule, after aggregation.
	Rule rbacv1.PolicyRule
	// RuleSource is where the rule is written: for an aggregated
	// ClusterRole, the line in the ClusterRole it was aggregated from.
	RuleSource Source
	// AggregatedFrom names the ClusterRole the rule came from through an
	// aggregationRule, or is nil when the rule is the role's own.
	AggregatedFrom *Ref
}

// Severity levels of diagnostics.
const (
	DiagError   = "error"
	DiagWarning = "warning"
)

// Diagnostic reports bad or incomplete input (an unparsable document, a
// dangling roleRef, a malformed audit line, a permission error on a live
// cluster). Diagnostics never stop a scan. Message never repeats Location:
// whoever prints a diagnostic prints both.
type Diagnostic struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Location Source `json:"location"`
}

// Graph is the resolved RBAC model of one scan.
type Graph struct {
	// Roles are the roles of the input; built-in roles are not among them.
	Roles    []*Role
	Bindings []*Binding
	// BuiltinRoles are the Kubernetes built-in roles (BuiltinRoles) that
	// bindings of the input refer to without the input defining them,
	// sorted. Grants of such a binding name the built-in role, and their
	// RuleSource is a BuiltinSource (Source.IsBuiltin) unless the rule was
	// aggregated from a ClusterRole of the input.
	BuiltinRoles []*Role
	// AggregatedInto maps each ClusterRole of the input whose rules an
	// aggregated ClusterRole includes (through its aggregationRule,
	// transitively; of the input or built in) to those aggregated
	// ClusterRoles, sorted by name: a ClusterRole labelled
	// rbac.authorization.k8s.io/aggregate-to-edit maps to the built-in
	// admin and edit. Its rules reach whoever is bound to them, even when
	// nothing binds it directly. Nil when there is none.
	AggregatedInto map[Ref][]Ref
	// Objects are the non-RBAC objects kept for analysis.
	Objects []*Object
	// CRDs are the input's CustomResourceDefinitions, by group and plural.
	CRDs []*CRD
	// Grants are sorted by binding, subject, role and rule position.
	Grants      []Grant
	Diagnostics []Diagnostic
}
