package detect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// ---- event helpers -------------------------------------------------------

func isVerb(e *audit.Event, verbs ...string) bool { return slices.Contains(verbs, e.Verb) }

// globs is a list of patterns where "*" matches any run of characters.
type globs []string

func (g globs) match(s string) bool {
	for _, p := range g {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// globMatch matches s against p where only "*" is special.
func globMatch(p, s string) bool {
	// Without allocating: this runs for every event and allow-list entry.
	star := strings.IndexByte(p, '*')
	if star < 0 {
		return p == s
	}
	if !strings.HasPrefix(s, p[:star]) {
		return false
	}
	s, p = s[len(p[:star]):], p[star+1:]
	for {
		star = strings.IndexByte(p, '*')
		if star < 0 {
			// The last part must end s.
			return len(s) >= len(p) && strings.HasSuffix(s, p)
		}
		part := p[:star]
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s, p = s[i+len(part):], p[star+1:]
	}
}

// saNamespace returns the namespace of a ServiceAccount user name
// "system:serviceaccount:ns:name", and false for any other user.
func saNamespace(user string) (ns string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", false
	}
	ns, name, ok := strings.Cut(rest, ":")
	return ns, ok && ns != "" && name != ""
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ---- aggregation ---------------------------------------------------------

// strSet is a small insertion-ordered set that keeps its first max values
// and counts the rest.
type strSet struct {
	vals  []string
	extra int
	max   int
}

func (s *strSet) add(v string) {
	if v == "" || slices.Contains(s.vals, v) {
		return
	}
	limit := s.max
	if limit == 0 {
		limit = 20
	}
	if len(s.vals) >= limit {
		s.extra++ // may count repeats beyond the cap: shown as "at least"
		return
	}
	s.vals = append(s.vals, v)
}

// String lists the values, sorted, with "+N more" when capped.
func (s *strSet) String() string {
	v := slices.Clone(s.vals)
	sort.Strings(v)
	out := strings.Join(v, ", ")
	if s.extra > 0 {
		out += fmt.Sprintf(" (+%d more)", s.extra)
	}
	return out
}

func (s *strSet) len() int { return len(s.vals) }

// aggregate is what one finding accumulates: counts, time span, first
// location, capped evidence, the actor and named attribute sets.
type aggregate struct {
	key             string
	count           int
	allowed, denied int
	first, last     time.Time
	src             scanner.Source
	evidence        []reports.Evidence
	user            string
	groups          []string
	ips             strSet
	agents          strSet
	reason          *audit.Reason
	rep             representative
	severity        reports.Severity
	attrs           map[string]*strSet
}

func newAggregate(key string) *aggregate {
	return &aggregate{key: key, ips: strSet{max: 10}, agents: strSet{max: 10}, attrs: map[string]*strSet{}}
}

func (a *aggregate) add(e *audit.Event, evCap int) {
	t := e.Time
	if a.count == 0 || earlier(e, a.rep) {
		// The earliest event stands for the finding (its location, actor
		// and reason), whatever order the files were read in.
		a.rep = representative{t: t, auditID: e.AuditID}
		a.src = e.Source
		a.user = e.User.Name
		a.groups = e.User.Groups
		a.reason = e.RBAC
	}
	if a.count == 0 {
		a.first, a.last = t, t
	}
	a.count++
	if e.Allowed() {
		a.allowed++
	} else {
		a.denied++
	}
	if !t.IsZero() && (a.first.IsZero() || t.Before(a.first)) {
		a.first = t
	}
	if t.After(a.last) {
		a.last = t
	}
	for _, ip := range e.SourceIPs {
		a.ips.add(ip)
	}
	a.agents.add(e.UserAgent)
	a.evidence = addEvidence(a.evidence, evidence(e), evCap)
}

// representative identifies the earliest event of an aggregate.
type representative struct {
	t       time.Time
	auditID string
}

// earlier reports whether e comes before the representative r: by time,
// then audit ID.
func earlier(e *audit.Event, r representative) bool {
	if !e.Time.Equal(r.t) {
		return e.Time.Before(r.t)
	}
	return e.AuditID < r.auditID
}

// addEvidence keeps the max earliest pieces of evidence, sorted by time
// then audit ID, so that the evidence of a finding does not depend on the
// order the files were read in.
func addEvidence(evs []reports.Evidence, ev reports.Evidence, max int) []reports.Evidence {
	i, _ := slices.BinarySearchFunc(evs, ev, func(a, b reports.Evidence) int {
		if c := strings.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.AuditID, b.AuditID)
	})
	if i >= max {
		return evs
	}
	if len(evs) >= max {
		evs = evs[:max-1]
	}
	return slices.Insert(evs, i, ev)
}

// evidence is the report's view of one event: identifiers only, never
// bodies or query strings. The user names both identities of an
// impersonated request ("alice (as bob)").
func evidence(e *audit.Event) reports.Evidence {
	return reports.Evidence{
		AuditID:   e.AuditID,
		Time:      rfc3339(e.Time),
		User:      e.Who(),
		Verb:      e.Verb,
		Resource:  e.Resource(),
		Namespace: e.Object.Namespace,
		Name:      e.Object.Name,
		SourceIP:  e.ClientIP(),
		UserAgent: e.UserAgent,
		Decision:  string(e.Decision),
	}
}

func (a *aggregate) attr(name string) *strSet {
	s := a.attrs[name]
	if s == nil {
		s = &strSet{}
		a.attrs[name] = s
	}
	return s
}

func (a *aggregate) raise(s reports.Severity) {
	if s.Rank() > a.severity.Rank() {
		a.severity = s
	}
}

// finding turns the aggregate into a detection finding of rule.
func (a *aggregate) finding(rule reports.Rule, msg string) reports.Finding {
	// The highest severity raised wins, lower than the rule's default
	// when every hit said so (an attempt that was denied).
	sev := rule.Severity
	if a.severity != "" {
		sev = a.severity
	}
	f := reports.Finding{
		RuleID:        rule.ID,
		Severity:      sev,
		Kind:          reports.KindDetection,
		Message:       msg,
		Location:      a.src,
		ExerciseCount: a.count,
		FirstSeen:     rfc3339(a.first),
		LastSeen:      rfc3339(a.last),
		Evidence:      slices.Clone(a.evidence),
		Actor: &reports.Actor{
			User:      a.user,
			Groups:    nonNil(slices.Clone(a.groups)),
			SourceIPs: nonNil(slices.Clone(a.ips.vals)),
		},
		// The key tells apart findings of one rule and actor; the report
		// turns it into the fingerprint (reports.Fingerprint).
		Key: a.key,
	}
	if len(a.agents.vals) > 0 {
		f.Actor.UserAgent = a.agents.vals[0]
	}
	if a.reason != nil {
		b, r, s := a.reason.Binding, a.reason.Role, a.reason.Subject
		f.Binding, f.Role, f.Subject = &b, &r, &s
		f.Scope = b.Namespace
	}
	return f
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keyed holds one aggregate per key, at most MaxKeys of them.
type keyed struct{ boundedMap[*aggregate] }

func newKeyed(max int) *keyed { return &keyed{newBoundedMap[*aggregate](max)} }

// get returns the key's aggregate, creating it, or nil when the limit is
// reached (counted in dropped).
func (k *keyed) get(key string) *aggregate {
	a, _ := k.boundedMap.get(key, nil, func() *aggregate { return newAggregate(key) })
	return a
}

// sorted returns the aggregates by first time, then key.
func (k *keyed) sorted() []*aggregate {
	out := make([]*aggregate, 0, len(k.m))
	for _, a := range k.m {
		out = append(out, a)
	}
	sortAggregates(out)
	return out
}

func sortAggregates(as []*aggregate) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].first.Equal(as[j].first) {
			return as[i].first.Before(as[j].first)
		}
		return as[i].key < as[j].key
	})
}

// ---- the common shape: one finding per key -------------------------------

// hit is what a per-event predicate extracts from a matching event. Its
// severity is the rule's when empty; the finding gets the highest of its
// hits'.
type hit struct {
	key      string
	attrs    map[string]string
	severity reports.Severity
}

// perKey is a detector that groups matching events by key into one finding
// each: most catalogue entries have this shape.
type perKey struct {
	rule    reports.Rule
	o       DetectOptions
	keys    *keyed
	match   func(e *audit.Event) (hit, bool)
	message func(a *aggregate) string
}

func newPerKey(o DetectOptions, rule reports.Rule, match func(*audit.Event) (hit, bool), message func(*aggregate) string) *perKey {
	return &perKey{rule: rule, o: o, keys: newKeyed(o.MaxKeys), match: match, message: message}
}

func (d *perKey) Rule() reports.Rule { return d.rule }

func (d *perKey) Observe(e *audit.Event) {
	h, ok := d.match(e)
	if !ok {
		return
	}
	a := d.keys.get(h.key)
	if a == nil {
		return
	}
	a.add(e, d.o.EvidenceCap)
	sev := h.severity
	if sev == "" {
		sev = d.rule.Severity
	}
	a.raise(sev)
	for k, v := range h.attrs {
		a.attr(k).add(v)
	}
}

func (d *perKey) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		out = append(out, a.finding(d.rule, d.message(a)))
	}
	return out
}

func (d *perKey) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(d.rule, d.keys.dropped, d.keys.max)
}

// plural renders "1 request" / "3 requests".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// outcome renders "allowed 2, denied 1" style counts.
func outcome(a *aggregate) string {
	return fmt.Sprintf("%d allowed, %d denied", a.allowed, a.denied)
}
