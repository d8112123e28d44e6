package scanner

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what the RBAC authorizer is asked: the authorizer.Attributes of
// a request, reduced to what RBAC looks at.
//
// For a resource request, Resource and Subresource are separate
// ("pods", "exec"); Name is what the authorizer sees: empty for a create
// of a top-level resource (a POST to the collection: the object does not
// exist yet) and for a deletecollection (see Unnamed), and for a list or
// watch unless a fieldSelector requires metadata.name. A rule with
// resourceNames therefore never allows such a request, whatever its verbs
// say. Two requests do ask "create" with a name: a server-side apply that
// creates the object (asked as patch and create of that name) and a PUT
// that creates a missing object of a resource that allows it (update and
// create of that name; see CreateOnUpdate).
// For a non-resource request, Path is the URL path ("/healthz").
type Request struct {
	Verb            string
	ResourceRequest bool
	APIGroup        string
	Resource        string
	Subresource     string
	Name            string
	// Namespace is the request's namespace, "" for cluster-scoped
	// resources and non-resource URLs.
	Namespace string
	Path      string
}

// The matching functions below follow, case for case, the Kubernetes RBAC
// authorizer: kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go
// (RuleAllows) and pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
// APIGroupMatches, ResourceMatches, ResourceNameMatches,
// NonResourceURLMatches). Their tests are ported from that package.

// Unnamed reports whether the authorizer always sees an empty name for a
// request with this verb on a top-level resource (subresource ""): create,
// which POSTs to the collection, and deletecollection. Such a request is
// allowed by a rule with resourceNames only if the list holds "" itself.
func Unnamed(verb, subresource string) bool {
	return subresource == "" && (verb == "create" || verb == "deletecollection")
}

// createOnUpdate are the resources whose storage lets a PUT create a
// missing object (AllowCreateOnUpdate in kubernetes/kubernetes
// pkg/registry, v1.34), keyed "group/resource".
var createOnUpdate = map[string]bool{
	"/endpoints": true, "/events": true, "/limitranges": true, "/services": true,
	"events.k8s.io/events":                          true,
	"coordination.k8s.io/leases":                    true,
	"coordination.k8s.io/leasecandidates":           true,
	"node.k8s.io/runtimeclasses":                    true,
	"rbac.authorization.k8s.io/roles":               true,
	"rbac.authorization.k8s.io/rolebindings":        true,
	"rbac.authorization.k8s.io/clusterroles":        true,
	"rbac.authorization.k8s.io/clusterrolebindings": true,
}

// CreateOnUpdate reports whether a PUT of a missing object of this built-in
// resource creates it, after the authorizer allowed both update and create
// of that name. Server-side apply creates any resource's object the same
// way (patch and create of that name).
func CreateOnUpdate(group, resource string) bool {
	return createOnUpdate[group+"/"+resource]
}

// RuleAllows reports whether rule allows req, ignoring scope.
func RuleAllows(rule *rbacv1.PolicyRule, req *Request) bool {
	if !VerbMatches(rule, req.Verb) {
		return false
	}
	if !req.ResourceRequest {
		return NonResourceURLMatches(rule, req.Path)
	}
	combined := req.Resource
	if req.Subresource != "" {
		combined = req.Resource + "/" + req.Subresource
	}
	return APIGroupMatches(rule, req.APIGroup) &&
		ResourceMatches(rule, combined, req.Subresource) &&
		ResourceNameMatches(rule, req.Name)
}

// VerbMatches reports whether the rule names the verb or "*".
func VerbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

// APIGroupMatches reports whether the rule names the group or "*". The core
// group is "".
func APIGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// ResourceMatches reports whether the rule covers combined ("pods" or
// "pods/exec"). "*" matches everything, "*/exec" matches any resource's exec
// subresource; "pods/*" and "*/*" are literals that match nothing real.
func ResourceMatches(rule *rbacv1.PolicyRule, combined, subresource string) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if subresource == "" {
			continue
		}
		if len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

// ResourceNameMatches reports whether the rule's resourceNames allow name;
// an empty list allows every name, and a non-empty list never allows an
// empty name (a create on a collection, a deletecollection, a list without
// a name selector) unless it lists "" itself, which Kubernetes matches as
// a name like any other.
func ResourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	return len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, name)
}

// NonResourceURLMatches reports whether the rule covers the URL path: "*",
// an exact path, or a prefix written as "/path/*".
func NonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// ServiceAccountUsername is the user name a ServiceAccount authenticates as.
func ServiceAccountUsername(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// AppliesTo reports whether the subject covers the authenticated user with
// the given groups, as the authorizer's appliesToUser does. A ServiceAccount
// subject must already carry its namespace (the loader fills it from the
// binding); without one it applies to nobody.
func (s Subject) AppliesTo(user string, groups []string) bool {
	switch s.Kind {
	case KindUser:
		return s.Name == user
	case KindGroup:
		return slices.Contains(groups, s.Name)
	case KindServiceAccount:
		return s.Namespace != "" && ServiceAccountUsername(s.Namespace, s.Name) == user
	}
	return false
}

// Allows reports whether the grant allows req: the rule matches and the
// request lies in the grant's scope. A namespaced grant (from a RoleBinding)
// never allows cluster-scoped resources or non-resource URLs.
func (g *Grant) Allows(req *Request) bool {
	if g.Scope != "" && g.Scope != req.Namespace {
		return false
	}
	return RuleAllows(&g.Rule, req)
}
