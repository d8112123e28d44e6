package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpAndUsageErrors: usage is printed once, `kubegrant help CMD` is the
// command's usage, and a usage error points at the command's help.
func TestHelpAndUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdoutHas  string
		stderrHas  string
		usageTimes int // times "Usage:" appears on stdout
	}{
		{args: []string{"scan", "--help"}, stdoutHas: "--helm-values", usageTimes: 1},
		{args: []string{"scan", "-h"}, stdoutHas: "--fail-on", usageTimes: 1},
		{args: []string{"rules", "-h"}, stdoutHas: "--format", usageTimes: 1},
		{args: []string{"help", "scan"}, stdoutHas: "Usage: kubegrant scan", usageTimes: 1},
		{args: []string{"help", "rules"}, stdoutHas: "Usage: kubegrant rules", usageTimes: 1},
		{args: []string{"help"}, stdoutHas: "kubegrant help <command>", usageTimes: 1},
		{args: []string{"help", "frob"}, code: 2, stderrHas: "unknown command \"frob\"\nRun 'kubegrant help' for usage."},
		{args: []string{"scan", "--frob"}, code: 2, stderrHas: "unknown flag: --frob\nRun 'kubegrant help scan' for usage."},
		{args: []string{"scan"}, code: 2, stderrHas: "Run 'kubegrant help scan' for usage."},
		{args: []string{"rules", "--format", "xml"}, code: 2, stderrHas: "Run 'kubegrant help rules' for usage."},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdoutHas) || !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stdout lacks %q or stderr lacks %q:\n%s\n%s", tc.stdoutHas, tc.stderrHas, r.stdout, r.stderr)
			}
			if n := strings.Count(r.stdout, "Usage:"); n != tc.usageTimes {
				t.Errorf("usage printed %d times", n)
			}
		})
	}
}

// TestOutputPath: an unwritable -o names the user's path, not a temporary
// file, and fails before the scan.
func TestOutputPath(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent")
	for _, tc := range []struct{ out, want string }{
		{missing + "/r.txt", "writing report " + missing + "/r.txt: directory " + missing + ": no such file or directory"},
		{dir, "writing report " + dir + ": is a directory"},
	} {
		r := runCLI(t, "", "scan", manifests, "-o", tc.out)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("-o %s: exit %d, stderr lacks %q:\n%s", tc.out, r.code, tc.want, r.stderr)
		}
		if strings.Contains(r.stderr, ".kubegrant-") || strings.Contains(r.stderr, "resolved in") {
			t.Errorf("-o %s: names a temporary file or scanned first:\n%s", tc.out, r.stderr)
		}
	}
	// A directory that vanishes during the scan still names the user's path.
	out := filepath.Join(dir, "sub", "r.txt")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := &scanConfig{output: out, format: "text"}
	if err := os.Remove(filepath.Dir(out)); err != nil {
		t.Fatal(err)
	}
	err := writeReport(cfg, stdio{}, nil)
	if err == nil || !strings.Contains(err.Error(), "writing report "+out+": ") || strings.Contains(err.Error(), ".kubegrant-") {
		t.Errorf("writeReport: %v", err)
	}
}

// TestClusterConfigMissing: --cluster without any kubeconfig says what was
// tried and how to fix it.
func TestClusterConfigMissing(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "empty"))
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if err := os.WriteFile(os.Getenv("KUBECONFIG"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "scan", "--cluster")
	for _, want := range []string{"no cluster configuration found", "$KUBECONFIG=" + os.Getenv("KUBECONFIG"), "in-cluster config", "Pass --kubeconfig FILE"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code != 1 || strings.Contains(r.stderr, "KUBERNETES_MASTER") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}

// TestDiagnosticsAndCounts: a diagnostic shows its location once, on stderr
// and in the text report, and counts are singular for one.
func TestDiagnosticsAndCounts(t *testing.T) {
	in := "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n" +
		"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: a}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects:\n- {kind: User, name: u}\n" +
		"---\nkind: Role\nmetadata: {name: [\n"
	r := runCLI(t, in, "scan", "-", "--fail-on", "none")
	if !strings.Contains(r.stderr, "kubegrant: 1 role, 1 binding, 1 grant resolved in ") {
		t.Errorf("counts:\n%s", r.stderr)
	}
	for _, out := range []string{r.stderr, r.stdout} {
		var line string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "parsing YAML") {
				line = l
			}
		}
		if n := strings.Count(line, "<stdin>"); n != 1 || !regexp.MustCompile(`<stdin>:\d+`).MatchString(line) {
			t.Errorf("diagnostic line shows its location %d times: %q", n, line)
		}
	}
}

// TestREADMEConfig: the README's .kubegrant.yaml example is valid and
// suppresses what it says on the case it describes (cert-manager minting its
// own token), and an exception that matches nothing warns.
func TestREADMEConfig(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# \\.kubegrant\\.yaml[^\n]*\n.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no .kubegrant.yaml example")
	}
	config := filepath.Join(t.TempDir(), ".kubegrant.yaml")
	if err := os.WriteFile(config, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	manifests := "testdata/readme/cert-manager.yaml"
	r := scanReport(t, "", manifests, "--config", config)
	var kg011 int
	for _, f := range r.Findings {
		if f.RuleID != "KG011" {
			continue
		}
		kg011++
		if f.Suppression == nil || f.Suppression.Kind != "config" || f.Suppression.Justification != "cert-manager mints its own token" {
			t.Errorf("KG011 not suppressed by the README's exception: %+v", f.Suppression)
		}
	}
	if kg011 == 0 {
		t.Fatal("no KG011 finding on cert-manager's token grant")
	}
	for _, d := range r.Diagnostics {
		t.Errorf("diagnostic: %s %s: %s", d.Severity, d.Location, d.Message)
	}

	// The same exception with a ClusterRoleBinding selector suppresses
	// nothing, and says so.
	wrong := strings.Replace(string(m[1]), `"RoleBinding:cert-manager/cert-manager-tokenrequest"`, `"ClusterRoleBinding:cert-manager-*"`, 1)
	if err := os.WriteFile(config, []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "scan", manifests, "--config", config, "--fail-on", "none")
	if !strings.Contains(res.stderr, "exception for KG011 matches no finding: it suppresses nothing") {
		t.Errorf("no warning for an exception that matches nothing:\n%s", res.stderr)
	}
}
