package audit

import (
	"net/url"
	"strings"

	"github.com/kubegrant/kubegrant/scanner"
)

// attributes are what the RBAC authorizer was asked for this event,
// following the apiserver's RequestInfo and audit2rbac's
// eventToAttributes:
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
func attributes(e *Event, hasRef bool) scanner.Request {
	r := scanner.Request{Verb: e.Verb}
	if !hasRef {
		r.Path = e.Path()
		if i := strings.IndexByte(r.Path, '#'); i >= 0 {
			r.Path = r.Path[:i]
		}
		return r
	}
	ref := &e.Object
	r.ResourceRequest = true
	r.APIGroup = ref.Group
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
