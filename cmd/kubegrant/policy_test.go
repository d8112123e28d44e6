package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyPolicy copies testdata/policies/deployments-write into a temporary
// policy directory and applies edits (old → new) to its rule.rego.
func copyPolicy(t *testing.T, edits ...string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "policies", "deployments-write")
	dir := t.TempDir()
	dst := filepath.Join(dir, "deployments-write")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"rule.rego", "rule_test.rego"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if f == "rule.rego" {
			for i := 0; i+1 < len(edits); i += 2 {
				if !strings.Contains(s, edits[i]) {
					t.Fatalf("edit %q: not in rule.rego", edits[i])
				}
				s = strings.Replace(s, edits[i], edits[i+1], 1)
			}
		}
		if err := os.WriteFile(filepath.Join(dst, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUserPolicies: a user rule in a temporary directory is loaded with the
// catalogue, fires on the demo, and is in the report and in SARIF with its
// metadata; a broken one is a usage error (exit 2) naming its file and line.
func TestUserPolicies(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	dir := copyPolicy(t)

	r := runCLI(t, "", "scan", manifests, "--policy", dir, "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Rules []struct {
			ID, Source, Title string
		} `json:"rules"`
		Findings []struct {
			RuleID  string `json:"ruleId"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	fired := false
	for _, f := range rep.Findings {
		fired = fired || f.RuleID == "KGU001" && strings.Contains(f.Message, `can create, update, patch Deployments in namespace "payments"`)
	}
	if !fired {
		t.Error("KGU001 did not fire on ci/deployer's Deployments")
	}
	found := false
	for _, rl := range rep.Rules {
		if rl.ID == "KGU001" {
			found = rl.Source == filepath.ToSlash(filepath.Join(dir, "deployments-write", "rule.rego")) && rl.Title != ""
		}
	}
	if !found {
		t.Errorf("KGU001 not among the rules with its source: %+v", rep.Rules)
	}

	r = runCLI(t, "", "scan", manifests, "--policy", dir, "--format", "sarif", "--fail-on", "none")
	for _, want := range []string{`"id": "KGU001"`, `"ruleId": "KGU001"`, "Subject can create or change Deployments outside GitOps", "https://wiki.example.com/platform/gitops"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}

	r = runCLI(t, "", "rules", "--policy", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "KGU001") || !strings.Contains(r.stdout, "deployments-write/rule.rego") {
		t.Errorf("rules --policy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A .kubegrant.yaml policies: list, relative to the config file.
	cfgDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfgDir, "kubegrant.yaml"), []byte("policies:\n  - "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "scan", manifests, "--config", filepath.Join(cfgDir, "kubegrant.yaml"), "--format", "json", "--fail-on", "none")
	if r.code != 0 || !strings.Contains(r.stdout, `"ruleId": "KGU001"`) {
		t.Errorf("policies: in the config: exit %d %s", r.code, r.stderr)
	}

	for _, tc := range []struct {
		name  string
		edits []string
		want  string // in stderr, with the file
	}{
		{"remediation without a period", []string{"deploy through Argo CD.", "deploy through Argo CD"}, `deployments-write/rule.rego:1: custom.remediation must be present and end in "."`},
		{"an id of kubegrant's", []string{"id: KGU001", "id: KG018"}, `deployments-write/rule.rego:1: custom.id "KG018": the id of a user policy starts with KGU`},
		{"compile error", []string{"rbac.where(g)", "rbac.wher(g)"}, "deployments-write/rule.rego:33: rego_type_error: undefined function data.kubegrant.lib.rbac.wher"},
		{"parse error", []string{"deny contains f if {", "deny contains f if {{"}, "deployments-write/rule.rego:"},
		{"kubegrant's packages", []string{"package kubegrant.rules.deployments_write", "package kubegrant.lib.mine"}, "deployments-write/rule.rego:18: package kubegrant.lib.mine: user policies live in kubegrant.rules.<slug>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := copyPolicy(t, tc.edits...)
			r := runCLI(t, "", "scan", manifests, "--policy", bad, "--fail-on", "none")
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want 2; stderr %q lacks %q", r.code, r.stderr, tc.want)
			}
		})
	}
	// Two policies with one id.
	twice := copyPolicy(t)
	other := copyPolicy(t, "slug: deployments-write", "slug: deployments-write-2", "package kubegrant.rules.deployments_write", "package kubegrant.rules.deployments_write_2")
	r = runCLI(t, "", "scan", manifests, "--policy", twice, "--policy", other, "--fail-on", "none")
	if r.code != 2 || !strings.Contains(r.stderr, "rule id KGU001 is also the id of") {
		t.Errorf("duplicate id: exit %d: %s", r.code, r.stderr)
	}
}

func TestTestCommand(t *testing.T) {
	r := runCLI(t, "", "test", copyPolicy(t), "-v")
	if r.code != 0 || !strings.Contains(r.stdout, "2 tests, 2 passed, 0 failed") || !strings.Contains(r.stdout, "PASS kubegrant.rules.deployments_write.test_fires_on_patch") {
		t.Errorf("passing tests: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The rule's message changed, the test did not: it fails, exit 1.
	r = runCLI(t, "", "test", copyPolicy(t, "outside GitOps\"", "outside of GitOps\""))
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL kubegrant.rules.deployments_write.test_fires_on_patch (") || !strings.Contains(r.stdout, "1 failed") {
		t.Errorf("failing test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Broken metadata is caught by test too.
	r = runCLI(t, "", "test", copyPolicy(t, "severity: medium", "severity: urgent"))
	if r.code != 2 || !strings.Contains(r.stderr, "rule.rego:1: custom.severity") {
		t.Errorf("broken metadata: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "test"); r.code != 2 {
		t.Errorf("no DIR: exit %d", r.code)
	}
}
