package detect

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// ---- bounded state --------------------------------------------------------

// keyLimit bounds the state one detector keeps (DetectOptions.MaxKeys) and
// counts the events it could not track because of it, for the key-limit
// diagnostic.
type keyLimit struct {
	max     int
	dropped int
}

// room reports whether state holding n keys may take one more; an event
// that finds no room is counted in dropped.
func (l *keyLimit) room(n int) bool {
	if n < l.max {
		return true
	}
	l.dropped++
	return false
}

// admit reports whether m may take one more key. A full m is pruned first
// when prune is not nil (forgetting idle keys makes room for new ones).
func admit[V any](l *keyLimit, m map[string]V, prune func()) bool {
	if len(m) >= l.max && prune != nil {
		prune()
	}
	return l.room(len(m))
}

// limitDiagnostics reports events a detector could not track.
func limitDiagnostics(rule reports.Rule, dropped, max int) []scanner.Diagnostic {
	if dropped == 0 {
		return nil
	}
	return []scanner.Diagnostic{{
		Severity: scanner.DiagWarning,
		Message:  fmt.Sprintf("%s %s: %d events not tracked: more than %d distinct keys (raise the key limit)", rule.ID, rule.Slug, dropped, max),
	}}
}

// boundedMap is per-key detector state for at most max keys.
type boundedMap[V any] struct {
	m map[string]V
	keyLimit
}

func newBoundedMap[V any](max int) boundedMap[V] {
	return boundedMap[V]{m: map[string]V{}, keyLimit: keyLimit{max: max}}
}

// get returns the key's state, creating it with fresh when there is room
// (after prune, if need be), and false when the limit is reached.
func (b *boundedMap[V]) get(key string, prune func(), fresh func() V) (V, bool) {
	if v, ok := b.m[key]; ok {
		return v, true
	}
	if !admit(&b.keyLimit, b.m, prune) {
		var zero V
		return zero, false
	}
	v := fresh()
	b.m[key] = v
	return v, true
}

// ---- sliding windows of distinct items ------------------------------------

// windowItem is one distinct item (a Secret, a path, a call) in a window:
// when it was last seen, its latest event and how often it was seen.
type windowItem struct {
	id      string
	last    time.Time
	ev      *audit.Event // snapshot
	n       int
	allowed int
}

// window holds the distinct items one key saw within a span of time.
type window struct {
	items map[string]windowItem // by value: updates do not allocate
	last  time.Time             // the key's latest event
}

func newWindow() *window { return &window{items: map[string]windowItem{}} }

// advance moves the window to t, forgetting items last seen more than span
// before it. Time going backwards by more than span (a new, older file)
// starts afresh rather than mixing unrelated periods: the window is
// emptied, follows the older file's clock from then on, and advance
// reports true.
func (w *window) advance(t time.Time, span time.Duration) (restarted bool) {
	if !w.last.IsZero() && w.last.Sub(t) > span {
		clear(w.items)
		restarted = true
		w.last = t // the older file's own clock from now on
	}
	if t.After(w.last) {
		w.last = t
	}
	for id, it := range w.items {
		if t.Sub(it.last) > span {
			delete(w.items, id)
		}
	}
	return restarted
}

// add records e at t as item id; a window holding max items first forgets
// the one seen longest ago.
func (w *window) add(id string, e *audit.Event, t time.Time, max int) {
	it, ok := w.items[id]
	if !ok && len(w.items) >= max {
		delete(w.items, w.oldest())
	}
	it.id, it.last, it.ev = id, t, snapshot(e)
	it.n++
	if e.Allowed() {
		it.allowed++
	}
	w.items[id] = it
}

func (w *window) len() int { return len(w.items) }

// idle reports whether the key has seen nothing for longer than span.
func (w *window) idle(now time.Time, span time.Duration) bool { return now.Sub(w.last) > span }

func byLastSeen(a, b windowItem) int {
	if c := a.last.Compare(b.last); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// oldest is the id of the item seen longest ago.
func (w *window) oldest() string {
	var old windowItem
	first := true
	for _, it := range w.items {
		if first || byLastSeen(it, old) < 0 {
			old, first = it, false
		}
	}
	return old.id
}

// sorted returns the items, the one seen longest ago first.
func (w *window) sorted() []windowItem {
	out := make([]windowItem, 0, len(w.items))
	for _, it := range w.items {
		out = append(out, it)
	}
	slices.SortFunc(out, byLastSeen)
	return out
}

// ---- bursts of distinct items ---------------------------------------------

// burstKey is one key's window and its open burst.
type burstKey struct {
	*window
	burst *aggregate
}

// bursts turns, per key, a window holding threshold distinct items into a
// burst; overlapping windows extend the same burst, which ends once the
// key's events stop for longer than span. Keys are capped (idle ones are
// pruned to make room), and so are the finished bursts.
type bursts struct {
	span      time.Duration
	threshold int
	maxItems  int // per window
	keys      boundedMap[*burstKey]
	done      []*aggregate
	doneLimit keyLimit
	seen      int
	// prefix starts the key of each burst's aggregate.
	prefix string
	// countRepeats adds earlier sightings of a window's items to the burst
	// it starts, not only their latest event.
	countRepeats bool
	// add adds e, an event of item id, to burst b.
	add func(b *aggregate, e *audit.Event, id string)
}

// observe records item id of key, seen in e at t.
func (s *bursts) observe(key, id string, e *audit.Event, t time.Time) {
	prune := func() { s.prune(t) }
	if s.seen++; s.seen%1024 == 0 {
		prune()
	}
	k, ok := s.keys.get(key, prune, func() *burstKey { return &burstKey{window: newWindow()} })
	if !ok {
		return
	}
	if k.advance(t, s.span) {
		s.close(k)
	}
	k.add(id, e, t, s.maxItems)

	if k.burst != nil && t.Sub(k.burst.last) <= s.span {
		// Overlapping window: the burst goes on.
		s.add(k.burst, e, id)
		return
	}
	// A burst that ended more than a window ago is done; the window
	// (already pruned) may start the next one.
	s.close(k)
	if k.len() < s.threshold {
		return
	}
	// A new burst: it starts with everything in the window.
	b := newAggregate(s.prefix + key)
	for _, it := range k.sorted() {
		s.add(b, it.ev, it.id)
		if s.countRepeats {
			b.count += it.n - 1
			b.allowed += it.allowed - boolInt(it.ev.Allowed())
			b.denied += (it.n - it.allowed) - boolInt(!it.ev.Allowed())
		}
	}
	k.burst = b
}

// close moves the key's open burst, if any, to the finished ones.
func (s *bursts) close(k *burstKey) {
	if k.burst == nil {
		return
	}
	if s.doneLimit.room(len(s.done)) {
		s.done = append(s.done, k.burst)
	}
	k.burst = nil
}

// prune closes and forgets keys idle for longer than a window.
func (s *bursts) prune(now time.Time) {
	for key, k := range s.keys.m {
		if k.idle(now, s.span) {
			s.close(k)
			delete(s.keys.m, key)
		}
	}
}

// all returns the finished bursts and the open ones, unsorted.
func (s *bursts) all() []*aggregate {
	out := slices.Clone(s.done)
	for _, k := range s.keys.m {
		if k.burst != nil {
			out = append(out, k.burst)
		}
	}
	return out
}

// dropped counts the events lost to the key and finished-burst limits.
func (s *bursts) dropped() int { return s.keys.dropped + s.doneLimit.dropped }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
