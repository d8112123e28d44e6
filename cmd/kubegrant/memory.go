package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Memory. Most of a scan's heap lives to the end (the RBAC graph, the
// findings), so Go's default collector lets the heap grow to twice the
// live data before collecting: gen.py large (50,000 bindings, about 1 GB
// live at its peak) reached 2.1–2.2 GB of RSS. kubegrant gives the
// collector a soft memory limit instead, unless $GOMEMLIMIT or $GOGC says
// otherwise: the collector then runs rarely while the heap is small and
// often only near the limit. On gen.py large this gives 1.8 GB of RSS and
// 1.5 s less wall time than collecting at half the default target.
//
// The limit is soft: a scan whose live data exceeds it still completes,
// with the collector working harder (Go caps it at half the CPU), and
// raiseMemoryLimit lifts it for graphs too big for the default.

// defaultMemoryLimit applies outside containers with a memory limit.
const defaultMemoryLimit = 1792 << 20 // 1.75 GiB

// liveBytesPerGrant is the peak live heap per resolved grant measured on
// gen.py large (about 1 GB for 735k grants); the limit is raised to 1.5
// times what that predicts.
const liveBytesPerGrant = 1400

// raisable reports whether the limit is kubegrant's default: the user set
// neither GOMEMLIMIT nor GOGC, and no container limit applies.
var raisable bool

// setMemoryLimit sets the soft limit: 90% of the container's memory limit
// (cgroup v2 or v1) when there is one, else defaultMemoryLimit.
func setMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return
	}
	if c, ok := cgroupMemoryLimit(); ok {
		debug.SetMemoryLimit(c / 10 * 9)
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	raisable = true
}

// raiseMemoryLimit lifts the limit kubegrant chose when a graph of grants
// grants is expected to need more (never above a container's limit,
// which setMemoryLimit already used).
func raiseMemoryLimit(grants int) {
	if !raisable {
		return
	}
	if want := int64(grants) * liveBytesPerGrant * 3 / 2; want > debug.SetMemoryLimit(-1) {
		debug.SetMemoryLimit(want)
	}
}

// cgroupMemoryLimit reads the memory limit of the process's container,
// if it has one.
func cgroupMemoryLimit() (int64, bool) {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		return parseCgroupLimit(string(b))
	}
	return 0, false
}

// parseCgroupLimit reads a cgroup memory limit file's content: a number of
// bytes, or "max" (v2) or a page-rounded MaxInt64 (v1) for no limit.
func parseCgroupLimit(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v <= 0 || v >= 1<<62 {
		return 0, false
	}
	return v, true
}
