package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchLog is gen.py's audit log: the medium one (1M lines, 1.17 GB) when
// `make bench` has generated it under $KUBEGRANT_BENCH_DATA, else the small one.
var benchLog = func() string {
	if d := os.Getenv("KUBEGRANT_BENCH_DATA"); d != "" {
		if p := filepath.Join(d, "medium", "audit", "audit.log"); fileExists(p) {
			return p
		}
		return filepath.Join(d, "small", "audit", "audit.log")
	}
	return "/tmp/bench-data/small/audit/audit.log"
}()

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func benchFile(b *testing.B) int64 {
	b.Helper()
	fi, err := os.Stat(benchLog)
	if err != nil {
		b.Skip("no bench data; python3 ../shared/bench/gen.py --scale small")
	}
	return fi.Size()
}

// BenchmarkStream measures Stream over the generator's small log; MB/s is
// reported by SetBytes.
func BenchmarkStream(b *testing.B) {
	size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		if _, err := Stream(context.Background(), []string{benchLog}, StreamOptions{}, func(*Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPlainDecode is the baseline: encoding/json line by line into a
// fresh Event, no stages, no formats.
func BenchmarkPlainDecode(b *testing.B) {
	size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(benchLog)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var e RawEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

// BenchmarkStreamSmall is one small input, as a directory of many small
// files or the fuzz test reads: its cost is the stream's fixed cost.
func BenchmarkStreamSmall(b *testing.B) {
	data := []byte(`{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"u"},"objectRef":{"resource":"pods"}}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: bytes.NewReader(data)}, func(*Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
