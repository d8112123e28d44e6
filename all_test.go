// Repository hygiene checks, run by `go test ./...` (as golang/vuln's
// all_test.go does): formatting, a tidy go.mod, generated docs up to date,
// test-only packages kept out of the binary.
package kubegrant_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func goTool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestGofmt(t *testing.T) {
	out, err := exec.Command("gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("gofmt: %v\n%s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("files need gofmt:\n%s", out)
	}
}

func TestGoModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	goTool(t, "mod", "tidy", "-diff")
}

// TestRulesDocUpToDate: docs/rules.md is generated from the policies'
// metadata (make generate); SARIF help links point into it.
func TestRulesDocUpToDate(t *testing.T) {
	want, err := os.ReadFile("docs/rules.md")
	if err != nil {
		t.Fatalf("%v (run make generate)", err)
	}
	got := goTool(t, "run", "./cmd/kubegrant", "rules", "--format", "markdown")
	if got != string(want) {
		t.Error("docs/rules.md is out of date: run make generate")
	}
}

// TestTestOnlyPackagesNotLinked: the SARIF checker (and the schema
// compiler setup it carries) is for tests only; the shipped binary must
// not link it.
func TestTestOnlyPackagesNotLinked(t *testing.T) {
	deps := strings.Fields(goTool(t, "list", "-deps", "./cmd/kubegrant"))
	for _, pkg := range []string{"github.com/kubegrant/kubegrant/internal/sarifcheck"} {
		for _, d := range deps {
			if d == pkg {
				t.Errorf("the kubegrant binary links %s, a test-only package", pkg)
			}
		}
	}
}
