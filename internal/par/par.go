// Package par runs independent shares of a job on every core the process
// may use. Callers keep their output deterministic: each share writes only
// its own part of the result.
package par

import (
	"runtime"
	"sync"
)

// Ranges calls fn over contiguous shares [lo, hi) of 0..n, one share per
// core but none smaller than minShare (small jobs run on the caller's
// goroutine alone), and returns when every share is done.
func Ranges(n, minShare int, fn func(lo, hi int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/max(1, minShare)))
	if workers == 1 {
		fn(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { fn(min(w*per, n), min((w+1)*per, n)) })
	}
	fn(0, min(per, n))
	wg.Wait()
}
