package main

import "testing"

// TestParseCgroupLimit: a container's memory limit is read from cgroup v2's
// memory.max or v1's memory.limit_in_bytes; "max" and v1's page-rounded
// MaxInt64 mean no limit.
func TestParseCgroupLimit(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  int64
		limit bool
	}{
		{"2147483648\n", 2147483648, true},
		{"max\n", 0, false},
		{"9223372036854771712\n", 0, false},
		{"0\n", 0, false},
		{"", 0, false},
		{"garbage", 0, false},
	} {
		got, ok := parseCgroupLimit(tc.in)
		if got != tc.want || ok != tc.limit {
			t.Errorf("parseCgroupLimit(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.limit)
		}
	}
}
