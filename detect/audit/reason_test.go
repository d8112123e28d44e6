package audit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/scanner"
)

func TestParseReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Reason
		ok   bool
	}{
		{
			name: "cluster role binding to group",
			in:   `RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"`,
			want: Reason{
				Binding: scanner.Ref{Kind: "ClusterRoleBinding", Name: "system:basic-user"},
				Role:    scanner.Ref{Kind: "ClusterRole", Name: "system:basic-user"},
				Subject: scanner.Ref{Kind: "Group", Name: "system:authenticated"},
			},
			ok: true,
		},
		{
			name: "role binding of role to user (name/namespace)",
			in:   `RBAC: allowed by RoleBinding "alice-token-minter/apps" of Role "token-minter" to User "alice"`,
			want: Reason{
				Binding: scanner.Ref{Kind: "RoleBinding", Name: "alice-token-minter", Namespace: "apps"},
				Role:    scanner.Ref{Kind: "Role", Name: "token-minter", Namespace: "apps"},
				Subject: scanner.Ref{Kind: "User", Name: "alice"},
			},
			ok: true,
		},
		{
			name: "role binding of cluster role to service account",
			in:   `RBAC: allowed by RoleBinding "x/ns" of ClusterRole "y" to ServiceAccount "sa/other"`,
			want: Reason{
				Binding: scanner.Ref{Kind: "RoleBinding", Name: "x", Namespace: "ns"},
				Role:    scanner.Ref{Kind: "ClusterRole", Name: "y"},
				Subject: scanner.Ref{Kind: "ServiceAccount", Name: "sa", Namespace: "other"},
			},
			ok: true,
		},
		{
			name: "cluster role binding to service account",
			in:   `RBAC: allowed by ClusterRoleBinding "crb" of ClusterRole "cluster-admin" to ServiceAccount "builder/apps"`,
			want: Reason{
				Binding: scanner.Ref{Kind: "ClusterRoleBinding", Name: "crb"},
				Role:    scanner.Ref{Kind: "ClusterRole", Name: "cluster-admin"},
				Subject: scanner.Ref{Kind: "ServiceAccount", Name: "builder", Namespace: "apps"},
			},
			ok: true,
		},
		{
			name: "escaped quotes in a user name",
			in:   `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "weird \"name\" \\ x"`,
			want: Reason{
				Binding: scanner.Ref{Kind: "ClusterRoleBinding", Name: "b"},
				Role:    scanner.Ref{Kind: "ClusterRole", Name: "r"},
				Subject: scanner.Ref{Kind: "User", Name: `weird "name" \ x`},
			},
			ok: true,
		},
		{name: "empty (denial or system:masters)", in: ""},
		{name: "node authorizer", in: `allowed by Node authorizer`},
		{name: "webhook", in: `allowed by webhook "authz"`},
		{name: "cluster role binding of namespaced role", in: `RBAC: allowed by ClusterRoleBinding "b" of Role "r" to User "u"`},
		{name: "role binding without namespace", in: `RBAC: allowed by RoleBinding "x" of Role "r" to User "u"`},
		{name: "service account without namespace", in: `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to ServiceAccount "sa"`},
		{name: "unknown subject kind", in: `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to Robot "x"`},
		{name: "trailing text", in: `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "u" extra`},
		{name: "unterminated quote", in: `RBAC: allowed by ClusterRoleBinding "b of ClusterRole "r" to User "u"`},
		{name: "unquoted name", in: `RBAC: allowed by ClusterRoleBinding b of ClusterRole "r" to User "u"`},
		{name: "backquoted name", in: "RBAC: allowed by ClusterRoleBinding `b` of ClusterRole \"r\" to User \"u\""},
		{name: "empty role name", in: `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "" to User "u"`},
		{name: "truncated", in: `RBAC: allowed by ClusterRoleBinding "b" of`},
		{name: "denial wording", in: `RBAC: denied`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseReason(tc.in)
			if ok != tc.ok {
				t.Fatalf("ParseReason(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseReason(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// formatReason renders r the way the apiserver does, for round trips.
func formatReason(r Reason) string {
	b := r.Binding.Name
	if r.Binding.Kind == scanner.KindRoleBinding {
		b += "/" + r.Binding.Namespace
	}
	s := r.Subject.Name
	if r.Subject.Kind == scanner.KindServiceAccount {
		s += "/" + r.Subject.Namespace
	}
	return fmt.Sprintf("RBAC: allowed by %s %q of %s %q to %s %q", r.Binding.Kind, b, r.Role.Kind, r.Role.Name, r.Subject.Kind, s)
}

func FuzzParseReason(f *testing.F) {
	f.Add(`RBAC: allowed by RoleBinding "x/ns" of ClusterRole "y" to ServiceAccount "sa/ns"`)
	f.Add(`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "system:authenticated"`)
	f.Add(`RBAC: allowed by ClusterRoleBinding "a\"b" of ClusterRole "y" to User "\u00e9"`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := ParseReason(s)
		if !ok {
			if r != (Reason{}) {
				t.Fatalf("ParseReason(%q) returned %+v with ok=false", s, r)
			}
			return
		}
		if r.Binding.Name == "" || r.Role.Name == "" || r.Subject.Name == "" {
			t.Fatalf("ParseReason(%q) = %+v: empty name", s, r)
		}
		if strings.Contains(r.Binding.Namespace, "/") || strings.Contains(r.Subject.Namespace, "/") {
			t.Fatalf("ParseReason(%q) = %+v: slash in namespace", s, r)
		}
		// Formatting and parsing again must give the same reason.
		again, ok := ParseReason(formatReason(r))
		if !ok || again != r {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", s, again, ok, r)
		}
	})
}
