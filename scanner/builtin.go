package scanner

import (
	_ "embed"
	"strings"
	"sync"
)

// Kubernetes' built-in RBAC: the bootstrap policy every kube-apiserver
// creates and keeps reconciled at start-up (cluster-admin, admin, edit,
// view, system:aggregate-to-*, system:controller:*, the Role
// extension-apiserver-authentication-reader in kube-system…), and the
// bindings of that policy.
//
// builtin/kubernetes-v1.34.4.yaml is generated from the Kubernetes source
// (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy, with
// the release's default feature gates) by tools/bootstrap-rbac, a Go module
// of its own: `make bootstrap-rbac` regenerates it. The e2e test checks it
// against what a real kube-apiserver of that release serves.
//
//go:embed builtin/kubernetes-v1.34.4.yaml
var builtinYAML []byte

// BuiltinVersion is the Kubernetes release whose bootstrap RBAC policy is
// embedded.
const BuiltinVersion = "v1.34.4"

// builtinPrefix starts the Source.Cluster of every built-in object, rule and
// subject: "builtin:v1.34/ClusterRole/admin".
const (
	builtinPrefix       = "builtin:"
	builtinSourcePrefix = builtinPrefix + "v1.34/"
)

// BuiltinSource is the Source of a built-in object (and of its rules and
// subjects): no file, and Cluster "builtin:v1.34/Kind/namespace/name".
func BuiltinSource(ref Ref) Source {
	return Source{Cluster: builtinSourcePrefix + ref.String()}
}

// IsBuiltin reports whether the Source is that of Kubernetes' built-in RBAC
// rather than of the scanned input: such a rule is written nowhere the user
// can change, so a finding points at the binding that grants it instead.
func (s Source) IsBuiltin() bool {
	return s.File == "" && strings.HasPrefix(s.Cluster, builtinPrefix)
}

// BuiltinRoles returns Kubernetes' built-in ClusterRoles and Roles, in the
// order of the bootstrap policy (ClusterRoles, then Roles by namespace).
// Their Sources are BuiltinSource; admin, edit and view carry their
// aggregationRule and no rules of their own, as the policy writes them. Each
// call returns new objects, which the caller may modify.
func BuiltinRoles() []*Role {
	return parseBuiltin().Roles
}

// BuiltinBindings returns the ClusterRoleBindings and RoleBindings of
// Kubernetes' bootstrap policy (cluster-admin to system:masters, the
// controllers' ServiceAccounts in kube-system…). A manifest scan does not
// include them (a manifest is not a cluster); they are what a vanilla
// cluster holds. Each call returns new objects.
func BuiltinBindings() []*Binding {
	return parseBuiltin().Bindings
}

// builtinRoles is the resolver's shared, read-only copy of the built-in
// roles, indexed by Ref.
var builtinRoles = sync.OnceValue(func() map[Ref]*Role {
	roles := BuiltinRoles()
	m := make(map[Ref]*Role, len(roles))
	for _, r := range roles {
		m[r.Ref] = r
	}
	return m
})

// parseBuiltin decodes the embedded policy with the manifest decoder and
// gives every object, rule and subject its BuiltinSource. The data is
// generated and tested to decode without a diagnostic.
func parseBuiltin() *Inventory {
	inv := ParseManifests("builtin", builtinYAML)
	for _, r := range inv.Roles {
		r.Source = BuiltinSource(r.Ref)
		for i := range r.Rules {
			r.Rules[i].Source = r.Source
		}
	}
	for _, b := range inv.Bindings {
		b.Source = BuiltinSource(b.Ref)
		for i := range b.Subjects {
			b.Subjects[i].Source = b.Source
		}
	}
	return inv
}

// builtinGrant is one grant of the bootstrap policy: a subject of one of
// its bindings, to that binding's role.
type builtinGrant struct {
	binding, role, subject Ref
}

var builtinGrants = sync.OnceValue(func() map[builtinGrant]bool {
	m := map[builtinGrant]bool{}
	for _, b := range BuiltinBindings() {
		role := Ref{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
		if role.Kind == KindRole {
			role.Namespace = b.Namespace
		}
		for _, s := range b.Subjects {
			m[builtinGrant{b.Ref, role, s.Ref}] = true
		}
	}
	return m
})

// IsBuiltinGrant reports whether subject holds role through binding as
// Kubernetes' bootstrap policy creates it: binding, role and subject must
// all be the policy's, so a subject added to a bootstrap binding, or a
// bootstrap binding's name bound to another role, is not. role is the Ref
// a Grant carries: a Role's includes the binding's namespace, a
// ClusterRole's has none.
func IsBuiltinGrant(binding, role, subject Ref) bool {
	return builtinGrants()[builtinGrant{binding, role, subject}]
}
