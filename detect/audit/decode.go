package audit

import (
	"encoding/json"
	"time"

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

// Fields of the top-level object (record), by index in recordFields.
const (
	fLevel = iota
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
	numEventFields // the fields after these are other formats'
)

// recordFields are the JSON names of record's fields, each of which
// encoding/json also matches case-insensitively. The first numEventFields
// are those of a plain event (decoded here); a line with one of the others
// is another format's and takes the sequential path.
var recordFields = newFieldSet(
	"level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "sourceIPs", "userAgent",
	"objectRef", "responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp",
	"stageTimestamp", "annotations", "kind",
	"timestamp", "metadata", "items", "records", "logEvents", "events", "entries", "protoPayload", "insertId",
	"labels", "operation", "message", "@message", "kubernetes", "_source", "category", "properties",
)

var (
	userFields      = newFieldSet("username", "uid", "groups", "extra")
	objectRefFields = newFieldSet("resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "subresource")
	statusFields    = newFieldSet("code", "status", "reason", "message")
)

// fieldSet is the JSON field names of a struct.
type fieldSet struct {
	names []string
	index map[string]int
}

func newFieldSet(names ...string) fieldSet {
	f := fieldSet{names: names, index: map[string]int{}}
	for i, n := range names {
		f.index[n] = i
	}
	return f
}

// fields reads the object at d.i as encoding/json decodes it into a struct
// whose fields are fs (at depth, 1 for the line's object): field is called
// with the index of each member's key in fs, d.i at its value, and must
// consume the value. Another key is validated and skipped, unless
// encoding/json would still match it to a field (another case, an escape,
// a non-ASCII key that might fold), which fails, as a repeated field does
// (encoding/json merges or overwrites). null leaves the struct as is.
func (d *lineDecoder) fields(fs *fieldSet, depth int, field func(i int) bool) bool {
	var seen uint64
	return d.members(func(key []byte) bool {
		if d.escaped {
			return false
		}
		i, known := fs.index[string(key)]
		switch {
		case !known:
			return !foldsTo(key, fs.names) && d.skip(depth)
		case seen&(1<<i) != 0:
			return false
		}
		seen |= 1 << i
		return field(i)
	})
}

// event reads the top-level object.
func (d *lineDecoder) event(e *Event, x *extras, slots *annotationSlots) bool {
	if d.peek() != '{' {
		return false
	}
	return d.fields(&recordFields, 1, func(i int) bool {
		switch i {
		case fLevel:
			return d.word(&e.Level)
		case fAuditID:
			return d.unique(&e.AuditID)
		case fStage:
			return d.word(&e.Stage)
		case fRequestURI:
			return d.unique(&e.RequestURI)
		case fVerb:
			return d.word(&e.Verb)
		case fUser:
			return d.user(&e.User)
		case fImpersonated:
			if d.null() {
				return true
			}
			x.impersonated = &User{}
			return d.user(x.impersonated)
		case fSourceIPs:
			return d.list(&e.SourceIPs)
		case fUserAgent:
			return d.word(&e.UserAgent)
		case fObjectRef:
			if d.null() {
				return true
			}
			x.hasRef = true
			return d.objectRef(&e.Object)
		case fResponseStatus:
			return d.status(&e.Code)
		case fRequestObject:
			return d.raw(&e.RequestObject)
		case fResponseObject:
			return d.raw(&e.ResponseObject)
		case fReceived:
			return d.time(&e.Time)
		case fStageTime:
			return d.time(&e.StageTime)
		case fAnnotations:
			return d.annotations(slots)
		case fKind:
			var kind string
			return d.word(&kind) && (kind == "" || kind == "Event")
		}
		return false // another format's field
	})
}

// user reads a user or impersonatedUser object (null leaves u as is).
func (d *lineDecoder) user(u *User) bool {
	var extra extraSlots
	ok := d.fields(&userFields, 2, func(i int) bool {
		switch i {
		case 0:
			return d.identity(&u.Name)
		case 1:
			return d.identity(&u.UID)
		case 2:
			return d.list(&u.Groups)
		default:
			return d.extra(&extra)
		}
	})
	u.PodName = extra.get(extraPodName)
	u.PodUID = extra.get(extraPodUID)
	u.NodeName = extra.get(extraNodeName)
	u.CredentialID = extra.get(extraCredentialID)
	return ok
}

// objectRef reads an objectRef object.
func (d *lineDecoder) objectRef(o *ObjectRef) bool {
	return d.fields(&objectRefFields, 2, func(i int) bool {
		switch i {
		case 0:
			return d.word(&o.Resource)
		case 1:
			return d.word(&o.Namespace)
		case 2:
			return d.unique(&o.Name)
		case 3:
			return d.ignoredString() // uid
		case 4:
			return d.word(&o.Group)
		case 5:
			return d.word(&o.Version)
		default:
			return d.word(&o.Subresource)
		}
	})
}

// status reads a responseStatus object for its code.
func (d *lineDecoder) status(code *int) bool {
	return d.fields(&statusFields, 2, func(i int) bool {
		if i == 0 {
			return d.int(code)
		}
		return d.ignoredString() // status, reason, message
	})
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
	return d.members(func(key []byte) bool {
		i := keyIndex(key, annotationKeys[:], underscoredAnnotations)
		switch {
		case d.peek() != '"':
			return false // null or another type: the sequential path
		case i < 0:
			return d.skipString()
		}
		slots[i].ok = true
		return d.stringOrNull(&slots[i].v, annotationSharing[i/2])
	})
}

// extra reads user.extra (map[string][]string), keeping the first value
// of the keys normalisation reads.
func (d *lineDecoder) extra(slots *extraSlots) bool {
	return d.members(func(key []byte) bool {
		i := keyIndex(key, extraKeys[:], underscoredExtras)
		var s *slot
		if i >= 0 {
			s = &slots[i]
			*s = slot{ok: true}
		}
		if d.null() {
			return true
		}
		return d.elements(func(n int) bool {
			switch {
			case d.peek() != '"':
				return false
			case s != nil && n == 0:
				return d.stringOrNull(&s.v, extraSharing[i/2])
			}
			return d.skipString()
		})
	})
}

// list reads an array of strings (null leaves out as is; [] is an empty,
// non-nil slice, as encoding/json makes it). Equal lists are shared.
func (d *lineDecoder) list(out *[]string) bool {
	if d.null() {
		return true
	}
	start := d.i
	n := 0
	if !d.elements(func(int) bool { n++; return d.peek() == '"' && d.skipString() }) {
		return false
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
	d.elements(func(int) bool {
		var s string
		d.identity(&s)
		l = append(l, s)
		return true
	})
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
