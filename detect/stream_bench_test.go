package detect

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"testing"
)

const benchLog = "/tmp/bench-data/small/audit/audit.log"

func benchFile(b *testing.B) int64 {
	b.Helper()
	fi, err := os.Stat(benchLog)
	if err != nil {
		b.Skip("no bench data; python3 /work/shared/bench/gen.py --scale small")
	}
	return fi.Size()
}

// BenchmarkStream measures Stream over the generator's small log; MB/s is
// reported by SetBytes.
func BenchmarkStream(b *testing.B) {
	size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := Stream(context.Background(), []string{benchLog}, StreamOptions{}, func(*Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
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
			var e Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}
