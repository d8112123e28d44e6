package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"runtime"
	"strings"
	"testing"
)

// streamSeeds are one small record (or two) of every input shape Stream
// reads. They are kept small on purpose: the fuzzing engine minimises
// every new interesting input, at a cost that grows with the square of its
// length, and mutations of the multi-kilobyte files of testdata/formats
// kept it minimising (no new executions) for most of a run. Those files
// are read by the format tests.
var streamSeeds = []string{
	`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"u","groups":["g"]},"objectRef":{"resource":"pods"},"annotations":{"authorization.k8s.io/decision":"allow"}}`,
	"{\"auditID\":\"a\",\"stage\":\"RequestReceived\",\"verb\":\"watch\",\"user\":{\"username\":\"u\"}}\n{\"auditID\":\"a\",\"stage\":\"ResponseStarted\",\"verb\":\"watch\",\"user\":{\"username\":\"u\"}}\n",
	`{"kind":"EventList","items":[{"verb":"get","user":{"username":"u"}}]}`,
	"[\n{\"kind\":\"Event\",\"verb\":\"get\",\"user\":{\"username\":\"u\"}},\n{oops}\n]",
	"{\n \"verb\": \"get\",\n \"user\": {\"username\": \"u\"}\n}\n",
	`{"logEvents":[{"message":"{\"verb\":\"get\",\"user\":{\"username\":\"u\"}}"}]}`,
	`{"message":"{\"verb\":\"get\",\"user\":{\"username\":\"u\"}}"}`,
	`{"@message":{"verb":"get","user":{"username":"u"}}}`,
	"2024-01-01T00:00:00Z {\"verb\":\"get\",\"user\":{\"username\":\"u\"}}\n",
	`{"records":[{"category":"kube-audit","properties":{"log":"{\"verb\":\"get\"}"}}]}`,
	`{"category":"kube-audit-admin","properties":{"log":{"verb":"get","user":{"username":"u"}}}}`,
	`{"protoPayload":{"serviceName":"k8s.io","methodName":"io.k8s.core.v1.pods.get","resourceName":"core/v1/namespaces/n/pods/p","authenticationInfo":{"principalEmail":"a@b"}},"operation":{"id":"x","last":true}}`,
	`{"kubernetes":{"audit":{"verb":"get","user":{"username":"u"},"annotations":{"authorization_k8s_io/decision":"allow"}}}}`,
	`{"_source":{"verb":"get","user":{"username":"u"}}}`,
	`{"kind":"Event","timestamp":"2017-01-01T00:00:00Z","verb":"get","user":{"username":"u"}}`,
	`{"kind": 0}`,
}

// FuzzStream feeds arbitrary bytes to every decoder: Stream must not panic,
// and every record must end up delivered or counted.
func FuzzStream(f *testing.F) {
	for _, s := range streamSeeds {
		f.Add([]byte(s))
	}
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

// allocated is the bytes f allocates, on average over n calls.
func allocated(n int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// TestStreamFixedCost: reading a small input costs little. It used to
// allocate and clear 1.3 MB (a 256 KB read buffer and a 1.1 MB chunk) and,
// with the default MaxTracked, a 4 MB map, which made each of FuzzStream's
// executions slow, and a directory of small files slow to read.
func TestStreamFixedCost(t *testing.T) {
	line := []byte(`{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"u"},"objectRef":{"resource":"pods"}}` + "\n")
	got := allocated(50, func() {
		if _, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: bytes.NewReader(line)}, func(*Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if got > 48<<10 {
		t.Errorf("a one-line input allocates %d bytes, want at most 48 KB", got)
	}
}

// TestStreamLongLineCopies: a long line in the middle of a log (read by
// the chunk splitter, not the sniffer) is delivered, and copied a bounded
// number of times: growing its buffer by a fixed step copied a 64 MB line
// about 64 times.
func TestStreamLongLineCopies(t *testing.T) {
	const size = 24 << 20
	plain := `{"kind":"Event","verb":"get","user":{"username":"u"}}` + "\n"
	in := plain + plain + plain + `{"kind":"Event","verb":"create","user":{"username":"u"},"requestObject":{"k":"` + strings.Repeat("x", size) + `"}}` + "\n" + plain
	var body, events int
	got := allocated(1, func() {
		st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)}, func(e *Event) error {
			body = max(body, len(e.RequestObject))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		events = st.Events
	})
	if events != 5 || body < size {
		t.Fatalf("events %d, longest body %d bytes", events, body)
	}
	if got > 8*size {
		t.Errorf("reading a %d MB line allocated %d MB, want at most 8 times the line", size>>20, got>>20)
	}
}
