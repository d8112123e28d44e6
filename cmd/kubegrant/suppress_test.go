package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/internal/sarifcheck"
	"github.com/kubegrant/kubegrant/reports"
)

const suppressDir = "testdata/suppress"

// jsonSuppressions runs a JSON scan and returns each finding as
// "ruleId kind: justification [expires]", "-" when not suppressed.
func jsonSuppressions(t *testing.T, r result) []string {
	t.Helper()
	var rep struct {
		Findings []struct {
			RuleID      string               `json:"ruleId"`
			Suppression *reports.Suppression `json:"suppression"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var out []string
	for _, f := range rep.Findings {
		s := f.RuleID + " -"
		if f.Suppression != nil {
			s = f.RuleID + " " + f.Suppression.Kind + ": " + f.Suppression.Justification
			if f.Suppression.Expires != "" {
				s += " [" + f.Suppression.Expires + "]"
			}
		}
		out = append(out, s)
	}
	return out
}

// checkSARIFSuppressions validates the SARIF and checks that every result
// carries one suppression whose justification starts with kind.
func checkSARIFSuppressions(t *testing.T, r result, kind string) {
	t.Helper()
	if err := sarifcheck.Validate([]byte(r.stdout)); err != nil {
		t.Fatalf("SARIF is not valid: %v", err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind          string `json:"kind"`
					Justification string `json:"justification"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 || len(doc.Runs[0].Results) == 0 {
		t.Fatalf("no results in the SARIF:\n%s", r.stdout)
	}
	for _, res := range doc.Runs[0].Results {
		if len(res.Suppressions) != 1 || !strings.HasPrefix(res.Suppressions[0].Justification, kind+": ") {
			t.Errorf("%s: suppressions %+v, want one %q", res.RuleID, res.Suppressions, kind)
		}
	}
}

var wantSuppressedAll = map[string][]string{
	"inline": {
		"KG011 inline: ci mints short-lived tokens for the deploy ServiceAccounts [2099-12-31]",
		"KG008 inline: the payments app is its namespace's secret store",
		"KG009 inline: the payments app is its namespace's secret store",
	},
	"config": {
		"KG011 config: ci mints short-lived tokens for the deploy ServiceAccounts [2099-12-31]",
		"KG008 config: the payments app is its namespace's secret store",
		"KG009 config: the payments app is its namespace's secret store",
	},
}

// TestSuppressInlineAndConfig: the scan of testdata/suppress/manifests exits
// 3; the same grants suppressed inline (annotations) or by the config file
// exit 0, and JSON and SARIF still list them, marked.
func TestSuppressInlineAndConfig(t *testing.T) {
	manifests := filepath.Join(suppressDir, "manifests")
	if r := runCLI(t, "", "scan", manifests); r.code != 3 {
		t.Fatalf("unsuppressed scan: exit %d, want 3\n%s", r.code, r.stderr)
	}
	for _, tc := range []struct {
		kind string
		args []string
	}{
		{"inline", []string{filepath.Join(suppressDir, "inline")}},
		{"config", []string{manifests, "--config", filepath.Join(suppressDir, "config.yaml")}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"scan"}, tc.args...)...)
			if r.code != 0 || !strings.Contains(r.stdout, "no findings; 3 suppressed (not shown)") {
				t.Errorf("text: exit %d, want 0 and 3 suppressed\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			r = runCLI(t, "", append([]string{"scan", "--show-suppressed"}, tc.args...)...)
			if r.code != 0 || !strings.Contains(r.stdout, "suppressed: "+tc.kind+": ") {
				t.Errorf("--show-suppressed: exit %d, want 0 and the suppressions\n%s", r.code, r.stdout)
			}
			r = runCLI(t, "", append([]string{"scan", "--format", "json"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("json: exit %d, want 0\n%s", r.code, r.stderr)
			}
			if diff := cmp.Diff(wantSuppressedAll[tc.kind], jsonSuppressions(t, r)); diff != "" {
				t.Errorf("JSON suppressions (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.stdout, `"suppressed": 3`) {
				t.Error("the JSON summary does not count 3 suppressed")
			}
			r = runCLI(t, "", append([]string{"scan", "--format", "sarif"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("sarif: exit %d, want 0\n%s", r.code, r.stderr)
			}
			checkSARIFSuppressions(t, r, tc.kind)
		})
	}
}

// TestSuppressPrecedence: inline beats config.
func TestSuppressPrecedence(t *testing.T) {
	r := runCLI(t, "", "scan", filepath.Join(suppressDir, "inline"), "--format", "json",
		"--config", filepath.Join(suppressDir, "config.yaml"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(wantSuppressedAll["inline"], jsonSuppressions(t, r)); diff != "" {
		t.Errorf("JSON suppressions (-want +got):\n%s", diff)
	}
}

// TestDefaultConfig: .kubegrant.yaml in the working directory is read
// unless --config says otherwise; an empty --config reads none.
func TestDefaultConfig(t *testing.T) {
	manifests, err := filepath.Abs(filepath.Join(suppressDir, "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(suppressDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile(defaultConfig, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "scan", manifests); r.code != 0 {
		t.Errorf("with ./.kubegrant.yaml: exit %d, want 0\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "scan", manifests, "--config", ""); r.code != 3 {
		t.Errorf("--config '': exit %d, want 3 (no exceptions)\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "scan", manifests, "--config", "missing.yaml"); r.code != 1 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("--config missing.yaml: exit %d, want 1\n%s", r.code, r.stderr)
	}
}

// TestExpiredSuppressions: an expired exception or annotation, or an
// annotation without a reason, suppresses nothing and warns.
func TestExpiredSuppressions(t *testing.T) {
	r := runCLI(t, "", "scan", filepath.Join(suppressDir, "manifests"), "--format", "json",
		"--config", filepath.Join(suppressDir, "expired.yaml"))
	if r.code != 3 {
		t.Errorf("expired config: exit %d, want 3", r.code)
	}
	if !strings.Contains(r.stderr, "warning: testdata/suppress/expired.yaml:2: exception for * expired on 2020-06-30") {
		t.Errorf("no expiry warning on stderr:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"message": "exception for * expired`) {
		t.Error("the report's diagnostics lack the expiry warning")
	}
	for _, s := range jsonSuppressions(t, r) {
		if !strings.HasSuffix(s, " -") {
			t.Errorf("suppressed by an expired exception: %s", s)
		}
	}

	manifests := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: token-minter
  annotations:
    kubegrant.io/ignore: KG011
    kubegrant.io/ignore-reason: temporary
    kubegrant.io/ignore-until: "2020-01-31"
rules:
- {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-minter
  annotations:
    kubegrant.io/ignore: KG011
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: token-minter}
subjects:
- {kind: ServiceAccount, name: ci, namespace: build}
`
	r = runCLI(t, manifests, "scan", "-")
	if r.code != 3 {
		t.Errorf("expired and unexplained annotations: exit %d, want 3", r.code)
	}
	for _, want := range []string{
		`warning: <stdin>:1: ClusterRole "token-minter": kubegrant.io/ignore expired on 2020-01-31`,
		`warning: <stdin>:12: ClusterRoleBinding "ci-minter": kubegrant.io/ignore without kubegrant.io/ignore-reason suppresses nothing`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestConfigErrors: a mistake in the config file is a usage error (exit 2)
// that names the file and line.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	unknownRule := filepath.Join(dir, "unknown-rule.yaml")
	if err := os.WriteFile(unknownRule, []byte("exceptions:\n  - rules: [KG011]\n    justification: ok\n  - rules: [KG999]\n    justification: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	manifests := filepath.Join(suppressDir, "manifests")
	for _, tc := range []struct {
		config string
		want   []string
	}{
		{filepath.Join(suppressDir, "bad.yaml"), []string{
			`testdata/suppress/bad.yaml:5: exceptions[0]: unknown key "expire"`,
			`testdata/suppress/bad.yaml:6: exceptions[1]: justification is required`,
			`testdata/suppress/bad.yaml:12: exceptions[3].expires: "31/12/2027" is not a date`,
		}},
		{unknownRule, []string{unknownRule + `:4: rules: "KG999" is not a rule of the catalogue`}},
	} {
		t.Run(filepath.Base(tc.config), func(t *testing.T) {
			r := runCLI(t, "", "scan", manifests, "--config", tc.config)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("a usage error wrote a report:\n%s", r.stdout)
			}
		})
	}
}

// TestSuppressDetectionsByActor: detections are excepted by the user who
// performed them, with only an audit log.
func TestSuppressDetectionsByActor(t *testing.T) {
	config := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(config, []byte(`exceptions:
  - rules: ["KGD*"]
    actor: "system:serviceaccount:ci:*"
    justification: the ci pipeline
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "scan", "--audit-log", filepath.Join(demo, "audit", "audit.log"), "--format", "json", "--config", config)
	if r.code != 3 {
		t.Errorf("exit %d, want 3 (other actors)\n%s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID      string               `json:"ruleId"`
			Actor       *reports.Actor       `json:"actor"`
			Suppression *reports.Suppression `json:"suppression"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var suppressed int
	for _, f := range rep.Findings {
		ci := f.Actor != nil && strings.HasPrefix(f.Actor.User, "system:serviceaccount:ci:")
		if ci != (f.Suppression != nil) {
			t.Errorf("%s by %+v: suppression %+v", f.RuleID, f.Actor, f.Suppression)
		}
		if f.Suppression != nil {
			suppressed++
			if f.Suppression.Kind != reports.SuppressConfig || f.Suppression.Justification != "the ci pipeline" {
				t.Errorf("%s: suppression %+v", f.RuleID, f.Suppression)
			}
		}
	}
	if suppressed == 0 {
		t.Error("no detection by the ci ServiceAccount was suppressed")
	}
}

// TestSuppressionSourcesJSONAndSARIF: one run with every source of
// suppression (inline annotations, a config exception, Kubernetes'
// bootstrap binding, a baseline) and findings several of them cover: each
// finding gets the kind that wins, and SARIF says the same as JSON for each
// one (inSource for inline, external for the rest, "<kind>: <justification>
// (expires …)").
func TestSuppressionSourcesJSONAndSARIF(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.yaml")
	writeFile(t, extra, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:kube-controller-manager"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-controller-manager"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-controller-manager"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader-all}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: secret-readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader-all}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: ops}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: auditor}
`)
	inputs := []string{filepath.Join(suppressDir, "inline"), extra}
	scan := func(format string, extraArgs ...string) result {
		t.Helper()
		r := runCLI(t, "", append(append([]string{"scan", "--format", format, "--fail-on", "none"}, extraArgs...), inputs...)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		return r
	}
	type finding struct {
		RuleID      string                `json:"ruleId"`
		Subject     struct{ Name string } `json:"subject"`
		Fingerprint string                `json:"fingerprint"`
		Suppression *reports.Suppression  `json:"suppression"`
	}
	decode := func(r result) []finding {
		var rep struct{ Findings []finding }
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Findings
	}
	// The controller manager's findings are platform defaults; one rule of
	// them is also excepted in the config, which wins.
	var kcmRule string
	for _, f := range decode(scan("json")) {
		if f.Subject.Name == "system:kube-controller-manager" {
			kcmRule = f.RuleID
			break
		}
	}
	if kcmRule == "" {
		t.Fatal("no finding for the controller manager's bootstrap binding")
	}
	config := filepath.Join(dir, "config.yaml")
	writeFile(t, config, `exceptions:
  - rules: ["*"]
    subject: "User:auditor"
    justification: "the auditor reads every Secret"
    expires: 2099-01-01
  - rules: [`+kcmRule+`]
    subject: "User:system:kube-controller-manager"
    justification: "reviewed"
  - rules: ["*"]
    subject: "ServiceAccount:build/ci"
    justification: "inline says it too"
`)
	// Every finding of this run is in the baseline of the next.
	baseline := filepath.Join(dir, "baseline.json")
	writeFile(t, baseline, scan("json", "--config", config).stdout)

	js := decode(scan("json", "--config", config, "--baseline", baseline))
	sr := scan("sarif", "--config", config, "--baseline", baseline)
	if err := sarifcheck.Validate([]byte(sr.stdout)); err != nil {
		t.Fatalf("SARIF is not valid: %v", err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Suppressions        []struct {
					Kind          string `json:"kind"`
					Justification string `json:"justification"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(sr.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	sarifByFP := map[string]string{}
	for _, res := range doc.Runs[0].Results {
		if len(res.Suppressions) != 1 {
			t.Fatalf("result %s: %d suppressions, want 1 (every finding is suppressed)", res.PartialFingerprints[reports.FingerprintKey], len(res.Suppressions))
		}
		sarifByFP[res.PartialFingerprints[reports.FingerprintKey]] = res.Suppressions[0].Kind + " " + res.Suppressions[0].Justification
	}
	kinds := map[string]int{}
	for _, f := range js {
		s := f.Suppression
		if s == nil {
			t.Errorf("%s for %s: not suppressed", f.RuleID, f.Subject.Name)
			continue
		}
		kinds[s.Kind]++
		want := map[string]string{"ci": reports.SuppressInline, "app": reports.SuppressInline, "auditor": reports.SuppressConfig, "ops": reports.SuppressBaseline}[f.Subject.Name]
		if f.Subject.Name == "system:kube-controller-manager" {
			want = reports.SuppressPlatformDefault
			if f.RuleID == kcmRule {
				want = reports.SuppressConfig
			}
		}
		if s.Kind != want {
			t.Errorf("%s for %s: suppressed as %s, want %s", f.RuleID, f.Subject.Name, s.Kind, want)
		}
		sarifKind := "external"
		if s.Kind == reports.SuppressInline {
			sarifKind = "inSource"
		}
		just := s.Kind + ": " + s.Justification
		if s.Expires != "" {
			just += " (expires " + s.Expires + ")"
		}
		if got := sarifByFP[f.Fingerprint]; got != sarifKind+" "+just {
			t.Errorf("%s for %s: SARIF suppression %q, want %q", f.RuleID, f.Subject.Name, got, sarifKind+" "+just)
		}
	}
	for _, k := range []string{reports.SuppressInline, reports.SuppressConfig, reports.SuppressPlatformDefault, reports.SuppressBaseline} {
		if kinds[k] == 0 {
			t.Errorf("no finding suppressed as %s: %v", k, kinds)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
