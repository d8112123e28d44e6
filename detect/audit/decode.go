package audit

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/kubegrant/kubegrant/scanner"
)

// The one-pass decoder of plain audit events.
//
// Nearly every line of a real log is one audit.k8s.io/v1 Event as the
// apiserver writes it. lineDecoder reads such a line in a single pass: it
// validates the JSON (RFC 8259 numbers, escapes and literals, no trailing
// data) and fills the normalised Event as it goes, with nothing in
// between (no generic decoder, no maps, no copy of the line). Strings that
// repeat from event to event (users, groups, verbs, resources,
// namespaces, reasons) are shared instead of allocated again.
//
// It decodes a line only when it can decode it exactly as encoding/json
// decodes it into record: anything else (another format's wrapper, a key
// that encoding/json would match case-insensitively or that repeats a
// field, a field of the wrong type, invalid UTF-8, a surrogate escape, an
// unusual timestamp) makes it give up, and the line takes the sequential
// path (streamer.record), which decodes it with encoding/json or reports
// it with its file and line. FuzzFastDecode checks that it accepts nothing
// encoding/json rejects and that what it accepts becomes the same Event.

// lineDecoder is one goroutine's decoding state: the line being read and
// the strings it shares between events.
type lineDecoder struct {
	data []byte
	i    int
	// buf holds the content of a string with escapes (valid until the
	// next string is read); escaped tells whether the last string had
	// escapes.
	buf     []byte
	escaped bool

	words   internTable // vocabulary: verbs, resources, namespaces, agents
	ids     internTable // identities: users, pods, nodes, reasons
	lists   map[string][]string
	reasons reasonCache
}

// Bounds of the shared strings: a decoder forgets them all when full, so
// memory does not grow with the log.
const (
	maxWords         = 1 << 12
	maxIDs           = 1 << 16
	maxSharedLen     = 256
	maxSharedLists   = 1 << 12
	maxSharedListLen = 1 << 10 // raw bytes of a list
)

// wireMeta is what stage de-duplication needs of an event.
type wireMeta struct {
	stage, auditID string
	sig            uint32 // signature (ResponseStarted and ResponseComplete only)
	hash           uint64 // trackHash of auditID and sig
	long           bool
}

// extras are the parts of an event normalisation reads besides Event's
// own fields.
type extras struct {
	hasRef       bool
	decision     string
	hasDecision  bool
	reason       string
	issued       string
	impersonated *User
}

// decode reads line, which starts with '{', into e. It reports false when
// the line is not a plain audit event it can decode exactly as
// encoding/json would (see above); e is then garbage. A RequestReceived or
// Panic event, never delivered, is validated but not normalised.
func (d *lineDecoder) decode(line []byte, src scanner.Source, e *Event) (wireMeta, bool) {
	d.data, d.i = line, 0
	*e = Event{}
	var x extras
	var slots annotationSlots
	if !d.event(e, &x, &slots) {
		return wireMeta{}, false
	}
	d.space()
	if d.i != len(d.data) || e.Verb == "" || e.User.Name == "" {
		return wireMeta{}, false
	}
	m := wireMeta{stage: e.Stage, auditID: e.AuditID, long: longRunning(e.Verb, e.Object.Subresource)}
	switch e.Stage {
	case "":
	case StageRequestReceived, StagePanic:
		return m, true
	case StageResponseStarted, StageResponseComplete:
		m.sig = signature(e.Verb, e.RequestURI)
		m.hash = trackHash(m.auditID, m.sig)
	default:
		return wireMeta{}, false // the sequential path reports it
	}
	x.decision, x.hasDecision = slots.get(annDecision)
	x.reason, _ = slots.get(annReason)
	x.issued, _ = slots.get(annIssued)
	e.Source = src
	finish(e, &x, &d.reasons)
	return m, true
}

// Fields of the top-level object (record), as bits for duplicates.
const (
	fLevel = 1 << iota
	fAuditID
	fStage
	fRequestURI
	fVerb
	fUser
	fImpersonated
	fSourceIPs
	fUserAgent
	fObjectRef
	fResponseStatus
	fRequestObject
	fResponseObject
	fReceived
	fStageTime
	fAnnotations
	fKind
)

// recordFields are the JSON names of record's fields, each of which
// encoding/json also matches case-insensitively. The first ones are those
// of a plain event (decoded here); the rest are other formats' (a line
// with one of them takes the sequential path).
var recordFields = []string{
	"level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "sourceIPs", "userAgent",
	"objectRef", "responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp",
	"stageTimestamp", "annotations", "kind",
	"timestamp", "metadata", "items", "records", "logEvents", "events", "entries", "protoPayload", "insertId",
	"labels", "operation", "message", "@message", "kubernetes", "_source", "category", "properties",
}

var (
	userFields      = []string{"username", "uid", "groups", "extra"}
	objectRefFields = []string{"resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "subresource"}
	statusFields    = []string{"code", "status", "reason", "message"}
)

// event reads the top-level object.
func (d *lineDecoder) event(e *Event, x *extras, slots *annotationSlots) bool {
	if !d.open('{') {
		return false
	}
	var seen uint32
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if d.escaped {
			return false // an escaped key: let encoding/json match it
		}
		var bit uint32
		switch string(key) {
		case "level":
			bit, ok = fLevel, d.word(&e.Level)
		case "auditID":
			bit, ok = fAuditID, d.unique(&e.AuditID)
		case "stage":
			bit, ok = fStage, d.word(&e.Stage)
		case "requestURI":
			bit, ok = fRequestURI, d.unique(&e.RequestURI)
		case "verb":
			bit, ok = fVerb, d.word(&e.Verb)
		case "user":
			bit, ok = fUser, d.user(&e.User)
		case "impersonatedUser":
			bit = fImpersonated
			if d.null() {
				x.impersonated = nil
			} else {
				u := &User{}
				ok = d.user(u)
				x.impersonated = u
			}
		case "sourceIPs":
			bit, ok = fSourceIPs, d.list(&e.SourceIPs)
		case "userAgent":
			bit, ok = fUserAgent, d.word(&e.UserAgent)
		case "objectRef":
			bit = fObjectRef
			x.hasRef = !d.null()
			if x.hasRef {
				ok = d.objectRef(&e.Object)
			}
		case "responseStatus":
			bit, ok = fResponseStatus, d.status(&e.Code)
		case "requestObject":
			bit, ok = fRequestObject, d.raw(&e.RequestObject)
		case "responseObject":
			bit, ok = fResponseObject, d.raw(&e.ResponseObject)
		case "requestReceivedTimestamp":
			bit, ok = fReceived, d.time(&e.Time)
		case "stageTimestamp":
			bit, ok = fStageTime, d.time(&e.StageTime)
		case "annotations":
			bit, ok = fAnnotations, d.annotations(slots)
		case "kind":
			var kind string
			bit, ok = fKind, d.word(&kind)
			ok = ok && (kind == "" || kind == "Event")
		default:
			if foldsTo(key, recordFields) {
				return false // another format's field, or a case variant
			}
			ok = d.skip(1)
		}
		if !ok || seen&bit != 0 {
			return false // a repeated field: encoding/json merges or overwrites
		}
		seen |= bit
	}
}

// user reads a user or impersonatedUser object (null leaves u as is).
func (d *lineDecoder) user(u *User) bool {
	if d.null() {
		return true
	}
	if !d.open('{') {
		return false
	}
	var seen uint32
	var extra extraSlots
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			break
		}
		if d.escaped {
			return false
		}
		var bit uint32
		switch string(key) {
		case "username":
			bit, ok = 1, d.identity(&u.Name)
		case "uid":
			bit, ok = 2, d.identity(&u.UID)
		case "groups":
			bit, ok = 4, d.list(&u.Groups)
		case "extra":
			bit, ok = 8, d.extra(&extra)
		default:
			if foldsTo(key, userFields) {
				return false
			}
			ok = d.skip(2)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	u.PodName = extra.get(extraPodName)
	u.PodUID = extra.get(extraPodUID)
	u.NodeName = extra.get(extraNodeName)
	u.CredentialID = extra.get(extraCredentialID)
	return true
}

// objectRef reads an objectRef object.
func (d *lineDecoder) objectRef(o *ObjectRef) bool {
	if !d.open('{') {
		return false
	}
	var seen uint32
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if d.escaped {
			return false
		}
		var bit uint32
		switch string(key) {
		case "resource":
			bit, ok = 1, d.word(&o.Resource)
		case "namespace":
			bit, ok = 2, d.word(&o.Namespace)
		case "name":
			bit, ok = 4, d.unique(&o.Name)
		case "uid":
			bit, ok = 8, d.ignoredString()
		case "apiGroup":
			bit, ok = 16, d.word(&o.Group)
		case "apiVersion":
			bit, ok = 32, d.word(&o.Version)
		case "subresource":
			bit, ok = 64, d.word(&o.Subresource)
		default:
			if foldsTo(key, objectRefFields) {
				return false
			}
			ok = d.skip(2)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
	}
}

// status reads a responseStatus object for its code.
func (d *lineDecoder) status(code *int) bool {
	if d.null() {
		return true
	}
	if !d.open('{') {
		return false
	}
	var seen uint32
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if d.escaped {
			return false
		}
		var bit uint32
		switch string(key) {
		case "code":
			bit, ok = 1, d.int(code)
		case "status":
			bit, ok = 2, d.ignoredString()
		case "reason":
			bit, ok = 4, d.ignoredString()
		case "message":
			bit, ok = 8, d.ignoredString()
		default:
			if foldsTo(key, statusFields) {
				return false
			}
			ok = d.skip(2)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
	}
}

// The annotations and user.extra keys normalisation reads, each also as
// Elastic's ingest pipeline writes it (underscored: the exact key wins
// when both are present, as annotation and extra look them up).
const (
	annDecision = iota
	annReason
	annIssued
	numAnnotations
)

const (
	extraPodName = iota
	extraPodUID
	extraNodeName
	extraCredentialID
	numExtras
)

var (
	annotationKeys = [numAnnotations]string{AnnotationDecision, AnnotationReason, AnnotationIssuedCredential}
	extraKeys      = [numExtras]string{ExtraPodName, ExtraPodUID, ExtraNodeName, ExtraCredentialID}
)

// keyIndex is the index of key among keys (exact, 2i; underscored, 2i+1),
// or -1.
func keyIndex(key []byte, keys []string, underscoredKeys []string) int {
	for i, k := range keys {
		if string(key) == k {
			return 2 * i
		}
		if string(key) == underscoredKeys[i] {
			return 2*i + 1
		}
	}
	return -1
}

var (
	underscoredAnnotations = underscoredAll(annotationKeys[:])
	underscoredExtras      = underscoredAll(extraKeys[:])
)

func underscoredAll(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = underscored(k)
	}
	return out
}

type slot struct {
	v  string
	ok bool
}

type annotationSlots [2 * numAnnotations]slot

func (s *annotationSlots) get(i int) (string, bool) {
	if s[2*i].ok {
		return s[2*i].v, true
	}
	return s[2*i+1].v, s[2*i+1].ok
}

type extraSlots [2 * numExtras]slot

// get is the first value of an extra key ("" when absent or empty).
func (s *extraSlots) get(i int) string {
	if s[2*i].ok {
		return s[2*i].v
	}
	return s[2*i+1].v
}

// annotations reads the annotations map (map[string]string).
func (d *lineDecoder) annotations(slots *annotationSlots) bool {
	if d.null() {
		return true
	}
	if !d.open('{') {
		return false
	}
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		i := keyIndex(key, annotationKeys[:], underscoredAnnotations)
		if d.peek() != '"' {
			return false // null or another type: the sequential path
		}
		if i < 0 {
			if !d.skipString() {
				return false
			}
			continue
		}
		s := &slots[i]
		if !d.stringOrNull(&s.v, annotationSharing[i/2]) {
			return false
		}
		s.ok = true
	}
}

// extra reads user.extra (map[string][]string), keeping the first value
// of the keys normalisation reads.
func (d *lineDecoder) extra(slots *extraSlots) bool {
	if d.null() {
		return true
	}
	if !d.open('{') {
		return false
	}
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		i := keyIndex(key, extraKeys[:], underscoredExtras)
		var s *slot
		if i >= 0 {
			s = &slots[i]
			*s = slot{ok: true}
		}
		if d.null() {
			continue
		}
		if !d.open('[') {
			return false
		}
		for n := 0; ; n++ {
			more, ok := d.element(n == 0)
			if !ok {
				return false
			}
			if !more {
				break
			}
			if d.peek() != '"' {
				return false
			}
			if s != nil && n == 0 {
				ok = d.stringOrNull(&s.v, extraSharing[i/2])
			} else {
				ok = d.skipString()
			}
			if !ok {
				return false
			}
		}
	}
}

// list reads an array of strings (null leaves out as is; [] is an empty,
// non-nil slice, as encoding/json makes it). Equal lists are shared.
func (d *lineDecoder) list(out *[]string) bool {
	if d.null() {
		return true
	}
	start := d.i
	if !d.open('[') {
		return false
	}
	n := 0
	for ; ; n++ {
		more, ok := d.element(n == 0)
		if !ok {
			return false
		}
		if !more {
			break
		}
		if d.peek() != '"' || !d.skipString() {
			return false
		}
	}
	if n == 0 {
		*out = emptyList
		return true
	}
	raw := d.data[start:d.i]
	if l, ok := d.lists[string(raw)]; ok {
		*out = l
		return true
	}
	end := d.i
	l := make([]string, 0, n)
	d.i = start
	d.open('[')
	for k := 0; k < n; k++ {
		d.element(k == 0)
		var s string
		d.identity(&s)
		l = append(l, s)
	}
	d.i = end
	if len(raw) <= maxSharedListLen {
		switch {
		case d.lists == nil:
			d.lists = map[string][]string{}
		case len(d.lists) >= maxSharedLists:
			clear(d.lists)
		}
		d.lists[string(raw)] = l
	}
	*out = l
	return true
}

var emptyList = []string{}

// raw reads any JSON value as raw bytes (aliasing the line, as
// Event.RequestObject and ResponseObject may). A null is kept as "null",
// as json.RawMessage keeps it.
func (d *lineDecoder) raw(out *json.RawMessage) bool {
	start := d.i
	if !d.skip(2) {
		return false
	}
	*out = d.data[start:d.i]
	return true
}

// time reads a timestamp as time.Time's UnmarshalJSON does (null leaves t
// zero): the apiserver's form (RFC 3339 in UTC with up to nine fractional
// digits) directly, any other string through UnmarshalJSON itself.
func (d *lineDecoder) time(t *time.Time) bool {
	if d.null() {
		return true
	}
	start := d.i
	if d.peek() != '"' {
		return false
	}
	s, ok := d.str()
	if !ok {
		return false
	}
	if !d.escaped {
		if tt, ok := parseUTC(s); ok {
			*t = tt
			return true
		}
	}
	return t.UnmarshalJSON(d.data[start:d.i]) == nil
}

// parseUTC parses YYYY-MM-DDTHH:MM:SS[.fraction]Z with 1 to 9 fractional
// digits, validating every field as time.Parse does.
func parseUTC(s []byte) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	nsec := 0
	switch frac := s[19 : len(s)-1]; {
	case len(frac) == 0:
	case len(frac) < 2 || len(frac) > 10 || frac[0] != '.':
		return time.Time{}, false
	default:
		n, ok := digits(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}

// int reads an integer as encoding/json reads it into an int: no
// fraction, no exponent (null leaves n as is).
func (d *lineDecoder) int(n *int) bool {
	if d.null() {
		return true
	}
	start := d.i
	if !d.number() {
		return false
	}
	b := d.data[start:d.i]
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 18 {
		return false
	}
	v, ok := digits(b)
	if !ok {
		return false // a fraction or an exponent: encoding/json refuses it
	}
	if neg {
		v = -v
	}
	*n = v
	return true
}

// sharing says whether a string field repeats from event to event, and
// how much: a repeated string is looked up instead of allocated again.
type sharing uint8

const (
	unshared   sharing = iota // rarely repeats (IDs, names, URIs): allocated
	vocabulary                // few values (verbs, resources, namespaces): a small table, hot in cache
	identity                  // users, pods, nodes, reasons: a larger table
)

var (
	annotationSharing = [numAnnotations]sharing{annDecision: vocabulary, annReason: identity, annIssued: unshared}
	extraSharing      = [numExtras]sharing{extraPodName: identity, extraPodUID: unshared, extraNodeName: identity, extraCredentialID: unshared}
)

// word reads a string of the vocabulary (null leaves out as is).
func (d *lineDecoder) word(out *string) bool { return d.stringOrNull(out, vocabulary) }

// identity reads a user, pod or node name (null leaves out as is).
func (d *lineDecoder) identity(out *string) bool { return d.stringOrNull(out, identity) }

// ignoredString validates a string (or null) the event does not keep.
func (d *lineDecoder) ignoredString() bool {
	return d.null() || d.peek() == '"' && d.skipString()
}

// unique reads a string that rarely repeats (null leaves out as is).
func (d *lineDecoder) unique(out *string) bool { return d.stringOrNull(out, unshared) }

func (d *lineDecoder) stringOrNull(out *string, how sharing) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '"':
	default:
		return false // a type encoding/json refuses for a string
	}
	s, ok := d.str()
	if !ok {
		return false
	}
	switch how {
	case vocabulary:
		*out = d.words.intern(s, maxWords)
	case identity:
		*out = d.ids.intern(s, maxIDs)
	default:
		*out = string(s)
	}
	return true
}

// internTable shares strings: it returns the same string for equal bytes,
// and forgets everything when it holds max strings, so that its memory is
// bounded.
type internTable struct {
	m map[string]string
}

func (t *internTable) intern(b []byte, max int) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := t.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= maxSharedLen {
		switch {
		case t.m == nil:
			t.m = map[string]string{}
		case len(t.m) >= max:
			clear(t.m)
		}
		t.m[s] = s
	}
	return s
}

// null consumes a null literal if there is one.
func (d *lineDecoder) null() bool {
	if d.peek() == 'n' && d.literal("null") {
		return true
	}
	return false
}

// peek is the byte at d.i, or 0 at the end.
func (d *lineDecoder) peek() byte {
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

// open consumes the opening c of an object or array.
func (d *lineDecoder) open(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// member moves to the next member of an object: after '{' when first,
// else after a value. It returns the member's key with d.i at its value,
// or more false after the closing brace.
func (d *lineDecoder) member(first bool) (key []byte, more, ok bool) {
	d.space()
	switch c := d.peek(); {
	case c == '}':
		d.i++
		return nil, false, true
	case !first && c == ',':
		d.i++
		d.space()
	case !first:
		return nil, false, false
	}
	if d.peek() != '"' {
		return nil, false, false
	}
	key, ok = d.str()
	if !ok {
		return nil, false, false
	}
	d.space()
	if d.peek() != ':' {
		return nil, false, false
	}
	d.i++
	d.space()
	return key, true, true
}

// element moves to the next element of an array, as member does.
func (d *lineDecoder) element(first bool) (more, ok bool) {
	d.space()
	switch c := d.peek(); {
	case c == ']':
		d.i++
		return false, true
	case !first && c == ',':
		d.i++
		d.space()
	case !first:
		return false, false
	}
	return true, true
}

func (d *lineDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// skip validates any JSON value at depth, without keeping it.
func (d *lineDecoder) skip(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	switch c := d.peek(); {
	case c == '{':
		d.i++
		for first := true; ; first = false {
			_, more, ok := d.member(first)
			if !ok {
				return false
			}
			if !more {
				return true
			}
			if !d.skip(depth + 1) {
				return false
			}
		}
	case c == '[':
		d.i++
		for first := true; ; first = false {
			more, ok := d.element(first)
			if !ok {
				return false
			}
			if !more {
				return true
			}
			if !d.skip(depth + 1) {
				return false
			}
		}
	case c == '"':
		return d.skipString()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return false
}

// maxJSONDepth bounds nesting (encoding/json allows 10,000; deeper than
// this takes the sequential path, which decides).
const maxJSONDepth = 1000

func (d *lineDecoder) literal(s string) bool {
	if len(d.data)-d.i < len(s) || string(d.data[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

func (d *lineDecoder) digitRun() bool {
	start := d.i
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// number validates a JSON number.
func (d *lineDecoder) number() bool {
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		d.digitRun()
	default:
		return false
	}
	if d.peek() == '.' {
		d.i++
		if !d.digitRun() {
			return false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digitRun() {
			return false
		}
	}
	return true
}

// plain marks the bytes that need no attention inside a string: not a
// quote, a backslash, a control character or a non-ASCII byte.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString validates the string at d.i.
func (d *lineDecoder) skipString() bool {
	_, ok := d.str()
	return ok
}

// str reads the string at d.i (its opening quote) and returns its content,
// unescaped: a slice of the line when it has no escapes, else of d.buf
// (valid until the next string). Invalid UTF-8 and surrogate escapes,
// which encoding/json replaces, make it fail.
func (d *lineDecoder) str() ([]byte, bool) {
	data := d.data
	i := d.i + 1
	start := i
	d.escaped = false
	for {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			return nil, false
		}
		switch c := data[i]; {
		case c == '"':
			d.i = i + 1
			return data[start:i], true
		case c == '\\':
			return d.strEscaped(start, i)
		case c < 0x20:
			return nil, false
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			i += size
		}
	}
}

// strEscaped continues str from the first backslash at i.
func (d *lineDecoder) strEscaped(start, i int) ([]byte, bool) {
	data := d.data
	d.escaped = true
	b := append(d.buf[:0], data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.i = i + 1
			d.buf = b
			return b, true
		case c == '\\':
			if i+1 >= len(data) {
				return nil, false
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				if i+6 > len(data) {
					return nil, false
				}
				var r rune
				for _, h := range data[i+2 : i+6] {
					switch {
					case h >= '0' && h <= '9':
						r = r<<4 | rune(h-'0')
					case h >= 'a' && h <= 'f':
						r = r<<4 | rune(h-'a'+10)
					case h >= 'A' && h <= 'F':
						r = r<<4 | rune(h-'A'+10)
					default:
						return nil, false
					}
				}
				if r >= 0xD800 && r <= 0xDFFF {
					return nil, false // surrogates: replaced differently
				}
				b = utf8.AppendRune(b, r)
				i += 6
				continue
			default:
				return nil, false
			}
			i += 2
		case c < 0x20:
			return nil, false
		case c < 0x80:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			b = append(b, data[i:i+size]...)
			i += size
		}
	}
	return nil, false
}

// foldsTo reports whether key matches one of names the way encoding/json
// matches object keys to struct fields (ignoring case) without being one
// of them exactly; a non-ASCII key might fold (the Kelvin and long-s
// signs) and counts as matching.
func foldsTo(key []byte, names []string) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	for _, n := range names {
		if len(n) == len(key) && equalFoldASCII(key, n) {
			return true
		}
	}
	return false
}

func equalFoldASCII(b []byte, s string) bool {
	for i, c := range b {
		t := s[i]
		if c == t {
			continue
		}
		if c|0x20 != t|0x20 || c|0x20 < 'a' || c|0x20 > 'z' {
			return false
		}
	}
	return true
}
