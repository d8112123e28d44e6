//go:build zz

package policies

import (
	"context"
	"os"
	"runtime"
	"github.com/open-policy-agent/opa/v1/rego"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

func TestZZPhases(t *testing.T) {
	f := os.Getenv("ZZ_FILE")
	if f == "" {
		t.Skip()
	}
	t0 := time.Now()
	inv, err := scanner.LoadManifests([]string{f}, scanner.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load %v", time.Since(t0))
	t0 = time.Now()
	g := scanner.Resolve(inv)
	t.Logf("resolve %v", time.Since(t0))
	e := engine(t)
	runtime.GC()
	last := time.Now()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	lastCPU := cpu()
	zzMark = func(s string) {
		c := cpu()
		t.Logf("  %-20s wall %-14v cpu %v", s, time.Since(last), c-lastCPU)
		last, lastCPU = time.Now(), c
		if s == os.Getenv("ZZ_PROF_AFTER") {
			pf, _ := os.Create("/tmp/zz.cpu")
			pprof.StartCPUProfile(pf)
		}
		if s == os.Getenv("ZZ_PROF_UNTIL") {
			pprof.StopCPUProfile()
		}
	}
	t0 = time.Now()
	r, err := e.Eval(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("eval %v findings=%d", time.Since(t0), len(r.Findings))
	for pkg, q := range e.identityQueries {
		t0 := time.Now()
		c0 := cpu()
		if pkg == "workload_risky_sa" {
			pf, _ := os.Create("/tmp/zzw.cpu")
			pprof.StartCPUProfile(pf)
			for range 3 {
				q.Eval(context.Background(), rego.EvalParsedInput(zzIdentityDoc))
			}
			pprof.StopCPUProfile()
		}
		q.Eval(context.Background(), rego.EvalParsedInput(zzIdentityDoc))
		t.Logf("identity rule %-30s wall %v cpu %v", pkg, time.Since(t0), cpu()-c0)
	}
}
