package scanner

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// apisJSON is the table of Kubernetes' built-in API resources, generated
// by internal/apigen from the discovery documents of the releases it names
// (make apis), plus the names RBAC knows that discovery does not list:
// users, groups and uids (impersonation), signers, the kubelet's nodes/
// subresources, and removed APIs old manifests still name.
//
//go:embed apis.json
var apisJSON []byte

// APIResource is one resource, or resource/subresource, of an API group.
type APIResource struct {
	Group      string   `json:"group"`
	Resource   string   `json:"resource"`
	Kind       string   `json:"kind,omitempty"`
	Singular   string   `json:"singular,omitempty"`
	ShortNames []string `json:"shortNames,omitempty"`
	Namespaced bool     `json:"namespaced"`
	// Verbs are the verbs RBAC can be asked about it: the API's, plus
	// bind, escalate, impersonate, approve, sign, attest, use where the
	// apiserver checks them.
	Verbs    []string `json:"verbs"`
	Versions []string `json:"versions,omitempty"`
	// Note says why a resource outside discovery is listed ("removed in
	// 1.25", "authorization only: …").
	Note string `json:"note,omitempty"`
	// CRD is the input's CustomResourceDefinition the resource comes
	// from, nil for a built-in one.
	CRD *CRD `json:"-"`
}

// Removed reports whether the resource belongs to an API Kubernetes no
// longer serves.
func (r *APIResource) Removed() bool { return strings.HasPrefix(r.Note, "removed") }

// GroupResource renders the resource as kubectl names it: "pods",
// "deployments.apps", "pods/exec".
func (r *APIResource) GroupResource() string {
	base, sub, _ := strings.Cut(r.Resource, "/")
	if r.Group != "" {
		base += "." + r.Group
	}
	if sub != "" {
		base += "/" + sub
	}
	return base
}

// APIs is the set of API resources that rules are checked against and that
// resource names are resolved in: Kubernetes' built-in resources and the
// input's CRDs.
type APIs struct {
	// Releases are the Kubernetes releases the built-in table comes from.
	Releases []string
	byGroup  map[string]map[string]*APIResource
	builtin  map[string]bool // built-in group names
	// verbs are every verb some built-in resource has.
	verbs map[string]bool
}

var builtinAPIs = sync.OnceValue(func() *APIs {
	var t struct {
		Releases  []string      `json:"releases"`
		Resources []APIResource `json:"resources"`
	}
	if err := json.Unmarshal(apisJSON, &t); err != nil {
		panic(fmt.Sprintf("scanner: embedded apis.json: %v", err)) // a build defect, caught by the tests
	}
	a := &APIs{Releases: t.Releases, byGroup: map[string]map[string]*APIResource{}, builtin: map[string]bool{}, verbs: map[string]bool{}}
	for i := range t.Resources {
		r := &t.Resources[i]
		a.add(r)
		a.builtin[r.Group] = true
		for _, v := range r.Verbs {
			a.verbs[v] = true
		}
	}
	return a
})

// BuiltinAPIs returns Kubernetes' built-in API resources.
func BuiltinAPIs() *APIs { return builtinAPIs() }

// NewAPIs returns the built-in resources plus those of crds (a CRD never
// replaces a built-in resource: the apiserver refuses such a CRD).
func NewAPIs(crds []*CRD) *APIs {
	b := builtinAPIs()
	if len(crds) == 0 {
		return b
	}
	a := &APIs{Releases: b.Releases, byGroup: make(map[string]map[string]*APIResource, len(b.byGroup)), builtin: b.builtin, verbs: b.verbs}
	for g, m := range b.byGroup {
		a.byGroup[g] = m // shared until a CRD adds to the group
	}
	copied := map[string]bool{}
	for _, c := range crds {
		if !copied[c.Group] {
			copied[c.Group] = true
			a.byGroup[c.Group] = cloneMap(a.byGroup[c.Group])
		}
		verbs := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
		base := &APIResource{Group: c.Group, Resource: c.Plural, Kind: c.Kind, Singular: c.Singular,
			ShortNames: c.ShortNames, Namespaced: c.Namespaced, Verbs: verbs, CRD: c}
		if base.Singular == "" {
			base.Singular = strings.ToLower(c.Kind)
		}
		a.add(base)
		for _, s := range c.Subresources {
			a.add(&APIResource{Group: c.Group, Resource: c.Plural + "/" + s, Kind: c.Kind,
				Namespaced: c.Namespaced, Verbs: []string{"get", "patch", "update"}, CRD: c})
		}
	}
	return a
}

func cloneMap(m map[string]*APIResource) map[string]*APIResource {
	out := make(map[string]*APIResource, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (a *APIs) add(r *APIResource) {
	m := a.byGroup[r.Group]
	if m == nil {
		m = map[string]*APIResource{}
		a.byGroup[r.Group] = m
	}
	if _, ok := m[r.Resource]; !ok {
		m[r.Resource] = r
	}
}

// Lookup returns the resource ("pods", "pods/exec") of group, or nil.
// Two subresources exist for authorization only and take any name:
// impersonating a user.extra key is checked as userextras/<key>, and the
// OwnerReferencesPermissionEnforcement admission plugin checks update on
// <resource>/finalizers of every resource.
func (a *APIs) Lookup(group, resource string) *APIResource {
	m := a.byGroup[group]
	if r := m[resource]; r != nil {
		return r
	}
	base, sub, ok := strings.Cut(resource, "/")
	switch {
	case !ok:
	case base == "userextras" && group == "authentication.k8s.io":
		return m[base]
	case sub == "finalizers" && m[base] != nil:
		b := m[base]
		return &APIResource{Group: group, Resource: resource, Kind: b.Kind, Namespaced: b.Namespaced,
			Verbs: []string{"update"}, Note: "authorization only: blockOwnerDeletion", CRD: b.CRD}
	}
	return nil
}

// BuiltinGroup reports whether group is one of Kubernetes' own API groups
// ("" is the core group).
func (a *APIs) BuiltinGroup(group string) bool { return a.builtin[group] }

// KnownGroup reports whether group is built-in or defined by an input CRD.
func (a *APIs) KnownGroup(group string) bool { return a.byGroup[group] != nil }

// Groups returns the known API groups, sorted.
func (a *APIs) Groups() []string {
	out := make([]string, 0, len(a.byGroup))
	for g := range a.byGroup {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// Resources returns the resources of group, sorted by name.
func (a *APIs) Resources(group string) []*APIResource {
	m := a.byGroup[group]
	out := make([]*APIResource, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y *APIResource) int { return strings.Compare(x.Resource, y.Resource) })
	return out
}

// KnownVerb reports whether some built-in resource has the verb.
func (a *APIs) KnownVerb(verb string) bool { return a.verbs[verb] }

// Find resolves a resource as a user types it to kubectl ("pods",
// "pods/exec", "deployments.apps", "deploy", "Deployment", "cronjob") to
// the matching resources, the exact plural names first. Like kubectl, it
// prefers the core group, then served APIs over removed ones; more than one
// result means the name is ambiguous.
func (a *APIs) Find(name string) []*APIResource {
	base, sub, _ := strings.Cut(name, "/")
	group := ""
	explicitGroup := false
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base, group, explicitGroup = base[:i], base[i+1:], true
	}
	var exact, alias []*APIResource
	for _, g := range a.Groups() {
		if explicitGroup && g != group {
			continue
		}
		for _, r := range a.byGroup[g] {
			if strings.Contains(r.Resource, "/") {
				continue
			}
			var hit *[]*APIResource
			switch {
			case r.Resource == base:
				hit = &exact
			case r.Singular == strings.ToLower(base) || strings.EqualFold(r.Kind, base) || slices.Contains(r.ShortNames, strings.ToLower(base)):
				hit = &alias
			default:
				continue
			}
			res := r
			if sub != "" {
				if res = a.Lookup(g, r.Resource+"/"+sub); res == nil {
					continue
				}
			}
			*hit = append(*hit, res)
		}
	}
	out := exact
	if len(out) == 0 {
		out = alias
	}
	return preferred(out)
}

// preferred narrows candidates as kubectl's RESTMapper does: the core group
// wins, then served APIs over removed ones.
func preferred(rs []*APIResource) []*APIResource {
	if len(rs) <= 1 {
		return rs
	}
	for _, r := range rs {
		if r.Group == "" {
			return []*APIResource{r}
		}
	}
	served := slices.DeleteFunc(slices.Clone(rs), (*APIResource).Removed)
	if len(served) > 0 {
		rs = served
	}
	slices.SortFunc(rs, func(x, y *APIResource) int { return strings.Compare(x.Group, y.Group) })
	return rs
}
