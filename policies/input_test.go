package policies

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/scanner"
)

// naiveGroups is the grouping buildInput must reproduce: by (binding, role,
// scope, rule entry, aggregated-from role, occurrence of the subject) over
// the whole graph, groups in order of first appearance.
func naiveGroups(g *scanner.Graph) [][]int {
	type key struct {
		binding, role, agg scanner.Ref
		bsrc, rsrc         scanner.Source
		scope, rule        string
		occurrence         int
	}
	type seenKey struct {
		k key
		s scanner.Ref
	}
	index, seen := map[key]int{}, map[seenKey]int{}
	var groups [][]int
	for gi, gr := range g.Grants {
		var b strings.Builder
		writeRuleKey(&b, &gr.Rule)
		k := key{binding: gr.Binding, role: gr.Role, bsrc: gr.BindingSource, rsrc: gr.RuleSource, scope: gr.Scope, rule: b.String()}
		if gr.AggregatedFrom != nil {
			k.agg = *gr.AggregatedFrom
		}
		sk := seenKey{k, gr.Subject.Ref}
		k.occurrence = seen[sk]
		seen[sk]++
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], gi)
	}
	return groups
}

func TestBuildInputGroups(t *testing.T) {
	r1 := rbacv1.PolicyRule{Verbs: []string{"get"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	r2 := rbacv1.PolicyRule{Verbs: []string{"list"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	r1copy := rbacv1.PolicyRule{Verbs: []string{"get"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	grant := func(b, s string, r rbacv1.PolicyRule, line int) scanner.Grant {
		return scanner.Grant{
			Subject:    scanner.Subject{Ref: scanner.Ref{Kind: "User", Name: s}},
			Binding:    scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: b},
			Role:       scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"},
			Rule:       r,
			RuleSource: scanner.Source{File: "f", Line: line},
		}
	}
	for _, tc := range []struct {
		name   string
		grants []scanner.Grant
	}{
		{"resolver shape", []scanner.Grant{
			grant("a", "u1", r1, 1), grant("a", "u1", r2, 2), grant("a", "u2", r1, 1), grant("a", "u2", r2, 2),
			grant("b", "u1", r1, 1),
		}},
		{"repeated rule entry", []scanner.Grant{
			grant("a", "u1", r1, 1), grant("a", "u1", r1copy, 1), grant("a", "u2", r1, 1), grant("a", "u2", r1copy, 1),
		}},
		{"repeated subject", []scanner.Grant{
			grant("a", "u1", r1, 1), grant("a", "u2", r1, 1), grant("a", "u1", r1, 1),
		}},
		{"uneven subjects", []scanner.Grant{
			grant("a", "u1", r1, 1), grant("a", "u1", r2, 2), grant("a", "u2", r2, 2), grant("a", "u2", r1, 1),
			grant("a", "u3", r1, 1),
		}},
		{"binding comes back", []scanner.Grant{
			grant("a", "u1", r1, 1), grant("b", "u1", r1, 1), grant("a", "u2", r1, 1), grant("a", "u1", r1copy, 1),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &scanner.Graph{Grants: tc.grants}
			if diff := cmp.Diff(naiveGroups(g), buildInput(g).groups); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}
