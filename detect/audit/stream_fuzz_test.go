package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzStream feeds arbitrary bytes to every decoder: Stream must not panic,
// and every record must end up delivered or counted.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"kind": 0}`))
	f.Add([]byte("[\n{\"kind\":\"Event\",\"verb\":\"get\",\"user\":{\"username\":\"u\"}},\n{oops}\n]"))
	f.Add([]byte(`{"records":[{"category":"kube-audit","properties":{"log":"{\"verb\":\"get\"}"}}]}`))
	f.Add([]byte("2024-01-01T00:00:00Z {\"verb\":\"get\",\"user\":{\"username\":\"u\"}}\n"))
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write([]byte(`{"verb":"get","user":{"username":"u"}}`))
	_ = zw.Close()
	f.Add(zb.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: bytes.NewReader(data), MaxTracked: 4}, func(e *Event) error {
			n++
			if e.Verb == "" || e.User.Name == "" {
				t.Fatalf("delivered an event without verb or user")
			}
			_ = e.Attrs
			return nil
		})
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		if n != st.Events {
			t.Fatalf("delivered %d, Events %d", n, st.Events)
		}
		if len(bytes.TrimSpace(data)) > 0 && data[0] != 0x1f && st.Records == 0 && st.Errors == 0 && st.Lines > 0 {
			// Non-blank input yields records or diagnostics; an empty
			// wrapper ({"items":[]}) yields neither and is fine.
			if !bytes.Contains(data, []byte("[")) {
				t.Fatalf("input of %d bytes gave neither records nor diagnostics: %+v", len(data), st)
			}
		}
		checkAccounting(t, st)
	})
}
