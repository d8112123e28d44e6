package policies

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// scenario builds a graph with objects for the escalation tests.
type scenario struct{ *graphBuilder }

func newScenario() scenario { return scenario{newGraph()} }

func (s scenario) object(kind, ns, name, sa string, automount *bool) {
	s.g.Objects = append(s.g.Objects, &scanner.Object{
		Ref: scanner.Ref{Kind: kind, Namespace: ns, Name: name}, ServiceAccountName: sa, AutomountToken: automount, Source: s.src(),
	})
}

func (s scenario) clusterAdmin(subject scanner.Ref) {
	r := s.role(scanner.KindClusterRole, "", "admin-"+subject.Name, rule(l("*"), l("*"), l("*")))
	s.bind("", "admin-"+subject.Name, r, subject)
}

func bptr(b bool) *bool { return &b }

// pathsOf renders the path findings as "RULE start: hop → hop".
func pathsOf(fs []reports.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Kind != reports.KindPath {
			continue
		}
		var hops []string
		for _, h := range f.Path {
			hops = append(hops, fmt.Sprintf("%s-%s->%s", h.From.Name, h.RuleID, h.To.Name))
		}
		out = append(out, fmt.Sprintf("%s %s %s: %s", f.RuleID, f.Severity, f.Subject.Name, strings.Join(hops, " ")))
	}
	return out
}

func severityOf(fs []reports.Finding, rule, subject string) string {
	for _, f := range fs {
		if f.RuleID == rule && f.Subject != nil && f.Subject.Name == subject {
			return string(f.Severity)
		}
	}
	return "none"
}

func TestEscalationPaths(t *testing.T) {
	e := engine(t)
	token := func(names ...string) rbacv1.PolicyRule {
		return rule(core, l("serviceaccounts/token"), l("create"), names...)
	}
	for _, tc := range []struct {
		name      string
		build     func(s scenario)
		wantPaths []string
		// severities: rule/subject → severity ("none" when absent)
		severities map[[2]string]string
	}{
		{
			name: "minted token for a ServiceAccount that can bind cluster-admin",
			build: func(s scenario) {
				minter := s.role(scanner.KindClusterRole, "", "minter", token())
				s.bind("", "minter", minter, sa("ci", "deployer"))
				op := s.role(scanner.KindClusterRole, "", "op",
					rule(rbac, l("clusterroles"), l("bind")),
					rule(rbac, l("clusterrolebindings"), l("create")))
				s.bind("", "op", op, sa("kube-system", "rbac-operator"))
			},
			wantPaths: []string{"KGP01 critical deployer: deployer-KG011->rbac-operator rbac-operator-KG028->cluster-admin"},
			severities: map[[2]string]string{
				{"KG011", "deployer"}: "critical", {"KG028", "rbac-operator"}: "critical",
			},
		},
		{
			name: "bind on roles plus clusterrolebindings cannot escalate",
			build: func(s scenario) {
				op := s.role(scanner.KindClusterRole, "", "op",
					rule(rbac, l("roles"), l("bind")),
					rule(rbac, l("clusterrolebindings"), l("create")))
				s.bind("", "op", op, user("dev"))
			},
			severities: map[[2]string]string{{"KG028", "dev"}: "high"},
		},
		{
			name: "token restricted to one ServiceAccount follows what that ServiceAccount holds",
			build: func(s scenario) {
				s.clusterAdmin(sa("ops", "admin-sa"))
				r := s.role(scanner.KindRole, "ops", "mint", token("admin-sa"))
				s.bind("ops", "intern", r, user("intern"))
				r2 := s.role(scanner.KindRole, "ops", "mint-idle", token("idle"))
				s.bind("ops", "trainee", r2, user("trainee"))
				s.object("ServiceAccount", "ops", "idle", "", nil)
			},
			wantPaths:  []string{"KGP01 critical intern: intern-KG011->admin-sa admin-sa-KG001->cluster-admin"},
			severities: map[[2]string]string{{"KG011", "intern"}: "critical", {"KG011", "trainee"}: "low"},
		},
		{
			name: "pod create in a namespace whose ServiceAccount reads every Secret",
			build: func(s scenario) {
				pods := s.role(scanner.KindRole, "build", "pods", rule(core, l("pods"), l("create")))
				s.bind("build", "dev", pods, user("dev"))
				reader := s.role(scanner.KindClusterRole, "", "reader", rule(core, l("secrets"), l("list")))
				s.bind("", "builder", reader, sa("build", "builder"))
			},
			wantPaths:  []string{"KGP02 critical dev: dev-KG017->builder builder-KG009->all-secrets"},
			severities: map[[2]string]string{{"KG017", "dev"}: "critical"},
		},
		{
			name: "exec into a workload whose ServiceAccount is cluster-admin, token mounted",
			build: func(s scenario) {
				ex := s.role(scanner.KindRole, "apps", "exec", rule(core, l("pods/exec"), l("create")))
				s.bind("apps", "dev", ex, user("dev"))
				s.clusterAdmin(sa("apps", "powerful"))
				s.object("Deployment", "apps", "api", "powerful", nil)
			},
			wantPaths: []string{"KGP01 critical dev: dev-KG020->powerful powerful-KG001->cluster-admin"},
		},
		{
			name: "exec: no path when the pod does not mount the token",
			build: func(s scenario) {
				ex := s.role(scanner.KindRole, "apps", "exec", rule(core, l("pods/exec"), l("create")))
				s.bind("apps", "dev", ex, user("dev"))
				s.clusterAdmin(sa("apps", "powerful"))
				s.object("Deployment", "apps", "api", "powerful", bptr(false))
			},
			severities: map[[2]string]string{{"KG020", "dev"}: "high"},
		},
		{
			name: "exec: the pod's automount wins over the ServiceAccount's",
			build: func(s scenario) {
				ex := s.role(scanner.KindRole, "apps", "exec", rule(core, l("pods/exec"), l("create")))
				s.bind("apps", "dev", ex, user("dev"))
				s.clusterAdmin(sa("apps", "powerful"))
				s.object("ServiceAccount", "apps", "powerful", "", bptr(false))
				s.object("Pod", "apps", "api", "powerful", bptr(true))
			},
			wantPaths: []string{"KGP01 critical dev: dev-KG020->powerful powerful-KG001->cluster-admin"},
		},
		{
			name: "impersonating a user that is cluster-admin",
			build: func(s scenario) {
				imp := s.role(scanner.KindClusterRole, "", "imp", rule(core, l("users"), l("impersonate"), "root@example.com"))
				s.bind("", "support", imp, sa("support", "tool"))
				s.clusterAdmin(user("root@example.com"))
				ex := s.role(scanner.KindRole, "support", "exec", rule(core, l("pods/exec"), l("create")))
				s.bind("support", "dev", ex, user("dev"))
				s.object("Pod", "support", "tool-0", "tool", nil)
			},
			wantPaths: []string{
				"KGP01 critical dev: dev-KG020->tool tool-KG032->root@example.com root@example.com-KG001->cluster-admin",
				"KGP01 critical tool: tool-KG032->root@example.com root@example.com-KG001->cluster-admin",
			},
			severities: map[[2]string]string{{"KG032", "tool"}: "critical"},
		},
		{
			name: "CSR create, approve and sign reach cluster-admin through system:masters",
			build: func(s scenario) {
				csr := s.role(scanner.KindClusterRole, "", "csr",
					rule(l("certificates.k8s.io"), l("certificatesigningrequests"), l("create")),
					rule(l("certificates.k8s.io"), l("certificatesigningrequests/approval", "certificatesigningrequests/status"), l("update")),
					rule(l("certificates.k8s.io"), l("signers"), l("approve", "sign")))
				s.bind("", "csr", csr, sa("pki", "issuer"))
				pods := s.role(scanner.KindRole, "pki", "pods", rule(core, l("pods"), l("create")))
				s.bind("pki", "dev", pods, user("dev"))
			},
			wantPaths: []string{"KGP01 critical dev: dev-KG017->issuer issuer-KG035->system:masters system:masters-->cluster-admin"},
		},
		{
			name: "CSR approve without sign does not",
			build: func(s scenario) {
				csr := s.role(scanner.KindClusterRole, "", "csr",
					rule(l("certificates.k8s.io"), l("certificatesigningrequests"), l("create")),
					rule(l("certificates.k8s.io"), l("certificatesigningrequests/approval"), l("update")),
					rule(l("certificates.k8s.io"), l("signers"), l("approve")))
				s.bind("", "csr", csr, sa("pki", "issuer"))
				pods := s.role(scanner.KindRole, "pki", "pods", rule(core, l("pods"), l("create")))
				s.bind("pki", "dev", pods, user("dev"))
			},
		},
		{
			name: "a cycle of token minting ends",
			build: func(s scenario) {
				a := s.role(scanner.KindRole, "x", "a", token("b"))
				s.bind("x", "a", a, sa("x", "a"))
				b := s.role(scanner.KindRole, "x", "b", token("a"))
				s.bind("x", "b", b, sa("x", "b"))
			},
			severities: map[[2]string]string{{"KG011", "a"}: "low", {"KG011", "b"}: "low"},
		},
		{
			name: "a path through a group is reported once, for the group",
			build: func(s scenario) {
				minter := s.role(scanner.KindClusterRole, "", "minter", token())
				s.bind("", "everyone", minter, scanner.Ref{Kind: scanner.KindGroup, Name: "system:authenticated"})
				s.clusterAdmin(sa("kube-system", "root"))
				s.bind("", "noise", s.role(scanner.KindClusterRole, "", "noop", rule(core, l("configmaps"), l("get"))), user("alice"), sa("a", "b"))
			},
			// Not repeated for alice and a/b, who are authenticated too.
			wantPaths:  []string{"KGP01 critical system:authenticated: system:authenticated-KG011->root root-KG001->cluster-admin"},
			severities: map[[2]string]string{{"KG011", "system:authenticated"}: "critical"},
		},
		{
			name: "a risky role nothing binds is low, a harmless one silent, a bound one not unbound",
			build: func(s scenario) {
				s.role(scanner.KindClusterRole, "", "spare-minter", token())
				s.role(scanner.KindRole, "x", "reader", rule(core, l("configmaps"), l("get")))
				used := s.role(scanner.KindClusterRole, "", "used", token())
				s.bind("", "used", used, user("ci"))
			},
			severities: map[[2]string]string{{"KG011", "ci"}: "critical"},
		},
		{
			name: "a * on * grant is one finding",
			build: func(s scenario) {
				s.clusterAdmin(user("root"))
			},
			severities: map[[2]string]string{{"KG001", "root"}: "critical", {"KG009", "root"}: "none", {"KG024", "root"}: "none"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario()
			tc.build(s)
			res, err := e.Eval(context.Background(), &s.g)
			if err != nil {
				t.Fatal(err)
			}
			got := pathsOf(res.Findings)
			want := tc.wantPaths
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if tc.name == "a risky role nothing binds is low, a harmless one silent, a bound one not unbound" {
				var unbound []string
				for _, f := range res.Findings {
					if f.RuleID == "KG107" {
						unbound = append(unbound, string(f.Severity)+" "+f.Role.Name+": "+f.Message)
					}
				}
				want := []string{`low spare-minter: ClusterRole "spare-minter" is bound by nothing but would grant KG011: risky if bound`}
				if diff := cmp.Diff(want, unbound); diff != "" {
					t.Errorf("unbound (-want +got):\n%s", diff)
				}
			}
			for k, sev := range tc.severities {
				if g := severityOf(res.Findings, k[0], k[1]); g != sev {
					t.Errorf("%s of %s: severity %s, want %s", k[0], k[1], g, sev)
				}
			}
			if t.Failed() {
				for _, f := range res.Findings {
					t.Logf("%s %s %v %s", f.RuleID, f.Severity, f.Subject, f.Message)
				}
			}
		})
	}
}

// TestMarkWalked: a path is walked when every capability hop's finding
// was exercised, each no earlier than the previous one began.
func TestMarkWalked(t *testing.T) {
	g1, g2 := &scanner.Grant{}, &scanner.Grant{}
	yes, no := true, false
	capability := func(rule string, g *scanner.Grant, ex *bool, first, last string) reports.Finding {
		return reports.Finding{RuleID: rule, Kind: reports.KindGrant, Grants: []*scanner.Grant{g}, Exercised: ex, FirstSeen: first, LastSeen: last,
			Evidence: []reports.Evidence{{AuditID: rule}}}
	}
	path := func() reports.Finding {
		return reports.Finding{RuleID: "KGP01", Kind: reports.KindPath, Path: []reports.Hop{
			{RuleID: "KG011", GrantOf: g1}, {RuleID: "", Capability: "member of group"}, {RuleID: "KG028", GrantOf: g2},
		}}
	}
	for _, tc := range []struct {
		name string
		fs   []reports.Finding
		want bool
	}{
		{"in order", []reports.Finding{capability("KG011", g1, &yes, "T1", "T1"), capability("KG028", g2, &yes, "T2", "T3"), path()}, true},
		{"second hop used before the first", []reports.Finding{capability("KG011", g1, &yes, "T5", "T5"), capability("KG028", g2, &yes, "T2", "T3"), path()}, false},
		{"one hop never used", []reports.Finding{capability("KG011", g1, &yes, "T1", "T1"), capability("KG028", g2, &no, "", ""), path()}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MarkWalked(tc.fs)
			p := tc.fs[2]
			if p.Walked == nil || *p.Walked != tc.want {
				t.Fatalf("walked = %v, want %v", p.Walked, tc.want)
			}
			if h := p.Path[0]; h.Exercised == nil || !*h.Exercised || len(h.Evidence) != 1 || h.Evidence[0].AuditID != "KG011" {
				t.Errorf("first hop %+v: want exercised with the finding's evidence", h)
			}
			if p.Path[1].Exercised != nil {
				t.Errorf("membership hop marked exercised")
			}
		})
	}
}

// TestSeverityRanges: a rule whose findings can be raised by what they
// reach, or lowered by restrictions, says so.
func TestSeverityRanges(t *testing.T) {
	byID := map[string]string{}
	for _, r := range engine(t).Rules() {
		byID[r.ID] = r.SeverityRange
	}
	for id, want := range map[string]string{
		"KG011": "low–critical", // restricted to names, up to cluster-admin by reach
		"KG017": "high–critical",
		"KG015": "", // always critical
	} {
		if byID[id] != want {
			t.Errorf("%s: range %q, want %q", id, byID[id], want)
		}
	}
}
