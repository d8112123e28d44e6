package scanner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// This file answers the two questions every RBAC tool answers, from the
// resolved Graph and with the authorizer's own matching (match.go): who can
// make a request (kubectl-who-can), and what can an identity do (rakkess,
// kubectl auth can-i --list).
//
// Group membership is not in RBAC: the authenticator decides it. What the
// apiserver adds by itself is known, and expanded here from the identities
// the input shows: every authenticated user is in system:authenticated,
// anonymous requests are in system:unauthenticated, a ServiceAccount is in
// system:serviceaccounts and system:serviceaccounts:<namespace>, and a
// kubelet (system:node:<name>) is in system:nodes. Other groups' members
// are not known offline and are reported as such. Members of
// system:masters bypass RBAC: they can do everything, whatever the bindings.

// Implicit and special group names.
const (
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	GroupMasters         = "system:masters"
	GroupNodes           = "system:nodes"
	UserAnonymous        = "system:anonymous"
)

// Identity is who asks the authorizer: a user name with its groups, or a
// group alone (what every member holds through it).
type Identity struct {
	// Subject names the identity as a binding would: ServiceAccount,
	// User or Group.
	Subject Ref
	// User is the user name the identity authenticates as ("" for a
	// group); Groups every group it is in, implicit ones included.
	User   string
	Groups []string
}

// NewIdentity returns the identity of a subject with the groups the
// apiserver gives it, plus extra (a user's groups from its authenticator).
func NewIdentity(subject Ref, extra ...string) Identity {
	id := Identity{Subject: subject}
	switch subject.Kind {
	case KindServiceAccount:
		id.User = ServiceAccountUsername(subject.Namespace, subject.Name)
		id.Groups = []string{GroupServiceAccounts, GroupServiceAccounts + ":" + subject.Namespace, GroupAuthenticated}
	case KindUser:
		id.User = subject.Name
		switch {
		case subject.Name == UserAnonymous:
			id.Groups = []string{GroupUnauthenticated}
		case strings.HasPrefix(subject.Name, "system:node:"):
			id.Groups = []string{GroupNodes, GroupAuthenticated}
		default:
			id.Groups = []string{GroupAuthenticated}
		}
	case KindGroup:
		id.Groups = []string{subject.Name}
	}
	for _, g := range extra {
		if !slices.Contains(id.Groups, g) {
			id.Groups = append(id.Groups, g)
		}
	}
	slices.Sort(id.Groups)
	return id
}

// Superuser reports whether the identity is in system:masters, which the
// apiserver authorizes before RBAC is asked.
func (id Identity) Superuser() bool { return slices.Contains(id.Groups, GroupMasters) }

// ParseSubject reads a subject as a user types it: Kind:name or
// Kind:namespace/name (ServiceAccount:ci/deployer, User:alice,
// Group:system:masters; sa, user and group are accepted as kinds, in any
// case), or a ServiceAccount's user name (system:serviceaccount:ci:deployer).
func ParseSubject(s string) (Ref, error) {
	if rest, ok := strings.CutPrefix(s, "system:serviceaccount:"); ok {
		ns, name, ok := strings.Cut(rest, ":")
		if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
			return Ref{}, fmt.Errorf("%q: a ServiceAccount user name is system:serviceaccount:NAMESPACE:NAME", s)
		}
		return Ref{Kind: KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return Ref{}, fmt.Errorf("%q: give the subject as ServiceAccount:NAMESPACE/NAME, User:NAME or Group:NAME", s)
	}
	switch strings.ToLower(kind) {
	case "serviceaccount", "sa":
		ns, n, ok := strings.Cut(name, "/")
		if !ok || ns == "" || n == "" || strings.Contains(n, "/") {
			return Ref{}, fmt.Errorf("%q: a ServiceAccount is ServiceAccount:NAMESPACE/NAME", s)
		}
		return Ref{Kind: KindServiceAccount, Namespace: ns, Name: n}, nil
	case "user":
		return Ref{Kind: KindUser, Name: name}, nil
	case "group":
		return Ref{Kind: KindGroup, Name: name}, nil
	}
	return Ref{}, fmt.Errorf("%q: unknown subject kind %q (ServiceAccount, User or Group)", s, kind)
}

// Access is one subject allowed a request, with the grants that allow it.
type Access struct {
	// Subject is as written in the bindings (or Group system:masters).
	Subject Ref
	// Superuser is set for system:masters, which needs no grant.
	Superuser bool
	// Grants allow the request to Subject, in Graph order.
	Grants []*Grant
	// Members are, for a group, the identities of the input it is known
	// to contain; MembersKnown says the list is complete, which is true
	// only for the groups the apiserver fills (implicit groups).
	Members      []Ref
	MembersKnown bool
}

// Allowed is one identity allowed a request, and the subjects it is
// allowed through (itself, or groups it is in).
type Allowed struct {
	Identity Ref
	Through  []Ref
}

// WhoCanResult answers "who can make this request".
type WhoCanResult struct {
	// Subjects are the subjects allowed, system:masters first, then by
	// kind, namespace and name.
	Subjects []Access
	// Identities are the users and ServiceAccounts of the input that are
	// allowed, directly or through a group the apiserver puts them in.
	Identities []Allowed
}

// WhoCan returns who is allowed req. With anyNamespace, a namespaced
// request is asked in every namespace at once: a grant allows it when it
// would in its own scope.
func WhoCan(g *Graph, req Request, anyNamespace bool) *WhoCanResult {
	bySubject := map[Ref]*Access{}
	masters := Ref{Kind: KindGroup, Name: GroupMasters}
	bySubject[masters] = &Access{Subject: masters, Superuser: true}
	for i := range g.Grants {
		gr := &g.Grants[i]
		r := req
		if anyNamespace && req.ResourceRequest && req.Namespace == "" {
			r.Namespace = gr.Scope
		}
		if !gr.Allows(&r) {
			continue
		}
		a := bySubject[gr.Subject.Ref]
		if a == nil {
			a = &Access{Subject: gr.Subject.Ref}
			bySubject[gr.Subject.Ref] = a
		}
		a.Grants = append(a.Grants, gr)
	}
	known := knownIdentities(g)
	res := &WhoCanResult{}
	through := map[Ref][]Ref{}
	for _, a := range bySubject {
		switch a.Subject.Kind {
		case KindGroup:
			a.Members, a.MembersKnown = groupMembers(a.Subject.Name, known)
			for _, m := range a.Members {
				through[m] = append(through[m], a.Subject)
			}
		default:
			through[a.Subject] = append(through[a.Subject], a.Subject)
		}
		res.Subjects = append(res.Subjects, *a)
	}
	slices.SortFunc(res.Subjects, func(a, b Access) int {
		if a.Superuser != b.Superuser {
			if a.Superuser {
				return -1
			}
			return 1
		}
		return compareSubject(a.Subject, b.Subject)
	})
	for id, via := range through {
		slices.SortFunc(via, compareSubject)
		res.Identities = append(res.Identities, Allowed{Identity: id, Through: via})
	}
	slices.SortFunc(res.Identities, func(a, b Allowed) int { return compareSubject(a.Identity, b.Identity) })
	return res
}

// compareSubject orders Groups, then ServiceAccounts, then Users.
func compareSubject(a, b Ref) int {
	rank := map[string]int{KindGroup: 0, KindServiceAccount: 1, KindUser: 2}
	return cmp.Or(cmp.Compare(rank[a.Kind], rank[b.Kind]), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// knownIdentities are the users and ServiceAccounts the input shows: the
// subjects of its bindings, its ServiceAccounts, the ServiceAccounts its
// workloads run as, each namespace's default ServiceAccount, and a
// kubelet user per Node.
func knownIdentities(g *Graph) []Ref {
	seen := map[Ref]bool{}
	add := func(r Ref) {
		if r.Name != "" {
			seen[r] = true
		}
	}
	for _, b := range g.Bindings {
		for _, s := range b.Subjects {
			if s.Kind == KindUser || s.Kind == KindServiceAccount && s.Namespace != "" {
				add(s.Ref)
			}
		}
	}
	for _, o := range g.Objects {
		switch {
		case o.Kind == "ServiceAccount":
			add(Ref{Kind: KindServiceAccount, Namespace: o.Namespace, Name: o.Name})
		case o.Kind == "Namespace":
			add(Ref{Kind: KindServiceAccount, Namespace: o.Name, Name: "default"})
		case o.Kind == "Node":
			add(Ref{Kind: KindUser, Name: "system:node:" + o.Name})
		case o.ServiceAccountName != "":
			add(Ref{Kind: KindServiceAccount, Namespace: o.Namespace, Name: o.ServiceAccountName})
		}
	}
	out := make([]Ref, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.SortFunc(out, compareSubject)
	return out
}

// groupMembers returns the known identities in a group, and whether the
// list is complete for the input: the ServiceAccount groups and
// system:unauthenticated hold no one else, while system:authenticated
// also holds every user the input does not name, and the members of
// system:masters, system:nodes and every other group come from the
// authenticator.
func groupMembers(group string, known []Ref) ([]Ref, bool) {
	var out []Ref
	complete := false
	for _, r := range known {
		id := NewIdentity(r)
		if slices.Contains(id.Groups, group) {
			out = append(out, r)
		}
	}
	switch {
	case group == GroupUnauthenticated, group == GroupServiceAccounts, strings.HasPrefix(group, GroupServiceAccounts+":"):
		complete = true
	}
	if group == GroupUnauthenticated {
		out = []Ref{{Kind: KindUser, Name: UserAnonymous}}
	}
	return out, complete
}

// Can returns the grants that apply to the identity, in Graph order:
// those of bindings naming it, or a group it is in. With namespace set,
// only the grants effective there (cluster-wide ones and that namespace's).
func Can(g *Graph, id Identity, namespace string) []*Grant {
	var out []*Grant
	for i := range g.Grants {
		gr := &g.Grants[i]
		if namespace != "" && gr.Scope != "" && gr.Scope != namespace {
			continue
		}
		if id.covers(gr.Subject) {
			out = append(out, gr)
		}
	}
	return out
}

// covers reports whether a binding's subject applies to the identity; for
// a group identity, only the group itself.
func (id Identity) covers(s Subject) bool {
	if id.User == "" {
		return s.Kind == KindGroup && slices.Contains(id.Groups, s.Name)
	}
	return s.AppliesTo(id.User, id.Groups)
}

// Matches reports whether an audited request's user and groups are this
// identity: the same user name, or for a group identity, a member of it.
func (id Identity) Matches(user string, groups []string) bool {
	if id.User == "" {
		return slices.Contains(groups, id.Subject.Name)
	}
	return user == id.User
}
