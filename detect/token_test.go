package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

var updateDetections = flag.Bool("update-detections", false, "rewrite detect/testdata/detections/*.golden.json")

func TestMintedTokenUse(t *testing.T) {
	mintOf := func(user, jti string, at time.Duration) *audit.Event {
		return ev(evo{user: user, verb: "create", res: "serviceaccounts", sub: "token", ns: "apps", name: "builder", at: at, line: 1,
			ann:    map[string]string{audit.AnnotationIssuedCredential: jti},
			reason: `RBAC: allowed by RoleBinding "m/apps" of Role "token-minter" to User "alice"`})
	}
	use := func(jti string, at time.Duration, verb, res, name string, o evo) *audit.Event {
		o.user, o.verb, o.res, o.ns, o.name, o.at = "system:serviceaccount:apps:builder", verb, res, "apps", name, at
		o.extra = map[string][]string{audit.ExtraCredentialID: {jti}}
		o.line = 2
		return ev(o)
	}
	events := []*audit.Event{
		use("JTI=1", -time.Minute, "get", "pods", "early", evo{}), // before the mint: not linked
		mintOf("alice", "JTI=1", 0),
		use("JTI=1", time.Minute, "get", "secrets", "db", evo{id: "u1", ip: "198.51.100.7", ua: "curl/8.5.0"}),
		use("JTI=1", 2*time.Minute, "list", "pods", "", evo{id: "u2", ip: "198.51.100.7", ua: "curl/8.5.0", dec: "forbid"}),
		use("JTI=2", 3*time.Minute, "get", "secrets", "x", evo{}), // another token
	}
	got := run(DetectOptions{}, events)["KGD26"]
	mint := evidence(events[1])
	want := []reports.Finding{{
		RuleID:   "KGD26",
		Severity: reports.High,
		Kind:     reports.KindDetection,
		Message: "token JTI=1 minted by alice for ServiceAccount apps/builder was used in 2 requests (1 allowed, 1 denied) " +
			"from 198.51.100.7 with curl/8.5.0: get secrets, list pods",
		Subject:       &scanner.Ref{Kind: "User", Name: "alice"},
		Binding:       &scanner.Ref{Kind: "RoleBinding", Name: "m", Namespace: "apps"},
		Role:          &scanner.Ref{Kind: "Role", Name: "token-minter", Namespace: "apps"},
		Scope:         "apps",
		Location:      scanner.Source{File: "audit.log", Line: 1},
		ExerciseCount: 3,
		FirstSeen:     "2026-03-01T10:00:00Z",
		LastSeen:      "2026-03-01T10:02:00Z",
		Evidence: []reports.Evidence{mint,
			{AuditID: "u1", Time: "2026-03-01T10:01:00Z", User: "system:serviceaccount:apps:builder", Verb: "get", Resource: "secrets", Namespace: "apps", Name: "db", SourceIP: "198.51.100.7", UserAgent: "curl/8.5.0", Decision: "allow"},
			{AuditID: "u2", Time: "2026-03-01T10:02:00Z", User: "system:serviceaccount:apps:builder", Verb: "list", Resource: "pods", Namespace: "apps", SourceIP: "198.51.100.7", UserAgent: "curl/8.5.0", Decision: "forbid"},
		},
		Actor: &reports.Actor{User: "alice", Groups: []string{}, SourceIPs: []string{"203.0.113.10", "198.51.100.7"}},
		Key:   "alice\x00JTI=1",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KGD26 findings mismatch (-want +got):\n%s", diff)
	}

	// A system mint is not tracked, and an unused mint is no finding.
	quiet := run(DetectOptions{}, []*audit.Event{
		mintOf("system:kube-controller-manager", "JTI=9", 0),
		use("JTI=9", time.Minute, "get", "pods", "p", evo{}),
		mintOf("alice", "JTI=8", 0),
	})["KGD26"]
	if len(quiet) != 0 {
		t.Errorf("KGD26 fired on a system mint or an unused token: %+v", quiet)
	}
	// A use after the window is not linked.
	late := run(DetectOptions{TokenUseWindow: time.Hour}, []*audit.Event{
		mintOf("alice", "JTI=7", 0),
		use("JTI=7", 3*time.Hour, "get", "pods", "p", evo{}),
	})["KGD26"]
	if len(late) != 0 {
		t.Errorf("KGD26 linked a use after the token use window: %+v", late)
	}
}

func TestMintedTokenUseBounded(t *testing.T) {
	d := newMintedTokenUseDetector(DetectOptions{MaxKeys: 10, TokenUseWindow: time.Hour}.withDefaults()).(*mintedTokenUse)
	for i := range 50 {
		// One mint a minute: older unused mints are pruned to make room.
		d.Observe(ev(evo{user: "alice", verb: "create", res: "serviceaccounts", sub: "token", ns: "apps", name: "b", at: time.Duration(i) * time.Minute,
			ann: map[string]string{audit.AnnotationIssuedCredential: fmt.Sprintf("JTI=%d", i)}}))
		if len(d.open) > 10 {
			t.Fatalf("open mints = %d, want at most 10", len(d.open))
		}
	}
	if d.dropped == 0 {
		t.Errorf("expected mints dropped at the limit within one hour")
	}
	if diags := d.Diagnostics(); len(diags) != 1 || !strings.Contains(diags[0].Message, "KGD26") {
		t.Errorf("diagnostics = %+v, want one naming KGD26", diags)
	}
	// Mints older than the window make room again.
	d.Observe(ev(evo{user: "alice", verb: "create", res: "serviceaccounts", sub: "token", ns: "apps", name: "b", at: 5 * time.Hour,
		ann: map[string]string{audit.AnnotationIssuedCredential: "JTI=new"}}))
	if d.open["JTI=new"] == nil {
		t.Errorf("a mint after the window was not tracked: pruning failed")
	}
}

func TestKeyLimit(t *testing.T) {
	ds := Detectors(DetectOptions{MaxKeys: 3})
	var d01 Detector
	for _, d := range ds {
		if d.Rule().ID == "KGD01" {
			d01 = d
		}
	}
	for i := range 10 {
		d01.Observe(ev(evo{user: fmt.Sprintf("u%d", i), verb: "create", res: "serviceaccounts", sub: "token", ns: "a", name: "b"}))
	}
	if n := len(d01.Findings()); n != 3 {
		t.Errorf("findings = %d, want 3 (the key limit)", n)
	}
	diags := d01.(DiagnosticReporter).Diagnostics()
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "7 events not tracked") {
		t.Errorf("diagnostics = %+v", diags)
	}
}

// TestDetectionFixtures runs the catalogue over testdata/detections/*.jsonl
// through Stream and compares the findings with the .golden.json files
// (-update-detections rewrites them). No token may reach a finding.
func TestDetectionFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "detections", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ds := Detectors(DetectOptions{})
			stats, err := audit.Stream(context.Background(), []string{f}, audit.StreamOptions{Root: "testdata"}, func(e *audit.Event) error {
				for _, d := range ds {
					d.Observe(e)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if stats.Errors != 0 {
				t.Fatalf("fixture has %d bad records: %+v", stats.Errors, stats.Diagnostics)
			}
			all := []reports.Finding{}
			for _, d := range ds {
				all = append(all, d.Findings()...)
			}
			for i := range all {
				all[i].Fingerprint = reports.Fingerprint(&all[i])
			}
			got, err := json.MarshalIndent(all, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			for _, leak := range []string{"eyJ", "c2lnbmF0dXJl", `"token"`} {
				if bytes.Contains(got, []byte(leak)) {
					t.Errorf("findings contain %q: a token leaked into the report", leak)
				}
			}
			golden := strings.TrimSuffix(f, ".jsonl") + ".golden.json"
			if *updateDetections {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-detections)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkDetectors measures the whole catalogue per event on a mix of
// ordinary traffic, secret reads and token use.
func BenchmarkDetectors(b *testing.B) {
	var events []*audit.Event
	for i := range 1000 {
		events = append(events,
			ev(evo{user: fmt.Sprintf("user%d", i%50), verb: "get", res: "secrets", ns: "apps", name: fmt.Sprintf("s%d", i%7), at: time.Duration(i) * time.Second}),
			ev(evo{user: "system:serviceaccount:apps:web", verb: "list", res: "pods", ns: "apps", ua: "web/1.0", at: time.Duration(i) * time.Second,
				extra: map[string][]string{audit.ExtraPodName: {"web-1"}, audit.ExtraCredentialID: {"JTI=x"}}}),
			ev(evo{user: "alice", verb: "create", res: "serviceaccounts", sub: "token", ns: "apps", name: "b", at: time.Duration(i) * time.Second,
				ann: map[string]string{audit.AnnotationIssuedCredential: fmt.Sprintf("JTI=%d", i)}}),
		)
	}
	ds := Detectors(DetectOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := events[i%len(events)]
		for _, d := range ds {
			d.Observe(e)
		}
	}
}
