package par

import (
	"sync/atomic"
	"testing"
)

// TestRanges: every index is visited exactly once, in contiguous shares,
// whatever n and the share size.
func TestRanges(t *testing.T) {
	for _, tc := range []struct{ n, minShare int }{{0, 1}, {1, 1}, {5, 1}, {5, 100}, {1000, 7}, {1001, 0}} {
		seen := make([]atomic.Int32, tc.n)
		var shares atomic.Int32
		Ranges(tc.n, tc.minShare, func(lo, hi int) {
			if lo > hi || lo < 0 || hi > tc.n {
				t.Errorf("n=%d: share [%d, %d)", tc.n, lo, hi)
				return
			}
			shares.Add(1)
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Errorf("n=%d minShare=%d: index %d visited %d times", tc.n, tc.minShare, i, c)
			}
		}
		if tc.n < tc.minShare && shares.Load() != 1 {
			t.Errorf("n=%d minShare=%d: %d shares, want 1", tc.n, tc.minShare, shares.Load())
		}
	}
}
