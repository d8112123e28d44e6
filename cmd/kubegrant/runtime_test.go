package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestRuntimeEventsCLI: --runtime-events joins Falco and Tetragon events
// with the audit log (detect/testdata/runtime), and needs --audit-log.
func TestRuntimeEventsCLI(t *testing.T) {
	dir := filepath.Join("..", "..", "detect", "testdata", "runtime")
	r := runCLI(t, "", "scan", "--audit-log", filepath.Join(dir, "audit.jsonl"),
		"--runtime-events", filepath.Join(dir, "falco.jsonl"), "--runtime-events", filepath.Join(dir, "tetragon.jsonl"),
		"--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID string `json:"ruleId"`
		} `json:"findings"`
		Diagnostics []struct {
			Message string `json:"message"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range rep.Findings {
		count[f.RuleID]++
	}
	if count["KGD31"] != 2 || count["KGD32"] != 1 {
		t.Errorf("KGD31 %d (want 2), KGD32 %d (want 1)", count["KGD31"], count["KGD32"])
	}
	bad := false
	for _, d := range rep.Diagnostics {
		bad = bad || strings.Contains(d.Message, "falco.jsonl:6: runtime event")
	}
	if !bad {
		t.Errorf("the truncated Falco line is not a diagnostic: %+v", rep.Diagnostics)
	}
	if !strings.Contains(r.stderr, "5 runtime events read") {
		t.Errorf("stderr: %s", r.stderr)
	}

	r = runCLI(t, "", "scan", filepath.Join(demo, "manifests"), "--runtime-events", filepath.Join(dir, "falco.jsonl"))
	if r.code != 2 || !strings.Contains(r.stderr, "--runtime-events needs --audit-log") {
		t.Errorf("without --audit-log: exit %d, %s", r.code, r.stderr)
	}
}
