package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/scanner"
)

// FuzzFastDecode is the differential test of lineDecoder: whatever it
// accepts, encoding/json accepts too, the sequential path would deliver as
// a plain audit event, and normalises to the same Event; so invalid JSON
// always reaches the sequential path and its diagnostic.
func FuzzFastDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.jsonl"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	for _, l := range fastDecodeSeeds {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] != '{' {
			return
		}
		checkFastDecode(t, line)
	})
}

// fastDecodeSeeds are lines at the edges of what lineDecoder takes.
var fastDecodeSeeds = []string{
	`{"auditID":"1","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["a"],"extra":{"k":["v"]}},"objectRef":{"resource":"pods"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00Z","annotations":{"a":"b"},"requestObject":{"x":[1,2.5e3,null,true]}}`,
	`{"verb":"get","user":{"username":"u\u00e9\ud83d\ude00"},"Verb":"list"}`,
	`{"verb":"get","user":{"username":"u"},"responseStatus":{"code":2.5}}`,
	`{"verb":"get","user":{"username":"u"},"responseStatus":{"code":-0,"metadata":{},"status":null}}`,
	`{"verb":"get","user":{"username":"u"},"requestObject":{"a":01}}`,
	`{"verb":"get","user":{"username":"u"},"stageTimestamp":"2024-13-01T00:00:00Z"}`,
	`{"verb":"get","user":{"username":"u"},"stageTimestamp":"2024-02-29T23:59:59.123456789Z","requestReceivedTimestamp":"2023-02-28T00:00:00.1Z"}`,
	`{"verb":"get","user":{"username":"u"},"requestReceivedTimestamp":"2023-02-29T00:00:00Z"}`,
	`{"verb":"get","user":{"username":"u"},"stageTimestamp":"2024-02-01T00:00:00.5+01:00","requestReceivedTimestamp":null}`,
	`{"verb":"get","user":{"username":"u"},"stageTimestamp":"2024\u002d02-01T00:00:00Z"}`,
	`{"kind":"Event","verb":"get","user":{"username":"u","extra":{"authentication.kubernetes.io/pod-name":["p1","p2"],"authentication_kubernetes_io/pod-name":["p3"],"authentication.kubernetes.io/node-name":[],"authentication.kubernetes.io/credential-id":null}}}`,
	`{"verb":"get","user":{"username":"u","extra":{"authentication_kubernetes_io/pod-uid":["x"],"authentication_kubernetes_io/pod-uid":["y"]}}}`,
	`{"verb":"get","user":{"username":"u"},"annotations":{"authorization_k8s_io/decision":"forbid","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"b\" of ClusterRole \"r\" to User \"u\"","authentication.kubernetes.io/issued-credential-id":"JTI=1"}}`,
	`{"verb":"get","user":{"username":"u"},"annotations":{"authorization.k8s.io/decision":null}}`,
	`{"verb":"get","user":{"username":"u"},"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/decision":"forbid"}}`,
	`{"verb":"create","user":{"username":"a"},"impersonatedUser":{"username":"b","groups":[]},"objectRef":{"resource":"namespaces","name":"n","apiGroup":"core","resourceVersion":"1"},"sourceIPs":["1.2.3.4","::1"]}`,
	`{"verb":"list","user":{"username":"a"},"impersonatedUser":{"username":""},"requestURI":"/api/v1/secrets?fieldSelector=metadata.name%3Dx","objectRef":{"resource":"secrets"}}`,
	`{"verb":"get","user":{"username":"u"},"user":{"uid":"x"}}`,
	`{"verb":"get","user":{"username":"u","UserName":"v"}}`,
	`{"verb":"get","user":{"username":"u"},"objectRef":null,"impersonatedUser":null,"sourceIPs":null,"responseStatus":null,"requestObject":null}`,
	`{"verb":"get","user":{"username":"u"},"kind":"EventList"}`,
	`{"verb":"get","user":{"username":"u"},"labels":{}}`,
	`{"verb":"get","user":{"username":"u"},"stage":"ResponseStarted","objectRef":{"subresource":"exec"}}`,
	`{"verb":"watch","user":{"username":"u"},"stage":"Bogus"}`,
	`{"verb":"get","user":{"username":"u"}} x`,
	`{"verb":"get","user":{"username":"u"},"x":"\ud800"}`,
	"{\"verb\":\"get\",\"user\":{\"username\":\"\xff\"}}",
	"{\"verb\":\"get\",\"user\":{\"username\":\"u\"},\"k\u212aind\":1}",
}

// checkFastDecode fails when lineDecoder takes line and decodes it other
// than encoding/json and normalize would.
func checkFastDecode(t *testing.T, line []byte) {
	t.Helper()
	src := scanner.Source{File: "f", Line: 7}
	var d lineDecoder
	var fast Event
	m, ok := d.decode(line, src, &fast)
	if !ok {
		return
	}
	var raw RawEvent
	rec := record{RawEvent: &raw}
	if err := json.Unmarshal(line, &rec); err != nil {
		t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, line)
	}
	if (rec.Kind != "" && rec.Kind != "Event") || rec.Items != nil || rec.Records != nil || rec.LogEvents != nil ||
		rec.Events != nil || rec.Entries != nil || rec.ProtoPayload != nil || rec.Message != nil || rec.AtMessage != nil ||
		rec.Kubernetes != nil || rec.ESSource != nil || rec.Properties != nil || rec.Category != "" ||
		!rec.Timestamp.IsZero() || rec.Metadata != nil || rec.InsertID != "" || rec.Labels != nil || rec.Operation != nil {
		t.Fatalf("fast path took a record that is not a plain event: %q", line)
	}
	if raw.Verb == "" || raw.User.Username == "" {
		t.Fatalf("fast path took an event without verb or user: %q", line)
	}
	sub := ""
	if raw.ObjectRef != nil {
		sub = raw.ObjectRef.Subresource
	}
	want := wireMeta{stage: raw.Stage, auditID: raw.AuditID, long: longRunning(raw.Verb, sub)}
	switch raw.Stage {
	case "", StageRequestReceived, StagePanic:
	case StageResponseStarted, StageResponseComplete:
		want.sig = signature(raw.Verb, raw.RequestURI)
		want.hash = trackHash(raw.AuditID, want.sig)
	default:
		t.Fatalf("fast path took stage %q", raw.Stage)
	}
	if m != want {
		t.Fatalf("meta %+v, want %+v on %q", m, want, line)
	}
	if raw.Stage == StageRequestReceived || raw.Stage == StagePanic {
		return
	}
	var slow Event
	normalize(&raw, src, &slow, nil)
	compact := func(m json.RawMessage) string {
		if m == nil {
			return ""
		}
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			t.Fatalf("raw body is not JSON: %v", err)
		}
		return b.String()
	}
	if compact(fast.RequestObject) != compact(slow.RequestObject) || compact(fast.ResponseObject) != compact(slow.ResponseObject) {
		t.Fatalf("bodies differ on %q", line)
	}
	if fast.Time.Location() != slow.Time.Location() || fast.StageTime.Location() != slow.StageTime.Location() {
		t.Fatalf("time zones differ on %q", line)
	}
	fast.RequestObject, fast.ResponseObject, slow.RequestObject, slow.ResponseObject = nil, nil, nil, nil
	if diff := cmp.Diff(slow, fast); diff != "" {
		t.Fatalf("fast path decodes %q differently (-encoding/json +fast):\n%s", line, diff)
	}
	// Again with the strings and lists it now shares.
	var again Event
	if _, ok := d.decode(line, src, &again); !ok {
		t.Fatalf("second decode of %q failed", line)
	}
	again.RequestObject, again.ResponseObject = nil, nil
	if diff := cmp.Diff(fast, again); diff != "" {
		t.Fatalf("second decode of %q differs:\n%s", line, diff)
	}
}

// TestFastDecodeSeeds runs the differential check on the seeds and checks
// that lineDecoder takes the plain ones (a decoder that takes nothing
// would pass the fuzz test).
func TestFastDecodeSeeds(t *testing.T) {
	taken := 0
	for _, l := range fastDecodeSeeds {
		checkFastDecode(t, []byte(l))
		var d lineDecoder
		if _, ok := d.decode([]byte(l), scanner.Source{}, &Event{}); ok {
			taken++
		}
	}
	for _, l := range []string{fastDecodeSeeds[0], fastDecodeSeeds[6], fastDecodeSeeds[10], fastDecodeSeeds[12], fastDecodeSeeds[15]} {
		var d lineDecoder
		if _, ok := d.decode([]byte(l), scanner.Source{}, &Event{}); !ok {
			t.Errorf("lineDecoder refused a plain event: %s", l)
		}
	}
	for _, l := range []string{fastDecodeSeeds[1], fastDecodeSeeds[13], fastDecodeSeeds[2], fastDecodeSeeds[4], fastDecodeSeeds[5], fastDecodeSeeds[7], fastDecodeSeeds[17],
		fastDecodeSeeds[18], fastDecodeSeeds[20], fastDecodeSeeds[21], fastDecodeSeeds[23], fastDecodeSeeds[24], fastDecodeSeeds[25],
		fastDecodeSeeds[26], fastDecodeSeeds[27]} {
		var d lineDecoder
		if _, ok := d.decode([]byte(l), scanner.Source{}, &Event{}); ok {
			t.Errorf("lineDecoder took a line it must leave to encoding/json: %s", l)
		}
	}
	t.Logf("%d of %d seeds taken", taken, len(fastDecodeSeeds))
}

// TestParallelMatchesSequential: the parallel reader delivers the same
// events with the same statistics and diagnostics as the sequential one,
// on every format file and on a log with bad lines, long lines and chunk
// boundaries.
func TestParallelMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 5000 {
		switch i % 7 {
		case 3:
			b.WriteString("not json\n")
		case 5:
			b.WriteString("\n")
		default:
			b.WriteString(`{"auditID":"` + strings.Repeat("x", i%13) + string(rune('a'+i%26)) + `","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"u"},"objectRef":{"resource":"pods"},"requestObject":{"pad":"` + strings.Repeat("p", i%900) + `"}}` + "\n")
		}
	}
	big := filepath.Join(dir, "big.log")
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"))
	for _, f := range append(files, big) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			read := func(sequential bool) ([]string, Stats) {
				var got []string
				st, err := Stream(context.Background(), []string{f}, StreamOptions{Sequential: sequential}, func(e *Event) error {
					got = append(got, e.Source.String()+" "+e.AuditID+" "+e.Verb+" "+e.User.Name+" "+string(e.Decision))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return got, st
			}
			seqEvents, seqStats := read(true)
			parEvents, parStats := read(false)
			if diff := cmp.Diff(seqEvents, parEvents); diff != "" {
				t.Errorf("events (-sequential +parallel):\n%s", diff)
			}
			if diff := cmp.Diff(seqStats, parStats); diff != "" {
				t.Errorf("stats (-sequential +parallel):\n%s", diff)
			}
		})
	}
}

// TestParallelStops: an error from the callback in the middle of a file
// read by the workers stops the read and is returned, without waiting
// for the rest or leaving a worker blocked.
func TestParallelStops(t *testing.T) {
	line := `{"kind":"Event","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"requestURI":"/api/v1/pods"}` + "\n"
	in := strings.Repeat(line, 50000) // about 5 MB: many chunks
	stop := errors.New("stop")
	n := 0
	_, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)}, func(*Event) error {
		if n++; n == 1000 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1000 {
		t.Errorf("err, calls = %v, %d; want stop, 1000", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	_, err = Stream(ctx, []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)}, func(*Event) error {
		if n++; n == 1000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= 50000 {
		t.Errorf("cancelled: err %v after %d events", err, n)
	}
}
