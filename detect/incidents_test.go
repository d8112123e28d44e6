package detect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/scanner"
)

// TestOneIncidentOneFinding: a curl client reading three Secrets makes a
// KGD02 burst; its KGD05 finding repeats the same events and is dropped. A
// scripted read outside any burst stays.
func TestOneIncidentOneFinding(t *testing.T) {
	read := func(id, name, at, ua string) string {
		return event(map[string]any{"auditID": id, "stageTimestamp": at, "requestReceivedTimestamp": at, "userAgent": ua,
			"objectRef": map[string]any{"resource": "secrets", "namespace": "ns", "name": name, "apiVersion": "v1"}})
	}
	lines := []string{
		read("1", "a", "2026-11-20T10:00:00Z", "curl/8.5.0"),
		read("2", "b", "2026-11-20T10:01:00Z", "curl/8.5.0"),
		read("3", "c", "2026-11-20T10:02:00Z", "curl/8.5.0"),
		read("4", "d", "2026-11-20T11:00:00Z", "python-requests/2.31"),
	}
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), []string{log}, &scanner.Graph{}, nil, nil, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Detections {
		got = append(got, f.RuleID+" "+f.Actor.UserAgent)
	}
	want := "KGD02 curl/8.5.0,KGD05 python-requests/2.31"
	if strings.Join(got, ",") != want {
		t.Errorf("detections = %v, want %s", got, want)
	}
}
