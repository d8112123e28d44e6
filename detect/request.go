package detect

import (
	"net/url"
	"strings"

	"github.com/kubegrant/kubegrant/scanner"
)

// Allowed reports whether the authorizer allowed the request: the
// authorization.k8s.io/decision annotation is "allow". Without the
// annotation (old logs, and requests rejected before authorization, such as
// a denied impersonation) the response code decides: a code below 400
// other than 401 and 403; no response status at all is not allowed. An
// allowed request can still have failed later (admission, not found).
func (e *Event) Allowed() bool {
	if d, ok := e.Annotations[AnnotationDecision]; ok {
		return d == "allow"
	}
	if e.ResponseStatus == nil || e.ResponseStatus.Code == 0 {
		return false
	}
	c := e.ResponseStatus.Code
	return c < 400 && c != 401 && c != 403
}

// Identity is the identity the request was authorized as: the impersonated
// user when there is one (the caller only needed the impersonate verb),
// else the authenticated user. Groups are as recorded.
func (e *Event) Identity() (user string, groups []string) {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return e.ImpersonatedUser.Username, e.ImpersonatedUser.Groups
	}
	return e.User.Username, e.User.Groups
}

// Request is what the RBAC authorizer was asked for this event, following
// the apiserver's RequestInfo and audit2rbac's eventToAttributes:
//
//   - With an objectRef, a resource request: group ("" for core), resource,
//     subresource and namespace from it; without, a non-resource request
//     whose Path is the requestURI without its query.
//   - The name is cleared for a create on a top-level resource: the
//     authorizer is asked before the object (and its name) exists, so a
//     rule with resourceNames never allows it. A subresource create
//     (serviceaccounts/<sa>/token, pods/<p>/exec) keeps the name.
//   - For list and watch, the name is the one required by a
//     fieldSelector=metadata.name=<x> in the requestURI, else empty.
//   - A namespace's own requests (GET /api/v1/namespaces/<ns>) are in
//     namespace <ns>, as the apiserver sets it; a create of a namespace is
//     cluster-scoped.
func (e *Event) Request() scanner.Request {
	r := scanner.Request{Verb: e.Verb}
	ref := e.ObjectRef
	if ref == nil {
		p := e.RequestURI
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		r.Path = p
		return r
	}
	r.ResourceRequest = true
	r.APIGroup = ref.APIGroup
	if r.APIGroup == "core" {
		r.APIGroup = ""
	}
	r.Resource = ref.Resource
	r.Subresource = ref.Subresource
	r.Namespace = ref.Namespace
	r.Name = ref.Name
	switch e.Verb {
	case "create":
		if r.Subresource == "" {
			r.Name = ""
		}
	case "list", "watch":
		if e.RequestURI != "" {
			r.Name = selectedName(e.RequestURI)
		}
	}
	if r.APIGroup == "" && r.Resource == "namespaces" {
		switch {
		case e.Verb == "create" && r.Subresource == "":
			r.Namespace = ""
		case r.Namespace == "" && r.Name != "":
			r.Namespace = r.Name
		}
	}
	return r
}

// selectedName is the name a list or watch is restricted to by a
// fieldSelector requiring metadata.name, as RequestInfo sets it ("" if
// none, or if the name is not a valid path segment).
func selectedName(requestURI string) string {
	i := strings.IndexByte(requestURI, '?')
	if i < 0 {
		return ""
	}
	q, err := url.ParseQuery(requestURI[i+1:])
	if err != nil {
		return ""
	}
	sel, ok := q["fieldSelector"]
	if !ok || len(sel) == 0 {
		return ""
	}
	name := ""
	for _, term := range splitSelector(sel[0]) {
		term = strings.TrimSpace(term)
		var v string
		switch {
		case strings.HasPrefix(term, "metadata.name=="):
			v = term[len("metadata.name=="):]
		case strings.HasPrefix(term, "metadata.name="):
			v = term[len("metadata.name="):]
		default:
			continue
		}
		v = unescapeSelector(strings.TrimSpace(v))
		if name != "" && name != v {
			return "" // contradictory: no exact single name
		}
		name = v
	}
	if name == "." || name == ".." || strings.ContainsAny(name, "/%") {
		return ""
	}
	return name
}

// splitSelector splits a field selector on unescaped commas.
func splitSelector(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescapeSelector undoes the field selector escapes of \, \= and \\.
func unescapeSelector(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
