package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/kubegrant/kubegrant/detect"
	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/policies"
	"github.com/kubegrant/kubegrant/scanner"
)

// BenchmarkReplayVsFloor times the dynamic pass alone (the static pass is
// done once, untimed) on gen.py's medium audit log (small without make
// bench), and in the same run the decode floor: goccy/go-json decoding
// every line of the same file into the wire event on 2 workers, nothing
// else. It reports events/s, MB/s, the floor's MB/s and replay/floor.
func BenchmarkReplayVsFloor(b *testing.B) {
	root := benchData()
	dir := filepath.Join(root, "medium")
	if _, err := os.Stat(filepath.Join(dir, "audit", "audit.log")); err != nil {
		dir = filepath.Join(root, "small")
	}
	log := filepath.Join(dir, "audit", "audit.log")
	fi, err := os.Stat(log)
	if err != nil {
		b.Skip("no bench data (make bench-data)")
	}
	ctx := context.Background()
	inv, err := scanner.LoadManifests([]string{filepath.Join(dir, "manifests", "all.yaml")}, scanner.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	graph := scanner.Resolve(inv)
	engine, err := policies.Load(ctx)
	if err != nil {
		b.Fatal(err)
	}
	evaluated, err := engine.Eval(ctx, graph)
	if err != nil {
		b.Fatal(err)
	}
	rules := engine.Rules()
	mb := float64(fi.Size()) / 1e6

	var replay, floor, replayCPU, floorCPU time.Duration
	var events int
	for b.Loop() {
		runtime.GC()
		start, cpu := time.Now(), cpuTime()
		res, err := detect.Replay(ctx, []string{log}, graph, evaluated.Findings, rules, detect.ReplayOptions{})
		if err != nil {
			b.Fatal(err)
		}
		replay += time.Since(start)
		replayCPU += cpuTime() - cpu
		events = res.Stats.Events
		runtime.GC()
		start, cpu = time.Now(), cpuTime()
		if err := goccyFloor(log, 2); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(start)
		floorCPU += cpuTime() - cpu
	}
	n := float64(b.N)
	replayMBs := mb / (replay.Seconds() / n)
	floorMBs := mb / (floor.Seconds() / n)
	b.ReportMetric(float64(events)/(replay.Seconds()/n), "events/s")
	b.ReportMetric(replayMBs, "replay-MB/s")
	b.ReportMetric(floorMBs, "floor-MB/s")
	b.ReportMetric(replayMBs/floorMBs, "replay/floor")
	// CPU seconds are less sensitive than wall time to other work on a
	// shared machine.
	b.ReportMetric(replayCPU.Seconds()/n, "replay-cpu-s")
	b.ReportMetric(floorCPU.Seconds()/n, "floor-cpu-s")
	b.ReportMetric(floorCPU.Seconds()/replayCPU.Seconds(), "floor/replay-cpu")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goccyFloor decodes every line of path into an audit.RawEvent with
// goccy/go-json on workers goroutines, line-aligned 4 MB chunks.
func goccyFloor(path string, workers int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunks := make(chan []byte, workers*2)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var e audit.RawEvent
			for c := range chunks {
				for len(c) > 0 {
					i := bytes.IndexByte(c, '\n')
					line := c
					if i >= 0 {
						line, c = c[:i], c[i+1:]
					} else {
						c = nil
					}
					if len(line) == 0 {
						continue
					}
					e = audit.RawEvent{}
					if err := gojson.Unmarshal(line, &e); err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
			}
		}()
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var carry []byte
	for {
		buf := make([]byte, 4<<20)
		n, err := io.ReadFull(r, buf)
		buf = buf[:n]
		if n > 0 {
			buf = append(carry, buf...)
			i := bytes.LastIndexByte(buf, '\n')
			if i >= 0 {
				chunks <- buf[:i+1]
				carry = append([]byte(nil), buf[i+1:]...)
			} else {
				carry = buf
			}
		}
		if err != nil {
			break
		}
	}
	if len(carry) > 0 {
		chunks <- carry
	}
	close(chunks)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
