package policies

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"context"
	"fmt"
	"testing"

	"github.com/kubegrant/kubegrant/scanner"
)

// syntheticGraph builds a cluster of n bindings, alternating RoleBindings
// and ClusterRoleBindings, each with three subjects and a role of two rules
// from a pool that mixes risky and harmless ones.
func syntheticGraph(n int) *scanner.Graph {
	b := newGraph()
	pool := [][]ruleSpec{
		{{core, l("pods"), l("get", "list")}, {core, l("configmaps"), l("get")}},
		{{core, l("secrets"), l("get", "list", "watch")}, {core, l("pods/exec"), l("create")}},
		{{l("apps"), l("deployments"), l("*")}, {core, l("serviceaccounts/token"), l("create")}},
		{{rbac, l("clusterroles"), l("bind")}, {rbac, l("rolebindings"), l("create")}},
		{{l("*"), l("*"), l("*")}, {core, l("nodes/proxy"), l("get")}},
		{{l("example.com"), l("widgets"), l("get")}, {core, l("services"), l("get", "list")}},
	}
	var roles []scanner.Ref
	for i, rules := range pool {
		var prs []ruleArg
		for _, r := range rules {
			prs = append(prs, rule(r.groups, r.resources, r.verbs))
		}
		roles = append(roles, b.role(scanner.KindClusterRole, "", fmt.Sprintf("role-%d", i), prs...))
	}
	for i := range n {
		ns := fmt.Sprintf("ns-%d", i%200)
		if i%2 == 1 {
			ns = ""
		}
		b.bind(ns, fmt.Sprintf("b-%d", i), roles[i%len(roles)],
			sa(fmt.Sprintf("ns-%d", i%200), fmt.Sprintf("sa-%d", i)), user(fmt.Sprintf("user-%d", i%500)), user("shared"))
	}
	return &b.g
}

type ruleSpec struct{ groups, resources, verbs []string }

type ruleArg = rbacv1.PolicyRule

func BenchmarkEval(b *testing.B) {
	e := engine(b)
	for _, n := range []int{10_000, 50_000} {
		if n > 10_000 && testing.Short() {
			continue
		}
		g := syntheticGraph(n)
		b.Run(fmt.Sprintf("bindings=%d/grants=%d", n, len(g.Grants)), func(b *testing.B) {
			var findings int
			for b.Loop() {
				fs, err := e.Eval(context.Background(), g)
				if err != nil {
					b.Fatal(err)
				}
				findings = len(fs.Findings)
			}
			b.ReportMetric(float64(findings), "findings")
		})
	}
}

// BenchmarkBuildInput measures the conversion of the graph to the input
// document alone, the part of Eval that grows with grants rather than with
// findings.
func BenchmarkBuildInput(b *testing.B) {
	g := syntheticGraph(50_000)
	b.Run(fmt.Sprintf("bindings=50000/grants=%d", len(g.Grants)), func(b *testing.B) {
		for b.Loop() {
			buildInput(g)
		}
	})
}
