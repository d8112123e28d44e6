package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/internal/sarifcheck"
	"github.com/kubegrant/kubegrant/reports"
)

const renderData = "../../scanner/testdata/render"

// scanReport runs `kubegrant scan ... --format json --fail-on none` and
// decodes the report.
func scanReport(t *testing.T, stdin string, args ...string) reports.Report {
	t.Helper()
	res := runCLI(t, stdin, append([]string{"scan", "--format", "json", "--fail-on", "none"}, args...)...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var r reports.Report
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// findingKeys is what must not depend on how the manifests were rendered.
func findingKeys(r reports.Report) []string {
	var out []string
	for _, f := range r.Findings {
		s := f.RuleID + " " + string(f.Severity) + " " + f.Message
		if f.Subject != nil {
			s += " subject=" + f.Subject.String()
		}
		if f.Binding != nil {
			s += " binding=" + f.Binding.String()
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestScanRenderedDirectories: scanning a chart or a kustomization gives
// the findings of scanning it rendered by hand and piped in, located in
// the chart's templates or the kustomization's base files.
func TestScanRenderedDirectories(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		byHand   string
		location string // every finding's location starts with it
	}{
		{"helm chart", []string{renderData + "/webapp"}, "webapp.default.expected.yaml", renderData + "/webapp/"},
		{"helm chart with values", []string{renderData + "/webapp", "--helm-values", renderData + "/values-prod.yaml",
			"--helm-set", "metrics.enabled=false", "--helm-release", "shop", "--helm-namespace", "apps"},
			"webapp.prod.expected.yaml", renderData + "/webapp/templates/"},
		{"kustomize overlay", []string{renderData + "/shop/overlays/prod"}, "shop.prod.expected.yaml", renderData + "/shop/base/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanReport(t, "", tc.args...)
			byHand, err := os.ReadFile(filepath.Join(renderData, tc.byHand))
			if err != nil {
				t.Fatal(err)
			}
			want := scanReport(t, string(byHand), "-")
			if len(got.Findings) == 0 {
				t.Fatal("no findings: the test data should have some")
			}
			if diff := cmp.Diff(findingKeys(want), findingKeys(got)); diff != "" {
				t.Errorf("findings differ from the hand rendering piped in (-by hand +kubegrant):\n%s", diff)
			}
			for _, f := range got.Findings {
				if !strings.HasPrefix(f.Location.File, tc.location) || f.Location.Line == 0 {
					t.Errorf("%s located at %s, not in %s", f.RuleID, f.Location, tc.location)
				}
			}
		})
	}
}

// TestApproximateLinesInSARIF: a finding whose line the renderer could
// only trace approximately carries location.approximate in JSON and, in
// SARIF, properties.approximate on that location and a note at the end of
// the message (what GitHub shows); the SARIF stays valid.
func TestApproximateLinesInSARIF(t *testing.T) {
	for _, dir := range []string{renderData + "/shop/overlays/prod", renderData + "/webapp"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			js := scanReport(t, "", dir)
			approx := map[string]bool{} // by fingerprint
			for _, f := range js.Findings {
				approx[f.Fingerprint] = f.Location.Approximate
			}
			res := runCLI(t, "", "scan", "--format", "sarif", "--fail-on", "none", dir)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if err := sarifcheck.Validate([]byte(res.stdout)); err != nil {
				t.Fatalf("SARIF is not valid: %v", err)
			}
			var doc struct {
				Runs []struct {
					Results []struct {
						Message             struct{ Text string }
						PartialFingerprints map[string]string
						Locations           []struct {
							Properties map[string]any
						}
					}
				}
			}
			if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range doc.Runs[0].Results {
				fp := r.PartialFingerprints[reports.FingerprintKey]
				want, ok := approx[fp]
				if !ok {
					t.Fatalf("result %s is not in the JSON report", fp)
				}
				got := r.Locations[0].Properties["approximate"] == true
				noted := strings.HasSuffix(r.Message.Text, "(approximate line: the nearest line of the template or base file that rendered the object)")
				if got != want || noted != want {
					t.Errorf("%q: properties.approximate %v, noted %v; JSON location.approximate %v", r.Message.Text, got, noted, want)
				}
				if want {
					n++
				}
			}
			if dir == renderData+"/shop/overlays/prod" && n == 0 {
				t.Error("no approximate line: the overlay's patched rule should have one")
			}
		})
	}
}

// TestInputsCheckedFirst: a missing input fails before the static scan runs
// (which prints its "roles, bindings" line), naming the user's path.
func TestInputsCheckedFirst(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"baseline", []string{"--baseline", "no/such/baseline.json"}, "reading baseline: open no/such/baseline.json"},
		{"audit log", []string{"--audit-log", "no/such/audit.log"}, "audit log no/such/audit.log: no such file or directory"},
		{"audit log glob", []string{"--audit-log", "no/such/*.log"}, "audit log no/such/*.log: no file matches"},
		{"config", []string{"--config", "no/such/config.yaml"}, "no/such/config.yaml"},
		{"helm values", []string{"--helm-values", "no/such/values.yaml"}, "--helm-values no/such/values.yaml: no such file or directory"},
		{"helm set", []string{"--helm-set", "novalue"}, `--helm-set novalue: key "novalue" has no value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, "", append([]string{"scan", manifests}, tc.args...)...)
			if res.code != 1 && res.code != 2 {
				t.Errorf("exit %d, want 1 or 2", res.code)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.stderr)
			}
			if strings.Contains(res.stderr, "resolved in") || res.stdout != "" {
				t.Errorf("the scan ran before the input was checked:\n%s", res.stderr)
			}
		})
	}
}
