package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAccessGolden runs who-can and can on the demo and compares with
// testdata/golden; -update rewrites them.
func TestAccessGolden(t *testing.T) {
	t.Chdir("../..")
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"who-can-secrets.text", []string{"who-can", "get", "secrets", "-n", "kube-system", "testdata/demo/manifests"}},
		{"who-can-secrets.json", []string{"who-can", "get", "secrets", "-n", "kube-system", "testdata/demo/manifests", "--format", "json"}},
		{"who-can-namespaces.text", []string{"who-can", "list", "ns", "testdata/demo/manifests"}},
		{"can-deployer.text", []string{"can", "ServiceAccount:ci/deployer", "testdata/demo/manifests", "--audit-log", "testdata/demo/audit/audit.log"}},
		{"can-deployer.json", []string{"can", "ServiceAccount:ci/deployer", "testdata/demo/manifests", "--audit-log", "testdata/demo/audit/audit.log", "--format", "json"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, tc.golden, r.stdout)
			if strings.HasSuffix(tc.golden, ".json") && !json.Valid([]byte(r.stdout)) {
				t.Error("not JSON")
			}
		})
	}
}

// TestWhoCanCLI checks the answers that matter on the demo and the
// command line's errors.
func TestWhoCanCLI(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	subjects := func(out string) []string {
		var doc whoCanDoc
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var s []string
		for _, x := range doc.Subjects {
			s = append(s, x.Ref.String())
		}
		return s
	}
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		subjects  []string
		stderrHas string
	}{
		{name: "secrets in kube-system", args: []string{"get", "secrets", "-n", "kube-system"},
			subjects: []string{"Group/system:masters", "Group/payments-oncall", "Group/platform-admins"}},
		{name: "token minting anywhere", args: []string{"create", "serviceaccounts/token"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/ci/deployer"}},
		{name: "token minting, the name a rule allows", args: []string{"create", "serviceaccounts/token", "-n", "payments", "--name", "payments-api"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/ci/deployer", "ServiceAccount/payments/payments-api"}},
		{name: "token minting restricted by name", args: []string{"create", "serviceaccounts/token", "-n", "payments", "--name", "other"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/ci/deployer"}},
		{name: "kubelet proxy through aggregation", args: []string{"get", "nodes/proxy"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/monitoring/prometheus"}},
		{name: "cluster-scoped resource ignores -n", args: []string{"get", "nodes/proxy", "-n", "payments"},
			subjects:  []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/monitoring/prometheus"},
			stderrHas: "is cluster-scoped; -n payments ignored"},
		{name: "bind on roles", args: []string{"bind", "clusterroles.rbac.authorization.k8s.io", "--name", "cluster-admin"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/kube-system/rbac-operator"}},
		{name: "impersonation", args: []string{"impersonate", "users", "--name", "alice"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "User/support@example.com"}},
		// platform-admins' * on * does not cover URLs: nonResourceURLs do.
		{name: "non-resource URL", args: []string{"get", "/metrics"},
			subjects: []string{"Group/system:masters", "ServiceAccount/monitoring/prometheus"}},
		{name: "anonymous", args: []string{"list", "services", "-n", "default"},
			subjects: []string{"Group/system:masters", "Group/platform-admins", "ServiceAccount/monitoring/prometheus", "User/system:anonymous"}},
		{name: "a create carries no name", args: []string{"create", "secrets", "-n", "payments", "--name", "x"},
			subjects:  []string{"Group/system:masters", "Group/platform-admins"},
			stderrHas: "a create carries no name; --name x ignored"},
		{name: "resource of an unknown API", args: []string{"get", "widgets.example.com", "-n", "a"},
			subjects:  []string{"Group/system:masters", "Group/platform-admins"},
			stderrHas: "widgets.example.com is not defined in the input"},
		{name: "unknown resource", args: []string{"get", "widgets"}, code: 2, stderrHas: `unknown resource "widgets"`},
		{name: "upper-case verb", args: []string{"Get", "secrets"}, code: 2, stderrHas: `verbs are lower-case`},
		{name: "URL with namespace", args: []string{"get", "/metrics", "-n", "a"}, code: 2, stderrHas: "no namespace or name"},
		{name: "missing resource", args: []string{"get"}, code: 2, stderrHas: "needs a VERB and a RESOURCE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"who-can"}, tc.args...)
			if len(tc.args) > 1 {
				args = append(args, manifests)
			}
			r := runCLI(t, "", append(args, "--format", "json")...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stderr %q lacks %q", r.stderr, tc.stderrHas)
			}
			if tc.code != 0 {
				return
			}
			if diff := cmp.Diff(tc.subjects, subjects(r.stdout)); diff != "" {
				t.Errorf("subjects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanCLI(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	doc := func(out string) canDoc {
		var d canDoc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return d
	}
	// A group's members hold what it is bound to; --group adds it to a user.
	r := runCLI(t, "", "can", "User:bob", manifests, "--group", "payments-oncall", "-n", "kube-system", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var roles []string
	for _, g := range doc(r.stdout).Grants {
		roles = append(roles, g.Binding.String()+" "+g.Role.String())
	}
	want := []string{
		"ClusterRoleBinding/namespace-viewers ClusterRole/namespace-viewer",
		"RoleBinding/kube-system/oncall-secret-reader ClusterRole/secret-reader",
	}
	if diff := cmp.Diff(want, roles); diff != "" {
		t.Errorf("User bob in payments-oncall (-want +got):\n%s", diff)
	}
	// system:masters needs no grant.
	r = runCLI(t, "", "can", "Group:system:masters", manifests)
	if r.code != 0 || !strings.Contains(r.stdout, "the apiserver allows every request without asking RBAC") {
		t.Errorf("system:masters: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args      []string
		stderrHas string
	}{
		{[]string{"can"}, "can needs a SUBJECT"},
		{[]string{"can", "bob", manifests}, "give the subject as"},
		{[]string{"can", "Group:g", manifests, "--group", "x"}, "--group applies to a User"},
		{[]string{"can", "User:bob"}, "give manifests (PATH) or --cluster"},
		{[]string{"can", "User:bob", "-", "--audit-log", "-"}, "standard input ('-') can be read only once"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.stderrHas) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.stderrHas)
		}
	}
}
