package detect

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/detect/runtime"
	"github.com/kubegrant/kubegrant/scanner"
)

// TestRuntimeTokenDetections joins hand-made Falco and Tetragon events with
// the matching audit events (detect/testdata/runtime): an interactive token
// read followed by the pod's requests fires, with the exec that opened the
// shell; the same request 2 minutes later, or after a read by the
// application itself (no terminal), does not; a token replayed from another
// address is KGD32.
func TestRuntimeTokenDetections(t *testing.T) {
	dir := filepath.Join("testdata", "runtime")
	events, _, _, err := runtime.Load([]string{filepath.Join(dir, "falco.jsonl"), filepath.Join(dir, "tetragon.jsonl")}, dir)
	if err != nil {
		t.Fatal(err)
	}
	find := func(opts DetectOptions) map[string][]string {
		ds := Detectors(opts)
		if _, err := audit.Stream(context.Background(), []string{filepath.Join(dir, "audit.jsonl")}, audit.StreamOptions{}, func(e *audit.Event) error {
			for _, d := range ds {
				d.Observe(e)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, d := range ds {
			for _, f := range d.Findings() {
				if f.RuleID != "KGD31" && f.RuleID != "KGD32" {
					continue
				}
				var ids []string
				for _, e := range f.Evidence {
					ids = append(ids, e.AuditID)
				}
				out[f.RuleID] = append(out[f.RuleID], f.Message+" ["+strings.Join(ids, " ")+"]")
			}
		}
		return out
	}
	want := map[string][]string{
		"KGD31": {
			`cat read the ServiceAccount token of pod payments/api-1 interactively at 2026-11-20T10:00:05Z (falco falco.jsonl:1); 2 requests with the pod's token followed within 1m0s: get secrets, list secrets; the read came from the exec session alice@example.com opened at 2026-11-20T10:00:00Z (command "sh") [exec-1 use-1 use-2]`,
			`cat read the ServiceAccount token of pod payments/api-3 interactively at 2026-11-20T10:00:05Z (tetragon tetragon.jsonl:2); 1 request with the pod's token followed within 1m0s: list pods; no exec or attach into the pod is in the audit log [use-5]`,
		},
		"KGD32": {`the bound token of pod payments/api-1 (IP 10.0.0.5) was used from 203.0.113.9: 1 request: get secrets [use-2]`},
	}
	if diff := cmp.Diff(want, find(DetectOptions{Runtime: events})); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// A wider window takes in the request 2 minutes after api-2's read.
	got := find(DetectOptions{Runtime: events, TokenReadWindow: 3 * 60e9})
	if len(got["KGD31"]) != 3 {
		t.Errorf("with a 3-minute window: %v", got["KGD31"])
	}
	// Without runtime events, nothing.
	if got := find(DetectOptions{}); len(got) != 0 {
		t.Errorf("without runtime events: %v", got)
	}
}

// TestUserExtraDiagnostic: requests without user.extra yield one
// diagnostic naming the detections that need it; those that also need
// runtime events are named only when runtime events were given.
func TestUserExtraDiagnostic(t *testing.T) {
	if d := userExtraDiagnostic(0, DetectOptions{}); d != nil {
		t.Errorf("no such request: %v", d)
	}
	tests := []struct {
		opts DetectOptions
		want string
	}{
		{DetectOptions{}, "KGD06 and KGD26 could not be evaluated on 3 requests read from GKE Cloud Logging entries"},
		{DetectOptions{Runtime: []runtime.Event{{Pod: "p"}}}, "KGD06, KGD26, KGD31 and KGD32 could not be evaluated on 3 requests"},
	}
	for _, tc := range tests {
		d := userExtraDiagnostic(3, tc.opts)
		if len(d) != 1 || d[0].Severity != scanner.DiagWarning || !strings.HasPrefix(d[0].Message, tc.want) {
			t.Errorf("runtime events %d: %+v, want one warning starting %q", len(tc.opts.Runtime), d, tc.want)
		}
	}
}
