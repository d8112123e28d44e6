package audit

import (
	"strconv"
	"strings"

	"github.com/kubegrant/kubegrant/scanner"
)

// Reason is the RBAC binding, role and subject that allowed a request, as
// the apiserver writes them in the authorization.k8s.io/reason annotation.
// It attributes one use to one grant without knowing group membership.
type Reason struct {
	Binding scanner.Ref
	Role    scanner.Ref
	Subject scanner.Ref
}

// reasonPrefix is what the RBAC authorizer puts before its describer
// (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go).
const reasonPrefix = "RBAC: allowed by "

// ParseReason parses an RBAC allow reason such as
//
//	RBAC: allowed by RoleBinding "x/ns" of ClusterRole "y" to ServiceAccount "sa/ns"
//
// following the describers of kubernetes/kubernetes
// pkg/registry/rbac/validation/rule.go: RoleBindings and ServiceAccounts are
// written name/namespace, names are Go-quoted. It returns false for an empty
// reason (a denial, or system:masters which bypasses RBAC), for the Node and
// webhook authorizers' reasons, and for anything it does not fully
// understand: a half-parsed reason would attribute a use to the wrong grant.
func ParseReason(s string) (Reason, bool) {
	var r Reason
	bkind, bname, rest, ok := cutRef(s, reasonPrefix)
	if !ok || (bkind != scanner.KindRoleBinding && bkind != scanner.KindClusterRoleBinding) {
		return Reason{}, false
	}
	r.Binding = scanner.Ref{Kind: bkind, Name: bname}
	if bkind == scanner.KindRoleBinding {
		if r.Binding.Name, r.Binding.Namespace, ok = splitNameNamespace(bname); !ok {
			return Reason{}, false
		}
	}

	rkind, rname, rest, ok := cutRef(rest, " of ")
	if !ok {
		return Reason{}, false
	}
	switch {
	case rkind == scanner.KindClusterRole:
		r.Role = scanner.Ref{Kind: rkind, Name: rname}
	case rkind == scanner.KindRole && bkind == scanner.KindRoleBinding:
		// A RoleBinding's Role always lives in the binding's namespace.
		r.Role = scanner.Ref{Kind: rkind, Name: rname, Namespace: r.Binding.Namespace}
	default:
		return Reason{}, false
	}

	skind, sname, rest, ok := cutRef(rest, " to ")
	if !ok || rest != "" {
		return Reason{}, false
	}
	switch skind {
	case scanner.KindUser, scanner.KindGroup:
		r.Subject = scanner.Ref{Kind: skind, Name: sname}
	case scanner.KindServiceAccount:
		name, ns, ok := splitNameNamespace(sname)
		if !ok {
			return Reason{}, false
		}
		r.Subject = scanner.Ref{Kind: skind, Name: name, Namespace: ns}
	default:
		return Reason{}, false
	}
	return r, true
}

// cutRef reads sep, a kind and a non-empty Go-quoted name at the start of
// s (` of ClusterRole "view"`).
func cutRef(s, sep string) (kind, name, rest string, ok bool) {
	if s, ok = strings.CutPrefix(s, sep); !ok {
		return "", "", "", false
	}
	if kind, s, ok = cutWord(s); !ok {
		return "", "", "", false
	}
	name, rest, ok = cutQuoted(s)
	return kind, name, rest, ok && name != ""
}

// cutWord returns the word before the next space and what follows the space.
func cutWord(s string) (word, rest string, ok bool) {
	word, rest, ok = strings.Cut(s, " ")
	return word, rest, ok && word != ""
}

// cutQuoted unquotes the Go-quoted string at the start of s.
func cutQuoted(s string) (val, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil || q[0] != '"' {
		return "", "", false
	}
	val, err = strconv.Unquote(q)
	if err != nil {
		return "", "", false
	}
	return val, s[len(q):], true
}

// splitNameNamespace splits "name/namespace"; neither part may be empty and
// neither can contain a slash in Kubernetes.
func splitNameNamespace(s string) (name, ns string, ok bool) {
	name, ns, ok = strings.Cut(s, "/")
	if !ok || name == "" || ns == "" || strings.Contains(ns, "/") {
		return "", "", false
	}
	return name, ns, true
}
