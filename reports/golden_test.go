package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/internal/sarifcheck"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading golden (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

func render(t *testing.T, format string, opts Options, r *Report) []byte {
	t.Helper()
	w, err := NewWriter(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		report func() *Report
	}{
		{"full", fixtureReport},
		{"empty", func() *Report { return &Report{Tool: Tool{Name: "kubegrant", Version: "v1.2.3"}} }},
	}
	for _, tc := range cases {
		for _, format := range []struct{ format, ext string }{{"text", "txt"}, {"json", "json"}, {"sarif", "sarif"}, {"html", "html"}} {
			t.Run(tc.name+"."+format.ext, func(t *testing.T) {
				got := render(t, format.format, Options{}, tc.report())
				checkGolden(t, tc.name+"."+format.ext, got)
				if format.format == "sarif" {
					if err := sarifcheck.Validate(got); err != nil {
						t.Errorf("sarifcheck.Validate: %v", err)
					}
				}
				if !bytes.HasSuffix(got, []byte("\n")) {
					t.Error("output does not end with a newline")
				}
			})
		}
	}
	t.Run("full-suppressed.txt", func(t *testing.T) {
		checkGolden(t, "full-suppressed.txt", render(t, "text", Options{ShowSuppressed: true}, fixtureReport()))
	})
}

// TestGoldenDeterministic renders the fixture with its findings, rules and
// diagnostics in reverse order: the output must not change.
func TestGoldenDeterministic(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			r := fixtureReport()
			reverse(r.Findings)
			reverse(r.Rules)
			reverse(r.Diagnostics)
			a := render(t, format, Options{}, fixtureReport())
			b := render(t, format, Options{}, r)
			if diff := cmp.Diff(string(a), string(b)); diff != "" {
				t.Errorf("output depends on input order (-want +got):\n%s", diff)
			}
		})
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func TestWriteRulesGolden(t *testing.T) {
	for _, tc := range []struct{ format, file string }{
		{"text", "rules.txt"},
		{"json", "rules.json"},
		{"markdown", "rules.md"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteRules(&buf, fixtureReport().Rules, tc.format); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.file, buf.Bytes())
		})
	}
	var buf bytes.Buffer
	if err := WriteRules(&buf, nil, "json"); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); got != "[]" {
		t.Errorf("WriteRules(nil, json) = %q, want []", got)
	}
	err := WriteRules(&buf, nil, "yaml")
	if err == nil || !strings.Contains(err.Error(), "text, json, markdown") {
		t.Errorf("WriteRules(yaml) error = %v, want one listing the supported formats", err)
	}
}
