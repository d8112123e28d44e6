package policies

import (
	"fmt"
	"maps"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// The escalation graph: identities (Users, Groups, ServiceAccounts), hubs
// (sets of identities such as "every ServiceAccount of namespace ns") and
// targets (what an attacker wants in the end). An edge is a capability that
// yields its destination, carrying the grant that gives it; membership
// edges (an identity in its groups) and hub fan-out cost nothing.

type nodeKind uint8

const (
	nodeIdentity nodeKind = iota
	nodeHub
	nodeTarget
)

type node struct {
	ref  scanner.Ref // for hubs, Kind "Hub" and a descriptive name
	kind nodeKind
}

type edge struct {
	from, to int
	rule     string // "" for membership and hub fan-out
	grant    int32  // -1 when no grant gives it
	text     string // what the capability is, for a path's hop
}

// free reports whether the edge costs no hop: membership and hub fan-out.
func (e *edge) free() bool { return e.rule == "" }

// Hub names.
const (
	hubAnySA      = "any ServiceAccount"              // of a namespace, or of the cluster ("")
	hubMountedSA  = "ServiceAccounts mounted in pods" // whose token a running pod holds
	hubLegacySA   = "ServiceAccounts with legacy token Secrets"
	hubNSAdmin    = "namespace admin"
	hubAnyUser    = "any user"
	hubAnyGroup   = "any group"
	mastersGroup  = "system:masters"
	legacyTokenTy = "kubernetes.io/service-account-token"
	saNameAnn     = "kubernetes.io/service-account.name"
)

// targetSeverity is the severity of reaching a target.
var targetSeverity = map[string]reports.Severity{
	reports.TargetClusterAdmin:  reports.Critical,
	reports.TargetAdmission:     reports.Critical,
	reports.TargetNodes:         reports.Critical,
	reports.TargetAllSecrets:    reports.Critical,
	reports.TargetSystemSecrets: reports.High,
}

// targets in the order paths and reach lists name them.
var targets = []string{
	reports.TargetClusterAdmin, reports.TargetAdmission, reports.TargetNodes,
	reports.TargetAllSecrets, reports.TargetSystemSecrets,
}

type escalation struct {
	g     *scanner.Graph
	nodes []node
	index map[scanner.Ref]int
	out   [][]int // edge indexes by from
	in    [][]int // edge indexes by to
	edges []edge
	// saByNS and saByName index ServiceAccount identity nodes.
	saByNS   map[string][]int
	saByName map[string][]int
	users    []int
	groups   []int
	// mounted[ns] are the ServiceAccount nodes whose token pods of ns
	// mount; podSA[ns/pod] the ServiceAccount a Pod object runs as.
	mounted map[string][]int
	podSA   map[string]int
	// legacy[ns] are the ServiceAccount nodes with a legacy token Secret
	// in ns, legacyByName[ns/secret] the node of one Secret.
	legacy       map[string][]int
	legacyByName map[string]int
	specs        map[specKey]*grantSpec
}

func newEscalation(g *scanner.Graph) *escalation {
	gr := &escalation{
		g: g, index: map[scanner.Ref]int{},
		saByNS: map[string][]int{}, saByName: map[string][]int{},
		mounted: map[string][]int{}, podSA: map[string]int{},
		legacy: map[string][]int{}, legacyByName: map[string]int{},
		specs: map[specKey]*grantSpec{},
	}
	for _, t := range targets {
		gr.node(scanner.Ref{Kind: reports.KindTarget, Name: t}, nodeTarget)
	}
	masters := gr.identity(scanner.Ref{Kind: scanner.KindGroup, Name: mastersGroup})
	gr.add(edge{from: masters, to: gr.target(reports.TargetClusterAdmin), grant: -1})
	return gr
}

func (gr *escalation) node(ref scanner.Ref, kind nodeKind) int {
	if i, ok := gr.index[ref]; ok {
		return i
	}
	i := len(gr.nodes)
	gr.nodes = append(gr.nodes, node{ref: ref, kind: kind})
	gr.index[ref] = i
	gr.out = append(gr.out, nil)
	gr.in = append(gr.in, nil)
	return i
}

func (gr *escalation) target(name string) int {
	return gr.index[scanner.Ref{Kind: reports.KindTarget, Name: name}]
}

func (gr *escalation) hub(name, scope string) int {
	return gr.node(scanner.Ref{Kind: "Hub", Name: name, Namespace: scope}, nodeHub)
}

// identity returns the node of an identity, creating it (and indexing it)
// when new.
func (gr *escalation) identity(ref scanner.Ref) int {
	if i, ok := gr.index[ref]; ok {
		return i
	}
	i := gr.node(ref, nodeIdentity)
	switch ref.Kind {
	case scanner.KindServiceAccount:
		gr.saByNS[ref.Namespace] = append(gr.saByNS[ref.Namespace], i)
		gr.saByName[ref.Name] = append(gr.saByName[ref.Name], i)
	case scanner.KindUser:
		gr.users = append(gr.users, i)
	case scanner.KindGroup:
		gr.groups = append(gr.groups, i)
	}
	return i
}

func (gr *escalation) add(e edge) {
	if e.from == e.to {
		return // becoming yourself gains nothing (cert-manager minting its own token)
	}
	for _, x := range gr.out[e.from] {
		if y := &gr.edges[x]; y.to == e.to && y.rule == e.rule {
			return // one edge per (from, to, rule): the first grant tells it
		}
	}
	gr.edges = append(gr.edges, e)
	gr.out[e.from] = append(gr.out[e.from], len(gr.edges)-1)
	gr.in[e.to] = append(gr.in[e.to], len(gr.edges)-1)
}

// implicitGroups are the groups the authenticator puts an identity in.
func implicitGroups(ref scanner.Ref) []string {
	switch ref.Kind {
	case scanner.KindServiceAccount:
		return []string{"system:serviceaccounts", "system:serviceaccounts:" + ref.Namespace, "system:authenticated"}
	case scanner.KindUser:
		if ref.Name == "system:anonymous" {
			return []string{"system:unauthenticated"}
		}
		return []string{"system:authenticated"}
	case scanner.KindGroup:
		if ref.Name == "system:unauthenticated" || ref.Name == "system:authenticated" {
			return nil
		}
		return []string{"system:authenticated"} // its members are authenticated
	}
	return nil
}

// groupNodes lists the nodes of the implicit groups identity node i is in,
// those that exist (hold something).
func (gr *escalation) groupNodes(i int) []int {
	var out []int
	for _, name := range implicitGroups(gr.nodes[i].ref) {
		if j, ok := gr.index[scanner.Ref{Kind: scanner.KindGroup, Name: name}]; ok {
			out = append(out, j)
		}
	}
	return out
}

// runsAs is the ServiceAccount a pod or workload runs as ("default" when
// its pod spec names none).
func runsAs(x *scanner.Object) scanner.Ref {
	name := x.ServiceAccountName
	if name == "" {
		name = "default"
	}
	return scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: name}
}

// build adds every identity, hub and edge of the graph.
func (gr *escalation) build() {
	g := gr.g
	for i := range g.Grants {
		gr.identity(g.Grants[i].Subject.Ref)
	}
	for _, b := range g.Bindings {
		for _, s := range b.Subjects {
			gr.identity(s.Ref)
		}
	}
	gr.objects()
	// Membership: only into groups that exist (hold something).
	for i := range gr.nodes {
		if gr.nodes[i].kind != nodeIdentity {
			continue
		}
		for _, j := range gr.groupNodes(i) {
			gr.add(edge{from: i, to: j, grant: -1, text: "member of group " + gr.nodes[j].ref.Name})
		}
	}
	// Hubs fan out to what they stand for.
	facts := make(map[int]*facts)
	for i := range g.Grants {
		gr.grantEdges(int32(i), facts)
	}
	gr.compound(facts)
	gr.fanOut()
}

// objects indexes the ServiceAccounts, the pods' mounted tokens and the
// legacy token Secrets.
func (gr *escalation) objects() {
	automount := map[scanner.Ref]*bool{}
	for _, x := range gr.g.Objects {
		if x.Kind == scanner.KindServiceAccount {
			ref := scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: x.Name}
			gr.identity(ref)
			automount[ref] = x.AutomountToken
		}
	}
	for _, x := range gr.g.Objects {
		switch {
		case workloadKinds[x.Kind]:
			ref := runsAs(x)
			sa := gr.identity(ref)
			if mounted(x.AutomountToken, automount[ref]) {
				gr.mounted[x.Namespace] = appendOnce(gr.mounted[x.Namespace], sa)
				if x.Kind == "Pod" {
					gr.podSA[x.Namespace+"/"+x.Name] = sa
				}
			}
		case x.Kind == "Secret" && x.Type == legacyTokenTy && x.Annotations[saNameAnn] != "":
			sa := gr.identity(scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: x.Annotations[saNameAnn]})
			gr.legacy[x.Namespace] = appendOnce(gr.legacy[x.Namespace], sa)
			gr.legacyByName[x.Namespace+"/"+x.Name] = sa
		}
	}
}

func appendOnce(l []int, x int) []int {
	for _, y := range l {
		if y == x {
			return l
		}
	}
	return append(l, x)
}

// fanOut adds the edges from hubs to the identities they stand for.
func (gr *escalation) fanOut() {
	for i := 0; i < len(gr.nodes); i++ {
		n := gr.nodes[i]
		if n.kind != nodeHub {
			continue
		}
		ns := n.ref.Namespace
		to := func(ids ...int) {
			for _, j := range ids {
				gr.add(edge{from: i, to: j, grant: -1})
			}
		}
		switch n.ref.Name {
		case hubAnySA:
			if ns == "" {
				for _, k := range slices.Sorted(maps.Keys(gr.saByNS)) {
					to(gr.saByNS[k]...)
				}
			} else {
				to(gr.saByNS[ns]...)
			}
		case hubMountedSA:
			if ns == "" {
				for _, k := range slices.Sorted(maps.Keys(gr.mounted)) {
					to(gr.mounted[k]...)
				}
			} else {
				to(gr.mounted[ns]...)
			}
		case hubLegacySA:
			if ns == "" {
				for _, k := range slices.Sorted(maps.Keys(gr.legacy)) {
					to(gr.legacy[k]...)
				}
			} else {
				to(gr.legacy[ns]...)
			}
		case hubNSAdmin:
			to(gr.hub(hubAnySA, ns))
			switch ns {
			case "":
				to(gr.target(reports.TargetAllSecrets))
			case "kube-system":
				to(gr.target(reports.TargetSystemSecrets))
			}
		case hubAnyUser:
			to(gr.users...)
		case hubAnyGroup:
			to(gr.groups...)
		}
	}
}

// allows is the exact Kubernetes check of one request against a grant's
// rule, in the grant's scope.
func allows(r *rbacv1.PolicyRule, verb, group, resource, sub, name string) bool {
	return scanner.RuleAllows(r, &scanner.Request{
		Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Name: name,
	})
}

// allowsAny: some object (any name, or one of the rule's names).
func allowsAny(r *rbacv1.PolicyRule, verb, group, resource, sub string) bool {
	if allows(r, verb, group, resource, sub, "") {
		return true
	}
	for _, n := range r.ResourceNames {
		if allows(r, verb, group, resource, sub, n) {
			return true
		}
	}
	return false
}

// names lists the names among the rule's resourceNames that it allows verb
// on in the core group (nil when the rule is not restricted to names, or
// allows none).
func names(r *rbacv1.PolicyRule, verb, resource, sub string) []string {
	var out []string
	for _, n := range r.ResourceNames {
		if n != "" && allows(r, verb, "", resource, sub, n) {
			out = append(out, n)
		}
	}
	return out
}

// where renders a scope for a hop.
func where(scope string) string {
	if scope == "" {
		return "in every namespace"
	}
	return fmt.Sprintf("in namespace %q", scope)
}

// facts are what the compound capabilities need to know of one identity's
// own grants.
type facts struct {
	bindCluster, writeCRB, escalateCR, writeCR            int32 // grant index + 1, 0 when absent
	bindNS, writeRB, escalateR, writeR                    map[string]int32
	csrCreate, csrApprove, signerApprove, csrSign, signer int32
}

func (f *facts) set(p *int32, gi int32) {
	if *p == 0 {
		*p = gi + 1
	}
}

func setNS(m *map[string]int32, scope string, gi int32) {
	if *m == nil {
		*m = map[string]int32{}
	}
	if _, ok := (*m)[scope]; !ok {
		(*m)[scope] = gi + 1
	}
}

const (
	rbacGroup    = rbacv1.GroupName
	certGroup    = "certificates.k8s.io"
	clientSigner = "kubernetes.io/kube-apiserver-client"
)

// workloadResources are the pod controllers whose creator picks the pod's
// ServiceAccount.
var workloadResources = [][2]string{
	{"apps", "deployments"}, {"apps", "daemonsets"}, {"apps", "statefulsets"}, {"apps", "replicasets"},
	{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

// yieldRules are the capability rules the graph follows (an edge carries
// their id): their findings are raised to what the edge reaches.
var yieldRules = map[string]bool{
	clusterAdminID: true, "KG008": true, "KG009": true, "KG010": true, "KG011": true, "KG017": true,
	"KG018": true, "KG019": true, "KG020": true, "KG021": true, "KG022": true, "KG024": true,
	"KG027": true, "KG028": true, "KG032": true, "KG035": true, "KG037": true,
}

// edgeSpec is an edge a rule gives in a scope, whoever holds it.
type edgeSpec struct {
	rule, text string
	to         int
}

// grantSpec is what one rule gives in one scope: its edges and the facts
// of compound capabilities. Grants resolved from one rule entry in one
// scope share it, so the exact matcher runs once per (rule, scope).
type grantSpec struct {
	edges []edgeSpec
	facts factBits
}

type specKey struct {
	rule  ruleID
	scope string
}

// grantEdges adds the edges one grant gives its subject, and records the
// facts of compound capabilities.
func (gr *escalation) grantEdges(gi int32, all map[int]*facts) {
	g := &gr.g.Grants[gi]
	k := specKey{idOf(&g.Rule), g.Scope}
	sp := gr.specs[k]
	if sp == nil {
		sp = gr.computeSpec(&g.Rule, g.Scope)
		gr.specs[k] = sp
	}
	from := gr.index[g.Subject.Ref]
	for _, e := range sp.edges {
		gr.add(edge{from: from, to: e.to, rule: e.rule, grant: gi, text: e.text})
	}
	if sp.facts != 0 {
		f := all[from]
		if f == nil {
			f = &facts{}
			all[from] = f
		}
		sp.facts.apply(f, g.Scope, gi)
	}
}

// computeSpec checks one rule in one scope with the exact matcher.
func (gr *escalation) computeSpec(r *rbacv1.PolicyRule, scope string) *grantSpec {
	sp := &grantSpec{}
	edgeTo := func(rule, text string, to int) {
		sp.edges = append(sp.edges, edgeSpec{rule: rule, text: text + " " + where(scope), to: to})
	}
	clusterWide := scope == ""

	if isAllWildcard(r) {
		if clusterWide {
			edgeTo(clusterAdminID, "holds every verb on every resource", gr.target(reports.TargetClusterAdmin))
		} else {
			edgeTo(clusterAdminID, "holds every verb on every resource", gr.hub(hubNSAdmin, scope))
		}
		return sp
	}
	// TokenRequest: the named ServiceAccounts, or any.
	if allows(r, "create", "", "serviceaccounts", "token", "") {
		edgeTo("KG011", "can mint a token for any ServiceAccount", gr.hub(hubAnySA, scope))
	} else {
		for _, n := range names(r, "create", "serviceaccounts", "token") {
			for _, sa := range gr.saNamed(scope, n) {
				edgeTo("KG011", "can mint a token for ServiceAccount "+gr.nodes[sa].ref.Namespace+"/"+n, sa)
			}
		}
	}
	// Pods and pod controllers: the creator picks the ServiceAccount.
	if allows(r, "create", "", "pods", "", "") {
		edgeTo("KG017", "can create pods running as any ServiceAccount", gr.hub(hubAnySA, scope))
	}
	for _, w := range workloadResources {
		if allows(r, "create", w[0], w[1], "", "") {
			edgeTo("KG018", "can create "+w[1]+" running as any ServiceAccount", gr.hub(hubAnySA, scope))
			break
		}
	}
	if allows(r, "create", "", "secrets", "", "") {
		edgeTo("KG010", "can create a service-account-token Secret for any ServiceAccount", gr.hub(hubAnySA, scope))
	}
	// Into running pods: their mounted tokens.
	for _, c := range []struct{ rule, text, verbA, verbB, sub string }{
		{"KG020", "can exec into pods and read their ServiceAccount token", "create", "get", "exec"},
		{"KG021", "can attach to pods and read their ServiceAccount token", "create", "get", "attach"},
		{"KG022", "can add ephemeral containers to pods and read their token", "update", "patch", "ephemeralcontainers"},
		{"KG019", "can swap the image of pods and read their token", "update", "patch", ""},
	} {
		switch {
		case allows(r, c.verbA, "", "pods", c.sub, "") || allows(r, c.verbB, "", "pods", c.sub, ""):
			edgeTo(c.rule, c.text, gr.hub(hubMountedSA, scope))
		case len(r.ResourceNames) > 0:
			for _, n := range append(names(r, c.verbA, "pods", c.sub), names(r, c.verbB, "pods", c.sub)...) {
				if sa, ok := gr.podSA[scope+"/"+n]; ok {
					edgeTo(c.rule, c.text+" (pod "+n+")", sa)
				}
			}
		}
	}
	// Secrets: every one of the scope, or the named legacy token Secrets.
	readAll := allows(r, "list", "", "secrets", "", "") || allows(r, "watch", "", "secrets", "", "")
	getAll := allows(r, "get", "", "secrets", "", "")
	if readAll || getAll {
		rule := "KG008"
		if readAll {
			rule = "KG009"
		}
		switch scope {
		case "":
			edgeTo(rule, "can read every Secret", gr.target(reports.TargetAllSecrets))
		case "kube-system":
			edgeTo(rule, "can read every Secret", gr.target(reports.TargetSystemSecrets))
		}
		edgeTo(rule, "can read the legacy ServiceAccount token Secrets", gr.hub(hubLegacySA, scope))
	} else {
		for _, n := range names(r, "get", "secrets", "") {
			if sa, ok := gr.legacyByName[scope+"/"+n]; ok {
				edgeTo("KG008", "can read the token Secret "+n, sa)
			}
		}
	}
	gr.impersonation(r, scope, edgeTo)
	if clusterWide && (allowsAny(r, "get", "", "nodes", "proxy") || allowsAny(r, "create", "", "nodes", "proxy")) {
		edgeTo("KG024", "can reach the kubelet API of nodes (nodes/proxy)", gr.target(reports.TargetNodes))
	}
	if clusterWide {
		for _, res := range []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"} {
			if allows(r, "create", "admissionregistration.k8s.io", res, "", "") ||
				allows(r, "update", "admissionregistration.k8s.io", res, "", "") ||
				allows(r, "patch", "admissionregistration.k8s.io", res, "", "") {
				edgeTo("KG037", "can write "+res, gr.target(reports.TargetAdmission))
				break
			}
		}
	}
	sp.facts = factsOf(r, scope)
	return sp
}

func isAllWildcard(r *rbacv1.PolicyRule) bool {
	has := func(l []string) bool {
		for _, s := range l {
			if s == "*" {
				return true
			}
		}
		return false
	}
	return has(r.Verbs) && has(r.APIGroups) && has(r.Resources) && len(r.ResourceNames) == 0
}

// saNamed lists the ServiceAccount nodes named n in scope (any namespace
// for a cluster-wide grant).
func (gr *escalation) saNamed(scope, n string) []int {
	if scope != "" {
		return []int{gr.identity(scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: scope, Name: n})}
	}
	return gr.saByName[n]
}

// impersonation adds the identities a grant lets its subject impersonate.
// users and groups are cluster-scoped: only a cluster-wide grant reaches
// them; serviceaccounts are namespaced.
func (gr *escalation) impersonation(r *rbacv1.PolicyRule, scope string, edgeTo func(rule, text string, to int)) {
	const rule = "KG032"
	if scope == "" {
		if allows(r, "impersonate", "", "users", "", "") {
			edgeTo(rule, "can impersonate any user", gr.hub(hubAnyUser, ""))
		} else {
			for _, n := range names(r, "impersonate", "users", "") {
				if i, ok := gr.index[scanner.Ref{Kind: scanner.KindUser, Name: n}]; ok {
					edgeTo(rule, "can impersonate user "+n, i)
				}
			}
		}
		if allows(r, "impersonate", "", "groups", "", "") {
			edgeTo(rule, "can impersonate any group, system:masters included", gr.hub(hubAnyGroup, ""))
		} else {
			for _, n := range names(r, "impersonate", "groups", "") {
				if i, ok := gr.index[scanner.Ref{Kind: scanner.KindGroup, Name: n}]; ok {
					edgeTo(rule, "can impersonate group "+n, i)
				}
			}
		}
	}
	if allows(r, "impersonate", "", "serviceaccounts", "", "") {
		edgeTo(rule, "can impersonate any ServiceAccount", gr.hub(hubAnySA, scope))
	} else {
		for _, n := range names(r, "impersonate", "serviceaccounts", "") {
			for _, sa := range gr.saNamed(scope, n) {
				edgeTo(rule, "can impersonate ServiceAccount "+gr.nodes[sa].ref.Namespace+"/"+n, sa)
			}
		}
	}
}

// factBits are the parts of compound capabilities one rule gives in one
// scope; the namespaced ones (bindNS, writeRB, escalateR, writeR) hold in
// the grant's scope.
type factBits uint16

const (
	fBindCluster factBits = 1 << iota
	fWriteCRB
	fEscalateCR
	fWriteCR
	fCSRCreate
	fCSRApprove
	fSignerApprove
	fCSRSign
	fSigner
	fBindNS
	fWriteRB
	fEscalateR
	fWriteR
)

// factsOf checks the compound capabilities' parts of one rule in one scope.
func factsOf(r *rbacv1.PolicyRule, scope string) factBits {
	var b factBits
	set := func(ok bool, f factBits) {
		if ok {
			b |= f
		}
	}
	bind := allows(r, "bind", rbacGroup, "clusterroles", "", "")
	set(bind && scope == "", fBindCluster)
	set(bind, fBindNS)
	set(scope == "" && allows(r, "create", rbacGroup, "clusterrolebindings", "", ""), fWriteCRB)
	set(allows(r, "create", rbacGroup, "rolebindings", "", ""), fWriteRB)
	set(scope == "" && allows(r, "escalate", rbacGroup, "clusterroles", "", ""), fEscalateCR)
	set(scope == "" && (allows(r, "update", rbacGroup, "clusterroles", "", "") || allows(r, "patch", rbacGroup, "clusterroles", "", "")), fWriteCR)
	set(allows(r, "escalate", rbacGroup, "roles", "", ""), fEscalateR)
	set(allows(r, "update", rbacGroup, "roles", "", "") || allows(r, "patch", rbacGroup, "roles", "", ""), fWriteR)
	if scope != "" {
		return b
	}
	set(allows(r, "create", certGroup, "certificatesigningrequests", "", ""), fCSRCreate)
	set(allowsAny(r, "update", certGroup, "certificatesigningrequests", "approval") || allowsAny(r, "patch", certGroup, "certificatesigningrequests", "approval"), fCSRApprove)
	set(allows(r, "approve", certGroup, "signers", "", clientSigner), fSignerApprove)
	set(allowsAny(r, "update", certGroup, "certificatesigningrequests", "status") || allowsAny(r, "patch", certGroup, "certificatesigningrequests", "status"), fCSRSign)
	set(allows(r, "sign", certGroup, "signers", "", clientSigner), fSigner)
	return b
}

// apply records the facts of grant gi (in scope) on an identity's facts.
func (b factBits) apply(f *facts, scope string, gi int32) {
	for _, p := range []struct {
		bit factBits
		at  *int32
	}{
		{fBindCluster, &f.bindCluster}, {fWriteCRB, &f.writeCRB}, {fEscalateCR, &f.escalateCR}, {fWriteCR, &f.writeCR},
		{fCSRCreate, &f.csrCreate}, {fCSRApprove, &f.csrApprove}, {fSignerApprove, &f.signerApprove},
		{fCSRSign, &f.csrSign}, {fSigner, &f.signer},
	} {
		if b&p.bit != 0 {
			f.set(p.at, gi)
		}
	}
	for _, p := range []struct {
		bit factBits
		m   *map[string]int32
	}{{fBindNS, &f.bindNS}, {fWriteRB, &f.writeRB}, {fEscalateR, &f.escalateR}, {fWriteR, &f.writeR}} {
		if b&p.bit != 0 {
			setNS(p.m, scope, gi)
		}
	}
}

// merged is an identity's facts with those of its groups.
func (gr *escalation) merged(i int, all map[int]*facts) *facts {
	out := &facts{}
	srcs := []*facts{all[i]}
	for _, j := range gr.groupNodes(i) {
		srcs = append(srcs, all[j])
	}
	for _, f := range srcs {
		if f == nil {
			continue
		}
		for _, p := range [][2]*int32{
			{&out.bindCluster, &f.bindCluster}, {&out.writeCRB, &f.writeCRB}, {&out.escalateCR, &f.escalateCR},
			{&out.writeCR, &f.writeCR}, {&out.csrCreate, &f.csrCreate}, {&out.csrApprove, &f.csrApprove},
			{&out.signerApprove, &f.signerApprove}, {&out.csrSign, &f.csrSign}, {&out.signer, &f.signer},
		} {
			if *p[0] == 0 {
				*p[0] = *p[1]
			}
		}
		for _, m := range [][2]*map[string]int32{
			{&out.bindNS, &f.bindNS}, {&out.writeRB, &f.writeRB}, {&out.escalateR, &f.escalateR}, {&out.writeR, &f.writeR},
		} {
			for k, v := range *m[1] {
				setNS(m[0], k, v-1)
			}
		}
	}
	return out
}

// compound adds the edges that need several capabilities of one identity
// (its own and its groups'): bind plus writing bindings, escalate plus
// writing roles, and CSR create plus approve plus sign.
func (gr *escalation) compound(all map[int]*facts) {
	for i := range gr.nodes {
		if gr.nodes[i].kind != nodeIdentity {
			continue
		}
		if all[i] == nil && !gr.inGroupWithFacts(i, all) {
			continue
		}
		f := gr.merged(i, all)
		add := func(rule string, gi int32, text string, to int) {
			gr.add(edge{from: i, to: to, rule: rule, grant: gi - 1, text: text})
		}
		// A ClusterRoleBinding can refer to a ClusterRole only: bind on
		// roles plus clusterrolebindings grants nothing.
		if f.bindCluster != 0 && f.writeCRB != 0 {
			add("KG028", f.bindCluster, "can bind any ClusterRole and create ClusterRoleBindings", gr.target(reports.TargetClusterAdmin))
		}
		if f.escalateCR != 0 && f.writeCR != 0 {
			add("KG027", f.escalateCR, "can escalate and update ClusterRoles (its own included)", gr.target(reports.TargetClusterAdmin))
		}
		// A RoleBinding may refer to a ClusterRole: bind on clusterroles
		// plus creating RoleBindings in a namespace is admin of it.
		for _, ns := range slices.Sorted(maps.Keys(f.writeRB)) {
			b, ok := f.bindNS[ns]
			if !ok {
				b, ok = f.bindNS[""]
			}
			if ok {
				add("KG028", b, "can bind any ClusterRole and create RoleBindings "+where(ns), gr.hub(hubNSAdmin, ns))
			}
		}
		if _, ok := f.writeRB[""]; ok {
			for _, ns := range slices.Sorted(maps.Keys(f.bindNS)) {
				if ns != "" {
					add("KG028", f.bindNS[ns], "can bind any ClusterRole and create RoleBindings "+where(ns), gr.hub(hubNSAdmin, ns))
				}
			}
		}
		for _, ns := range slices.Sorted(maps.Keys(f.escalateR)) {
			if _, ok := f.writeR[ns]; ok {
				add("KG027", f.escalateR[ns], "can escalate and update Roles "+where(ns), gr.hub(hubNSAdmin, ns))
			}
		}
		if f.csrCreate != 0 && f.csrApprove != 0 && f.signerApprove != 0 && f.csrSign != 0 && f.signer != 0 {
			add("KG035", f.csrApprove, "can create, approve and sign client certificate requests for any user or group", gr.hub(hubAnyGroup, ""))
		}
	}
}

func (gr *escalation) inGroupWithFacts(i int, all map[int]*facts) bool {
	for _, j := range gr.groupNodes(i) {
		if all[j] != nil {
			return true
		}
	}
	return false
}

// reach computes, for every target, the distance in capability hops from
// every node and the next edge on a shortest path (0-1 BFS on the reversed
// graph: free edges cost nothing). dist is -1 where the target is out of
// reach.
type reach struct {
	dist [][]int32 // [target][node]
	next [][]int32 // [target][node]: edge index, -1 at the target
}

func (gr *escalation) reach() *reach {
	n := len(gr.nodes)
	rc := &reach{dist: make([][]int32, len(targets)), next: make([][]int32, len(targets))}
	deque := make([]int32, 0, 2*n)
	for t, name := range targets {
		dist := make([]int32, n)
		next := make([]int32, n)
		for i := range dist {
			dist[i], next[i] = -1, -1
		}
		start := gr.target(name)
		dist[start] = 0
		// deque as a slice with a moving head; front pushes go to a
		// separate stack popped first.
		var front []int32
		deque = append(deque[:0], int32(start))
		head := 0
		done := make([]bool, n)
		for len(front) > 0 || head < len(deque) {
			var v int32
			if len(front) > 0 {
				v = front[len(front)-1]
				front = front[:len(front)-1]
			} else {
				v = deque[head]
				head++
			}
			if done[v] {
				continue
			}
			done[v] = true
			for _, ei := range gr.in[v] {
				e := &gr.edges[ei]
				w := int32(1)
				if e.free() {
					w = 0
				}
				nd := dist[v] + w
				if dist[e.from] < 0 || nd < dist[e.from] {
					dist[e.from] = nd
					next[e.from] = int32(ei)
					if w == 0 {
						front = append(front, int32(e.from))
					} else {
						deque = append(deque, int32(e.from))
					}
				}
			}
		}
		rc.dist[t], rc.next[t] = dist, next
	}
	return rc
}

// mask is the set of targets node i reaches, as bits of targets.
func (rc *reach) mask(i int) uint8 {
	var m uint8
	for t := range targets {
		if rc.dist[t][i] >= 0 {
			m |= 1 << t
		}
	}
	return m
}

// reaches lists the targets node i reaches, most severe first; all-secrets
// subsumes kube-system-secrets, and cluster-admin subsumes everything.
func (rc *reach) reaches(i int) []string {
	var out []string
	for t, name := range targets {
		if rc.dist[t][i] >= 0 {
			out = append(out, name)
		}
	}
	return subsumeTargets(out)
}

func subsumeTargets(ts []string) []string {
	has := func(s string) bool {
		for _, t := range ts {
			if t == s {
				return true
			}
		}
		return false
	}
	if has(reports.TargetClusterAdmin) {
		return []string{reports.TargetClusterAdmin}
	}
	if has(reports.TargetAllSecrets) && has(reports.TargetSystemSecrets) {
		out := ts[:0:0]
		for _, t := range ts {
			if t != reports.TargetSystemSecrets {
				out = append(out, t)
			}
		}
		return out
	}
	return ts
}
