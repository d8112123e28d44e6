package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchData is where gen.py's data for the benchmarks is:
// $KUBEGRANT_BENCH_DATA (make bench sets it), or make bench-data's default.
func benchData() string {
	if root := os.Getenv("KUBEGRANT_BENCH_DATA"); root != "" {
		return root
	}
	return "/tmp/bench-data"
}

// BenchmarkScan times the whole static pass (load, resolve, evaluate, write
// JSON) on gen.py's manifests under $KUBEGRANT_BENCH_DATA (make bench
// generates small, medium and large), or /tmp/bench-data/small.
func BenchmarkScan(b *testing.B) {
	root := benchData()
	for _, scale := range []string{"small", "medium", "large"} {
		manifests := filepath.Join(root, scale, "manifests", "all.yaml")
		if _, err := os.Stat(manifests); err != nil {
			continue
		}
		b.Run(scale, func(b *testing.B) {
			for b.Loop() {
				err := run(context.Background(), []string{"scan", manifests, "--format", "json", "-o", os.DevNull, "--fail-on", "none"},
					strings.NewReader(""), io.Discard, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReplay times the static and dynamic passes together on gen.py's
// small (or, under make bench, medium: 1M lines, 1.17 GB) audit log.
func BenchmarkReplay(b *testing.B) {
	root := benchData()
	for _, scale := range []string{"small", "medium"} {
		dir := filepath.Join(root, scale)
		log := filepath.Join(dir, "audit", "audit.log")
		fi, err := os.Stat(log)
		if err != nil {
			continue
		}
		b.Run(scale, func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				err := run(context.Background(), []string{"scan", filepath.Join(dir, "manifests", "all.yaml"), "--audit-log", log,
					"--format", "json", "-o", os.DevNull, "--fail-on", "none"}, strings.NewReader(""), io.Discard, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
