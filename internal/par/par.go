// Package par runs independent shares of a job on every core the process
// may use. Callers keep their output deterministic: each share writes only
// its own part of the result.
package par

import (
	"runtime"
	"sync"
)

// Shares cuts 0..n into contiguous shares [lo, hi), one per core but none
// smaller than minShare: a small job is one share.
func Shares(n, minShare int) [][2]int {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/max(1, minShare)))
	per := (n + workers - 1) / workers
	out := make([][2]int, 0, workers)
	for w := range workers {
		out = append(out, [2]int{min(w*per, n), min((w+1)*per, n)})
	}
	return out
}

// Ranges calls fn over the Shares of 0..n, each on its own goroutine (the
// first on the caller's), and returns when every share is done.
func Ranges(n, minShare int, fn func(lo, hi int)) {
	shares := Shares(n, minShare)
	var wg sync.WaitGroup
	for _, s := range shares[1:] {
		wg.Go(func() { fn(s[0], s[1]) })
	}
	fn(shares[0][0], shares[0][1])
	wg.Wait()
}
