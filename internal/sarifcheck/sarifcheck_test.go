package sarifcheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/internal/sarifspec"
)

// fullSARIF is a valid kubegrant SARIF log: the reports package's golden.
func fullSARIF(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "full.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCheckGitHub breaks a valid kubegrant SARIF log in each way GitHub
// rejects, and expects each to be caught.
func TestCheckGitHub(t *testing.T) {
	valid := fullSARIF(t)
	if err := CheckGitHub(valid); err != nil {
		t.Fatalf("valid log rejected: %v", err)
	}
	for _, tc := range []struct {
		name   string
		breakf func(doc map[string]any)
		want   string
	}{
		{"no runs", func(d map[string]any) { delete(d, "runs") }, "missing 'runs'"},
		{"no results", func(d map[string]any) { delete(run0(d), "results") }, "missing 'results'"},
		{"21 runs", func(d map[string]any) {
			runs := d["runs"].([]any)
			for range 20 {
				runs = append(runs, runs[0])
			}
			d["runs"] = runs
		}, "21 runs"},
		{"text security-severity", func(d map[string]any) { rule0(d)["properties"].(map[string]any)["security-severity"] = "high" }, "not a numeric string"},
		{"numeric security-severity", func(d map[string]any) { rule0(d)["properties"].(map[string]any)["security-severity"] = 9.5 }, "not a numeric string"},
		{"security-severity above 10", func(d map[string]any) { rule0(d)["properties"].(map[string]any)["security-severity"] = "11" }, "outside"},
		{"21 tags", func(d map[string]any) {
			tags := make([]any, 21)
			for i := range tags {
				tags[i] = fmt.Sprint(i)
			}
			rule0(d)["properties"].(map[string]any)["tags"] = tags
		}, "21 tags"},
		{"startLine 0", func(d map[string]any) { physical0(d)["region"] = map[string]any{"startLine": 0} }, "below 1"},
		{"https URI", func(d map[string]any) {
			physical0(d)["artifactLocation"] = map[string]any{"uri": "https://example.com/a.yaml"}
		}, `scheme "https"`},
		{"no physical location", func(d map[string]any) {
			delete(result0(d)["locations"].([]any)[0].(map[string]any), "physicalLocation")
		}, "no physicalLocation"},
		{"no locations", func(d map[string]any) { delete(result0(d), "locations") }, "no location"},
		{"ruleIndex mismatch", func(d map[string]any) { result0(d)["ruleIndex"] = 1 }, "is rule"},
		{"ruleIndex out of range", func(d map[string]any) { result0(d)["ruleIndex"] = 99 }, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(valid, &doc); err != nil {
				t.Fatal(err)
			}
			tc.breakf(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckGitHub(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckGitHub = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := CheckGitHub([]byte("{")); err == nil {
		t.Error("broken JSON accepted")
	}
}

func run0(d map[string]any) map[string]any { return d["runs"].([]any)[0].(map[string]any) }
func rule0(d map[string]any) map[string]any {
	return run0(d)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
}
func result0(d map[string]any) map[string]any { return run0(d)["results"].([]any)[0].(map[string]any) }
func physical0(d map[string]any) map[string]any {
	return result0(d)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
}

// TestValidateSchemaErrors: the schema step must reject what either
// schema rejects, including the region rule only OASIS enforces.
func TestValidateSchemaErrors(t *testing.T) {
	valid := fullSARIF(t)
	for _, tc := range []struct {
		name   string
		breakf func(doc map[string]any)
		want   string
	}{
		{"bad version", func(d map[string]any) { d["version"] = "2.0.0" }, "github schema"},
		{"bad level", func(d map[string]any) { result0(d)["level"] = "critical" }, "github schema"},
		{"region without startLine", func(d map[string]any) { physical0(d)["region"] = map[string]any{"endLine": 3} }, "oasis schema"},
		{"no message", func(d map[string]any) { delete(result0(d), "message") }, "schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(valid, &doc); err != nil {
				t.Fatal(err)
			}
			tc.breakf(doc)
			data, _ := json.Marshal(doc)
			err := Validate(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// kubegrant's own conventions.
	var doc map[string]any
	_ = json.Unmarshal(valid, &doc)
	result0(doc)["partialFingerprints"] = map[string]any{"primaryLocationLineHash": "abc:1"}
	data, _ := json.Marshal(doc)
	err := Validate(data)
	if err == nil || !strings.Contains(err.Error(), "primaryLocationLineHash") || !strings.Contains(err.Error(), sarifspec.FingerprintKey) {
		t.Errorf("Validate = %v, want errors on the missing fingerprint and on primaryLocationLineHash", err)
	}
}

// TestValidateCorpus runs the schema step over codeql-action's own
// fixtures: valid ones pass both schemas, invalid-sarif.sarif fails.
func TestValidateCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpora", "sarif", "codeql-action", "src", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	for _, tc := range []struct {
		file  string
		valid bool
	}{
		{"valid-sarif.sarif", true},
		{"empty-sarif.sarif", true},
		{"valid-sarif-diff-filtered.sarif", true},
		// Its fifth run has "name": null: a tool-name extraction fixture,
		// not a valid log.
		{"tool-names.sarif", false},
		// GitHub downgrades uri format errors to warnings; kubegrant
		// asserts formats, so this one fails here on purpose.
		{"with-invalid-uri.sarif", false},
		{"fingerprinting.expected.sarif", true},
		{"invalid-sarif.sarif", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateSchemas(data)
			if tc.valid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tc.valid && err == nil {
				t.Error("accepted")
			}
		})
	}
}
