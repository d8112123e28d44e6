package runtime

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadsToken(t *testing.T) {
	for f, want := range map[string]bool{
		"/var/run/secrets/kubernetes.io/serviceaccount/token":                    true,
		"/run/secrets/kubernetes.io/serviceaccount/token":                        true,
		"/var/run/secrets/kubernetes.io/serviceaccount/ca.crt":                   true,
		"/var/run/secrets/kubernetes.io/serviceaccount/..data/token":             true,
		"/var/run/secrets/kubernetes.io/serviceaccount/..2026_11_20_10_00/token": true,
		"/var/run/secrets/kubernetes.io/serviceaccount/namespace":                false,
		"/var/run/secrets/eks.amazonaws.com/serviceaccount/token":                false,
		"/etc/shadow": false,
	} {
		if got := (&Event{File: f}).ReadsToken(); got != want {
			t.Errorf("ReadsToken(%s) = %v, want %v", f, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := filepath.Join("..", "testdata", "runtime")
	events, stats, diags, err := Load([]string{filepath.Join(dir, "falco.jsonl"), filepath.Join(dir, "tetragon.jsonl")}, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, "2026-11-20T"+s+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	type row struct {
		Time                    time.Time
		NS, Pod, IP, File, Prog string
		Interactive             bool
		Format, Where           string
	}
	var got []row
	for _, e := range events {
		got = append(got, row{e.Time, e.Namespace, e.Pod, e.PodIP, filepath.Base(e.File), e.Program, e.Interactive, e.Format, e.Source.String()})
	}
	want := []row{
		{at("10:00:05"), "payments", "api-1", "10.0.0.5", "token", "cat", true, "falco", "falco.jsonl:1"},
		{at("10:00:05"), "payments", "worker-1", "10.0.0.7", "token", "python3", false, "falco", "falco.jsonl:2"},
		{at("10:00:05"), "payments", "api-2", "", "token", "cat", true, "falco", "falco.jsonl:3"},
		{at("10:00:05"), "payments", "api-3", "", "token", "cat", true, "tetragon", "tetragon.jsonl:2"},
		{at("10:00:06"), "payments", "api-1", "", "ca.crt", "cat", true, "falco", "falco.jsonl:4"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The host process without a pod and Tetragon's exec without a file
	// are skipped; the truncated line is reported with its line.
	if stats != (Stats{Lines: 8, Events: 5, Skipped: 2, Errors: 1}) {
		t.Errorf("stats = %+v", stats)
	}
	if len(diags) != 1 || diags[0].Location.String() != "falco.jsonl:6" {
		t.Errorf("diagnostics = %+v", diags)
	}
	if _, _, _, err := Load([]string{filepath.Join(dir, "missing.jsonl")}, ""); err == nil {
		t.Error("a missing file is not an error")
	}
}
