package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// asCLI makes the test binary run kubegrant's main instead of the tests, so
// that scripts under test run the kubegrant of this tree without a build.
const asCLI = "KUBEGRANT_TEST_AS_CLI"

// kubegrantShim writes an executable that runs the test binary as kubegrant.
func kubegrantShim(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(t.TempDir(), "kubegrant")
	script := "#!/bin/sh\n" + asCLI + "=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(shim, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return shim
}

// TestActionEntrypoint runs the GitHub Action's entry script offline against
// the demo, as action.yml's scan step does.
func TestActionEntrypoint(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	shim := kubegrantShim(t)
	script, err := filepath.Abs("../../action/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Abs(filepath.Join(demo, "manifests"))

	type run struct {
		code    int
		outputs map[string]string
		stdout  string
		dir     string
	}
	runAction := func(t *testing.T, dir string, env ...string) run {
		t.Helper()
		outFile := filepath.Join(dir, "github-output")
		cmd := exec.Command(bash, script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"KUBEGRANT=" + shim, "GITHUB_OUTPUT=" + outFile}, env...)...)
		out, err := cmd.CombinedOutput()
		r := run{stdout: string(out), dir: dir, outputs: map[string]string{}}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(outFile)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				r.outputs[k] = v
			}
		}
		return r
	}

	// The demo has critical findings: the scan step succeeds, records exit
	// code 3 for the gate step, and leaves a SARIF report.
	dir := t.TempDir()
	r := runAction(t, dir, "INPUT_PATH="+manifests)
	if r.code != 0 || r.outputs["exit-code"] != "3" || r.outputs["report"] != "kubegrant.sarif" {
		t.Fatalf("exit %d, outputs %v:\n%s", r.code, r.outputs, r.stdout)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kubegrant.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) == 0 {
		t.Fatalf("not a SARIF report with results (%v): %.200s", err, data)
	}

	// The report as a baseline: nothing new, so the gate passes.
	r = runAction(t, dir, "INPUT_PATH="+manifests, "INPUT_BASELINE=kubegrant.sarif", "INPUT_OUTPUT=second.sarif")
	if r.code != 0 || r.outputs["exit-code"] != "0" || r.outputs["report"] != "second.sarif" {
		t.Errorf("with baseline: exit %d, outputs %v:\n%s", r.code, r.outputs, r.stdout)
	}

	// fail-on none, json, two paths on separate lines, extra args.
	r = runAction(t, dir, "INPUT_PATH="+manifests+"\n"+manifests+"/payments.yaml", "INPUT_FORMAT=json", "INPUT_FAIL_ON=none", "INPUT_ARGS=--helm-release demo")
	if r.code != 0 || r.outputs["exit-code"] != "0" || r.outputs["report"] != "kubegrant.json" {
		t.Errorf("fail-on none: exit %d, outputs %v:\n%s", r.code, r.outputs, r.stdout)
	}

	// A markdown report also lands on the job's summary page.
	summary := filepath.Join(dir, "step-summary.md")
	r = runAction(t, dir, "INPUT_PATH="+manifests, "INPUT_FORMAT=markdown", "GITHUB_STEP_SUMMARY="+summary)
	if data, err := os.ReadFile(summary); r.code != 0 || r.outputs["report"] != "kubegrant.md" || err != nil || !strings.Contains(string(data), "## kubegrant: ") {
		t.Errorf("markdown: exit %d, outputs %v, summary %v %.100s:\n%s", r.code, r.outputs, err, data, r.stdout)
	}

	// An HTML report: the gate still applies (exit code 3 recorded, the step passes).
	r = runAction(t, dir, "INPUT_PATH="+manifests, "INPUT_FORMAT=html")
	if data, err := os.ReadFile(filepath.Join(dir, "kubegrant.html")); r.code != 0 || r.outputs["exit-code"] != "3" || r.outputs["report"] != "kubegrant.html" ||
		err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") || !strings.Contains(string(data), `data-gate="failed"`) {
		t.Errorf("html: exit %d, outputs %v, report %v %.100s:\n%s", r.code, r.outputs, err, data, r.stdout)
	}

	// A usage error fails the scan step itself.
	r = runAction(t, dir, "INPUT_PATH="+manifests, "INPUT_FAIL_ON=severe")
	if r.code != 2 || !strings.Contains(r.stdout, "--fail-on") {
		t.Errorf("bad fail-on: exit %d:\n%s", r.code, r.stdout)
	}
	r = runAction(t, dir, "INPUT_PATH="+filepath.Join(dir, "missing"))
	if r.code != 1 {
		t.Errorf("missing path: exit %d:\n%s", r.code, r.stdout)
	}
}

// TestActionInputs: every input of action.yml reaches the entry script, and
// the script reads no input the action does not declare.
func TestActionInputs(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID  string            `yaml:"id"`
				Env map[string]string `yaml:"env"`
				Run string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using %q", action.Runs.Using)
	}
	script, err := os.ReadFile("../../action/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, m := range regexp.MustCompile(`INPUT_[A-Z_]+`).FindAllString(string(script), -1) {
		if !slices.Contains(used, m) {
			used = append(used, m)
		}
	}
	var scanEnv map[string]string
	for _, s := range action.Runs.Steps {
		if s.ID == "scan" {
			scanEnv = s.Env
		}
	}
	for _, v := range used {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "INPUT_")), "_", "-")
		if _, ok := action.Inputs[name]; !ok {
			t.Errorf("run.sh reads %s, but action.yml has no input %q", v, name)
		}
		if want := "${{ inputs." + name + " }}"; scanEnv[v] != want {
			t.Errorf("scan step env %s = %q, want %q", v, scanEnv[v], want)
		}
	}
	for name := range action.Inputs {
		if name == "upload-sarif" || name == "version" {
			continue // used by the action's own steps
		}
		if v := "INPUT_" + strings.ReplaceAll(strings.ToUpper(name), "-", "_"); !slices.Contains(used, v) {
			t.Errorf("input %q never reaches run.sh (%s)", name, v)
		}
	}
}
