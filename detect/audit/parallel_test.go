package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzFastDecode is the differential test of the fast path: whatever it
// accepts, encoding/json accepts too and decodes to the same event, so
// that invalid JSON always reaches the sequential path and its diagnostic.
func FuzzFastDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.jsonl"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Add([]byte(`{"auditID":"1","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["a"],"extra":{"k":["v"]}},"objectRef":{"resource":"pods"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00Z","annotations":{"a":"b"},"requestObject":{"x":[1,2.5e3,null,true]}}`))
	f.Add([]byte(`{"verb":"get","user":{"username":"u\u00e9\ud83d\ude00"},"Verb":"list"}`))
	f.Add([]byte(`{"verb":"get","user":{"username":"u"},"responseStatus":{"code":2.5}}`))
	f.Add([]byte(`{"verb":"get","user":{"username":"u"},"requestObject":{"a":01}}`))
	f.Add([]byte(`{"verb":"get","user":{"username":"u"},"stageTimestamp":"2024-13-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] != '{' {
			return
		}
		var fastRaw RawEvent
		if !fastDecode(line, &fastRaw) {
			return
		}
		var slowRaw RawEvent
		slowRec := record{RawEvent: &slowRaw}
		if err := json.Unmarshal(line, &slowRec); err != nil {
			t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, line)
		}
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
		if compact(fastRaw.RequestObject) != compact(slowRaw.RequestObject) || compact(fastRaw.ResponseObject) != compact(slowRaw.ResponseObject) {
			t.Fatalf("bodies differ on %q", line)
		}
		fastRaw.RequestObject, fastRaw.ResponseObject, slowRaw.RequestObject, slowRaw.ResponseObject = nil, nil, nil, nil
		if diff := cmp.Diff(slowRaw, fastRaw); diff != "" {
			t.Fatalf("fast path decodes %q differently (-encoding/json +fast):\n%s", line, diff)
		}
	})
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
