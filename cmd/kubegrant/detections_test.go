package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetectionsConfig: the detections: section of the config file tunes
// the audit detections; a mistake in it is a usage error with its line.
func TestDetectionsConfig(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scan := func(config string) result {
		return runCLI(t, "", "scan", "testdata/demo/manifests", "--audit-log", "testdata/demo/audit/audit.log",
			"--format", "json", "--fail-on", "none", "--config", config)
	}
	base := scan(write("none.yaml", "exceptions: []\n"))
	if base.code != 0 || !strings.Contains(base.stdout, `"ruleId": "KGD02"`) {
		t.Fatalf("the demo has no KGD02 burst to tune away (exit %d): %s", base.code, base.stderr)
	}
	tuned := scan(write("tuned.yaml", "detections:\n  secretBurstThreshold: 50\n"))
	if tuned.code != 0 || strings.Contains(tuned.stdout, `"ruleId": "KGD02"`) {
		t.Errorf("secretBurstThreshold: 50 still reports KGD02 (exit %d): %s", tuned.code, tuned.stderr)
	}
	bad := scan(write("bad.yaml", "exceptions: []\ndetections:\n  secretBurstTreshold: 50\n"))
	if bad.code != 2 || !strings.Contains(bad.stderr, "bad.yaml:3: detections: unknown key \"secretBurstTreshold\"") {
		t.Errorf("exit %d, stderr %s", bad.code, bad.stderr)
	}
}
