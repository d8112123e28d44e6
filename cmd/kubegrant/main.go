// Command kubegrant finds risky Kubernetes RBAC grants and proves whether
// they were used. See doc.go for usage and exit codes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
)

func main() {
	setMemoryLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stopProfile := profile()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// profile writes a CPU profile to $KUBEGRANT_CPUPROFILE and a heap profile
// to $KUBEGRANT_MEMPROFILE when they are set (for `make bench` and
// developers: go tool pprof -top bin/kubegrant FILE).
func profile() func() {
	var done []func()
	if p := os.Getenv("KUBEGRANT_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				done = append(done, func() { pprof.StopCPUProfile(); f.Close() })
			}
		} else {
			fmt.Fprintf(os.Stderr, "kubegrant: cpu profile: %v\n", err)
		}
	}
	return func() {
		for _, d := range done {
			d()
		}
		if p := os.Getenv("KUBEGRANT_MEMPROFILE"); p != "" {
			if f, err := os.Create(p); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
}
