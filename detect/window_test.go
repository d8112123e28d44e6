package detect

import (
	"testing"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
)

// TestBurstInOlderFile: when a newer file is read before an older one (a
// rotated log named after the live one), time goes backwards; a burst inside
// the older file must still be found.
func TestBurstInOlderFile(t *testing.T) {
	get := func(at time.Duration, name string) *audit.Event {
		return ev(evo{user: "mallory", verb: "get", res: "secrets", ns: "apps", name: name, at: at})
	}
	events := []*audit.Event{
		get(2*time.Hour, "newest"),                                  // the newer file
		get(0, "a"), get(time.Minute, "b"), get(2*time.Minute, "c"), // the older one: a burst
	}
	if got := len(run(DetectOptions{}, events)["KGD02"]); got != 1 {
		t.Errorf("KGD02 findings = %d, want the burst of the older file", got)
	}
}
