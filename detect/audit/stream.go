package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

// Defaults of StreamOptions.
const (
	// DefaultMaxDiagnostics is how many diagnostics Stream keeps when
	// StreamOptions.MaxDiagnostics is zero.
	DefaultMaxDiagnostics = 100
	// DefaultMaxTracked is how many auditIDs Stream remembers to drop the
	// later stages of an already delivered request.
	DefaultMaxTracked = 200_000
	// MaxLineBytes is the longest line Stream reads; a longer one is
	// reported and skipped. Real audit lines with RequestResponse bodies
	// reach a few MB.
	MaxLineBytes = 64 << 20
)

// readBufferSize is the read buffer of a file. Large reads (the chunks of
// parallel.go) bypass it.
const readBufferSize = 64 << 10

// readers recycles read buffers between files: a directory of small files
// would otherwise allocate one per file.
var readers sync.Pool

func newReader(r io.Reader, size int) *bufio.Reader {
	if size == readBufferSize {
		if br, ok := readers.Get().(*bufio.Reader); ok {
			br.Reset(r)
			return br
		}
	}
	return bufio.NewReaderSize(r, size)
}

func putReader(br *bufio.Reader) {
	if br.Size() == readBufferSize {
		br.Reset(nil)
		readers.Put(br)
	}
}

// StreamOptions configure Stream.
type StreamOptions struct {
	// Stdin is read for the source "-".
	Stdin io.Reader
	// Root makes a Source's File relative to it when the file is inside
	// it, so that reports do not depend on where the tool ran.
	Root string
	// MaxDiagnostics keeps at most this many diagnostics (default 100);
	// the rest are only counted in Stats.Errors and Stats.Warnings.
	MaxDiagnostics int
	// MaxTracked bounds the auditIDs remembered for stage de-duplication
	// (default 200,000); the oldest are forgotten first, so memory does
	// not grow with the log.
	MaxTracked int
	// Sequential reads JSON-lines files on the calling goroutine only,
	// with encoding/json (see parallel.go); the result is the same.
	Sequential bool
	// Since and Until, when set, bound the observation window: requests
	// before Since or after Until are counted in Stats.OutOfWindow and
	// not delivered.
	Since, Until time.Time
}

// Stats describes what Stream read.
//
// Every record (one audit event, in whatever wrapper) is counted exactly
// once: Records = Events + Duplicates + Partial + Skipped + Errors + OutOfWindow.
type Stats struct {
	// Files is the number of files (or stdin) read.
	Files int
	// Lines is the number of physical lines read.
	Lines int
	// Records is the number of records found in the input.
	Records int
	// Events is the number of requests delivered (one per auditID).
	Events int
	// Duplicates counts a second event for a stage already delivered for
	// the same auditID (within the MaxTracked window).
	Duplicates int
	// Partial counts the stages of a request that are not delivered:
	// RequestReceived, Panic, ResponseStarted of a short request, and the
	// ResponseComplete closing an already delivered long-running request.
	Partial int
	// Skipped counts records of a known cloud log format that are not
	// Kubernetes audit events (another AKS category, another GCP service).
	Skipped int
	// Errors counts malformed records and unreadable inputs.
	Errors int
	// OutOfWindow counts requests outside StreamOptions.Since/Until.
	OutOfWindow int
	// WithoutUserExtra counts the delivered requests read from a format
	// that does not record user.extra (GKE Cloud Logging entries): for
	// them the pod, node and credential ID of a ServiceAccount token are
	// unknown, whatever token was used.
	WithoutUserExtra int
	// Warnings counts warning diagnostics.
	Warnings int
	// Rejected are the files (or "-") that held records and none that was
	// an audit event: every record was malformed. A run over such a file
	// read nothing and must not pass for a clean one.
	Rejected []string
	// First and Last bound the observation window: the earliest and
	// latest request times of the delivered events.
	First, Last time.Time
	// Diagnostics are the first MaxDiagnostics problems, in input order.
	Diagnostics []scanner.Diagnostic
}

// Stream reads every audit event from sources and calls fn once per request
// (auditID), in a deterministic order: sources in the order given, the
// files of a directory (recursively) and of a glob in lexical order.
//
// A source is a file, a directory, a glob or "-" (opts.Stdin); gzip is
// recognised by its magic bytes and the format of each file by its content
// (see formats.go). The log is never held in memory: fn receives a reused
// *Event that it must not keep after it returns; its strings and slices
// may be kept, except RequestObject and ResponseObject.
//
// A source that does not exist is returned as an error before anything is
// read. Bad input (a malformed line, an unreadable file or directory entry)
// becomes a Diagnostic naming the file and line and the run goes on. An
// error returned by fn, or the context's, stops the run and is returned.
func Stream(ctx context.Context, sources []string, opts StreamOptions, fn func(*Event) error) (Stats, error) {
	s := &streamer{ctx: ctx, opts: opts, fn: fn}
	if s.opts.MaxDiagnostics <= 0 {
		s.opts.MaxDiagnostics = DefaultMaxDiagnostics
	}
	if s.opts.MaxTracked <= 0 {
		s.opts.MaxTracked = DefaultMaxTracked
	}
	s.seen = newTracker(s.opts.MaxTracked)
	if s.opts.Root != "" {
		if abs, err := filepath.Abs(s.opts.Root); err == nil {
			s.root = abs
		}
	}
	inputs, err := s.expand(sources)
	if err != nil {
		return s.stats, err
	}
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return s.stats, err
		}
		if err := s.readInput(in); err != nil {
			return s.stats, err
		}
	}
	return s.stats, nil
}

// input is one file to read, or stdin when path is "-".
type input struct {
	path string
	name string // as shown in diagnostics and Sources
}

// streamer holds the state of one Stream call.
type streamer struct {
	ctx   context.Context
	opts  StreamOptions
	fn    func(*Event) error
	root  string
	stats Stats
	seen  *tracker

	// dec decodes plain events; raw is the reused encoding/json target of
	// the other records, rec the record around it, and ev the reused
	// normalised event handed to fn.
	dec     lineDecoder
	raw     RawEvent
	rec     record
	ev      Event
	reasons reasonCache

	// file and line locate the record being processed.
	file string
	line int
	// skipped counts this file's skipped records for one warning per file.
	skipped int
	// n counts records to poll the context now and then.
	n int
}

// CheckSources reports the first audit log source that names nothing (a
// missing file, a glob that matches no file), so that a typo is reported
// before anything is scanned.
func CheckSources(sources []string) error {
	s := &streamer{}
	_, err := s.expand(sources)
	return err
}

// expand turns sources into the ordered list of files to read. It reports
// a source that does not exist as an error, and unreadable directory
// entries as diagnostics.
func (s *streamer) expand(sources []string) ([]input, error) {
	var out []input
	done := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if done[key] {
			return
		}
		done[key] = true
		out = append(out, input{path: p, name: s.display(p)})
	}
	for _, src := range sources {
		if src == "-" {
			if !done["-"] {
				done["-"] = true
				out = append(out, input{path: "-", name: "-"})
			}
			continue
		}
		fi, err := os.Stat(src)
		switch {
		case err == nil && fi.IsDir():
			s.walk(src, add)
		case err == nil:
			add(src)
		case errors.Is(err, fs.ErrNotExist) && hasMeta(src):
			matches, gerr := filepath.Glob(src)
			if gerr != nil {
				return nil, fmt.Errorf("audit log %s: %w", src, gerr)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("audit log %s: no file matches", src)
			}
			slices.Sort(matches)
			for _, m := range matches {
				if mi, err := os.Stat(m); err == nil && mi.IsDir() {
					s.walk(m, add)
				} else {
					add(m)
				}
			}
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("audit log %s: no such file or directory", src)
		default:
			return nil, fmt.Errorf("audit log %s: %w", src, err)
		}
	}
	return out, nil
}

// walk adds the regular files under dir in lexical order; entries it
// cannot read become diagnostics.
func (s *streamer) walk(dir string, add func(string)) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			s.diag(scanner.DiagError, scanner.Source{File: s.display(p)}, "cannot read: %s", errText(err))
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				s.diag(scanner.DiagError, scanner.Source{File: s.display(p)}, "cannot read: %s", errText(err))
				return nil
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		add(p)
		return nil
	})
}

// display is the name of p in diagnostics: relative to Root when inside.
func (s *streamer) display(p string) string {
	if s.root == "" {
		return filepath.ToSlash(p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(s.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// errText renders an I/O error without repeating the path (diagnostics
// carry it in their location).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readInput reads one file (or stdin) to the end.
func (s *streamer) readInput(in input) error {
	s.file, s.line, s.skipped = in.name, 0, 0
	s.stats.Files++
	var r io.Reader
	bufSize := readBufferSize // a small file gets a small buffer
	if in.path == "-" {
		if s.opts.Stdin == nil {
			s.diag(scanner.DiagError, scanner.Source{File: in.name}, "no standard input to read")
			return nil
		}
		r = s.opts.Stdin
	} else {
		f, err := os.Open(in.path)
		if err != nil {
			s.diag(scanner.DiagError, scanner.Source{File: in.name}, "cannot open: %s", errText(err))
			return nil
		}
		defer f.Close()
		r = f
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < readBufferSize {
			bufSize = max(int(fi.Size())+1, 16)
		}
	}
	records, errs := s.stats.Records, s.stats.Errors
	defer func() {
		if n := s.stats.Records - records; n > 0 && s.stats.Errors-errs >= n {
			s.stats.Rejected = append(s.stats.Rejected, in.name)
		}
	}()
	br := newReader(r, bufSize)
	defer putReader(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			s.diag(scanner.DiagError, scanner.Source{File: in.name}, "invalid gzip data: %s", errText(err))
			return nil
		}
		defer zr.Close()
		br = newReader(zr, readBufferSize)
		defer putReader(br)
	}
	err := s.readFormat(br)
	if s.skipped > 0 {
		s.diag(scanner.DiagWarning, scanner.Source{File: in.name},
			"%d records skipped: not Kubernetes audit events (another log category or service)", s.skipped)
	}
	return err
}

// readFormat sniffs the start of the content and reads it as JSON lines
// (possibly "timestamp {json}" lines) or as one or more multi-line JSON
// documents (an EventList, an array, a pretty-printed wrapper).
//
// It is a document when the first non-blank line opens an array, or opens
// an object that is not complete on that line and the next non-blank line
// is not an object of its own (so a JSON-lines log whose first line is
// truncated is still read line by line).
func (s *streamer) readFormat(br *bufio.Reader) error {
	// Skip a UTF-8 byte order mark.
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	lr := &lineReader{br: br}
	var pending []numbered // lines read while sniffing, copied
	nonBlank := 0
	for nonBlank < 2 && !lr.eof {
		line, err := lr.next()
		if errors.Is(err, errLineTooLong) {
			// Too long to be a pretty-printed document: lines.
			return s.readLines(lr, pending, lr.lines)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.stats.Lines += lr.lines
			s.readError(lr.lines, err)
			return nil
		}
		pending = append(pending, numbered{append([]byte(nil), line...), lr.lines})
		if len(bytes.TrimSpace(line)) > 0 {
			nonBlank++
			if nonBlank == 1 {
				t := bytes.TrimSpace(line)
				if t[0] != '{' || json.Valid(t) {
					break // lines
				}
			}
		}
	}
	var firstLine, second []byte
	for _, p := range pending {
		if t := bytes.TrimSpace(p.text); len(t) > 0 {
			if firstLine == nil {
				firstLine = t
			} else {
				second = t
			}
		}
	}
	doc := firstLine != nil && (firstLine[0] == '[' ||
		firstLine[0] == '{' && !json.Valid(firstLine) && second != nil && second[0] != '{')
	if doc {
		var replay []byte
		for _, p := range pending {
			replay = append(append(replay, p.text...), '\n')
		}
		var rest io.Reader = bytes.NewReader(replay)
		if !lr.eof {
			rest = io.MultiReader(rest, br)
		}
		return s.readDocuments(rest, 0)
	}
	return s.readLines(lr, pending, -1)
}

// numbered is a line already read, with its number.
type numbered struct {
	text []byte
	line int
}

// readLines reads one record per line, starting with the lines already
// read while sniffing (and a too long line at tooLongLine, if positive).
func (s *streamer) readLines(lr *lineReader, first []numbered, tooLongLine int) error {
	defer func() { s.stats.Lines += lr.lines }()
	for _, p := range first {
		if t := bytes.TrimSpace(p.text); len(t) > 0 {
			if err := s.record(t, p.line, 0); err != nil {
				return err
			}
		}
	}
	if tooLongLine > 0 {
		s.lineTooLong(tooLongLine)
	}
	if lr.eof {
		return nil
	}
	if !s.opts.Sequential {
		return s.readLinesParallel(lr)
	}
	for {
		line, err := lr.next()
		if errors.Is(err, errLineTooLong) {
			s.lineTooLong(lr.lines)
			if lr.eof {
				return nil
			}
			continue
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if rerr := s.record(t, lr.lines, 0); rerr != nil {
				return rerr
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.readError(lr.lines+1, err)
			}
			return nil
		}
	}
}

func (s *streamer) lineTooLong(line int) {
	s.stats.Records++
	s.recordError(line, "line longer than %d MB, skipped", MaxLineBytes>>20)
}

var errLineTooLong = errors.New("line too long")

// lineReader reads lines of any length up to MaxLineBytes without the
// bufio.Scanner token limit, reusing one buffer.
type lineReader struct {
	br    *bufio.Reader
	buf   []byte
	last  []byte // the last line returned (valid until the next call)
	lines int
	eof   bool
}

// next returns the next line without its line ending. At the end of input
// it returns the last (possibly empty) line with io.EOF. The line is valid
// until the next call.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	lr.last = nil
	tooLong := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				if len(lr.buf)+len(chunk) > MaxLineBytes {
					tooLong = true
					lr.buf = lr.buf[:0]
				} else {
					lr.buf = append(lr.buf, chunk...)
				}
			}
			continue
		}
		var line []byte
		if !tooLong {
			switch {
			case len(lr.buf) == 0:
				line = chunk // fast path: the line is in the reader's buffer
			case len(lr.buf)+len(chunk) > MaxLineBytes:
				tooLong = true
			default:
				lr.buf = append(lr.buf, chunk...)
				line = lr.buf
			}
		}
		if err == nil || len(chunk) > 0 || len(lr.buf) > 0 || tooLong {
			lr.lines++
		}
		if err != nil {
			lr.eof = true
		}
		if tooLong {
			if err == nil {
				return nil, errLineTooLong
			}
			return nil, errors.Join(errLineTooLong, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		lr.last = line
		return line, err
	}
}

// diag records a diagnostic, keeping at most MaxDiagnostics.
func (s *streamer) diag(severity string, loc scanner.Source, format string, args ...any) {
	switch severity {
	case scanner.DiagError:
		s.stats.Errors++
	default:
		s.stats.Warnings++
	}
	if len(s.stats.Diagnostics) >= s.opts.MaxDiagnostics {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if loc.File != "" {
		msg = loc.String() + ": " + msg
	}
	s.stats.Diagnostics = append(s.stats.Diagnostics, scanner.Diagnostic{Severity: severity, Message: msg, Location: loc})
}

// readErrorPrefix starts the diagnostic of an input that could not be
// read to its end: it is about the input, not about a record.
const readErrorPrefix = "reading: "

// readError reports that the current file could not be read past line.
func (s *streamer) readError(line int, err error) {
	s.diag(scanner.DiagError, scanner.Source{File: s.file, Line: line}, readErrorPrefix+"%s; rest of file skipped", errText(err))
}

// recordError reports a malformed record at line of the current file.
func (s *streamer) recordError(line int, format string, args ...any) {
	s.diag(scanner.DiagError, scanner.Source{File: s.file, Line: line}, format, args...)
}

// Request stages a request is delivered at.
const (
	trackStarted  uint8 = 1 << iota // delivered at ResponseStarted
	trackComplete                   // a ResponseComplete was seen
)

// admit decides whether ev is the one event of its request to deliver,
// counting the others. A request is its audit ID and its signature (verb
// and URI): clients may set the audit ID, so two requests can share one,
// and their stages must not be merged. A duplicate is the same request at
// the same stage.
func (s *streamer) admit(ev *RawEvent) (bool, error) {
	sub := ""
	if ev.ObjectRef != nil {
		sub = ev.ObjectRef.Subresource
	}
	m := wireMeta{stage: ev.Stage, auditID: ev.AuditID, long: longRunning(ev.Verb, sub), sig: signature(ev.Verb, ev.RequestURI)}
	m.hash = trackHash(m.auditID, m.sig)
	return s.admitStage(m)
}

// admitStage is admit with what it needs of the event.
func (s *streamer) admitStage(m wireMeta) (bool, error) {
	switch m.stage {
	case "":
		// Old traces without stages: every event is a request.
		return true, nil
	case StageRequestReceived, StagePanic:
		s.stats.Partial++
		return false, nil
	case StageResponseStarted:
		if !m.long {
			s.stats.Partial++
			return false, nil
		}
		return s.track(m, trackStarted, trackComplete), nil
	case StageResponseComplete:
		return s.track(m, trackComplete, trackStarted), nil
	default:
		return false, errUnknownStage
	}
}

var errUnknownStage = errors.New("unknown stage")

// track admits the stage own of a request (ResponseStarted or
// ResponseComplete) the first time it is seen, unless the request's other
// stage came first: it was delivered then (a long request's
// ResponseComplete closing it, or files read out of order). The same stage
// again is a duplicate.
func (s *streamer) track(m wireMeta, own, other uint8) bool {
	if m.auditID == "" {
		return true
	}
	k := trackKey{id: m.auditID, sig: m.sig}
	st := s.seen.get(k, m.hash)
	if st&own != 0 {
		s.stats.Duplicates++
		return false
	}
	s.seen.set(k, m.hash, st|own)
	if st&other != 0 {
		s.stats.Partial++
		return false
	}
	return true
}

// signature tells apart requests that share an audit ID: FNV-1a of the
// verb and request URI.
func signature(verb, requestURI string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(verb); i++ {
		h = (h ^ uint32(verb[i])) * 16777619
	}
	h = (h ^ ' ') * 16777619
	for i := 0; i < len(requestURI); i++ {
		h = (h ^ uint32(requestURI[i])) * 16777619
	}
	return h
}

// deliver normalises a valid event and hands it to fn if it is the
// request's delivered stage.
func (s *streamer) deliver(ev *RawEvent, line int) error {
	ok, err := s.admit(ev)
	if err != nil {
		s.recordError(line, "unknown stage %s", quoteShort([]byte(ev.Stage)))
		return nil
	}
	if !ok {
		return nil
	}
	normalize(ev, scanner.Source{File: s.file, Line: line}, &s.ev, &s.reasons)
	return s.emit(&s.ev)
}

// deliverDecoded is deliver for an event lineDecoder decoded (its stage
// is known: it decodes no other).
func (s *streamer) deliverDecoded(e *Event, m wireMeta) error {
	if ok, _ := s.admitStage(m); !ok {
		return nil
	}
	return s.emit(e)
}

// emit hands a request's delivered event to fn, within the window.
func (s *streamer) emit(e *Event) error {
	if !s.inWindow(e.Time) {
		s.stats.OutOfWindow++
		return nil
	}
	s.stats.Events++
	s.window(e.Time)
	return s.fn(e)
}

// inWindow reports whether a request time is within Since and Until.
func (s *streamer) inWindow(t time.Time) bool {
	return (s.opts.Since.IsZero() || !t.Before(s.opts.Since)) && (s.opts.Until.IsZero() || !t.After(s.opts.Until))
}

// window widens the observation window to t.
func (s *streamer) window(t time.Time) {
	if t.IsZero() {
		return
	}
	if s.stats.First.IsZero() || t.Before(s.stats.First) {
		s.stats.First = t
	}
	if t.After(s.stats.Last) {
		s.stats.Last = t
	}
}

// trackKey identifies a request: its audit ID and signature.
type trackKey struct {
	id  string
	sig uint32
}

// trackHash is the key of a request in tracker.m: FNV-1a (64 bits) of its
// audit ID and signature. The decoding workers compute it, so that the
// ordered path compares a string only when a request is seen again.
func trackHash(id string, sig uint32) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	for i := range 4 {
		h = (h ^ uint64(byte(sig>>(8*i)))) * 1099511628211
	}
	return h
}

// tracker is a bounded map of requests to the stages seen; when full it
// forgets the oldest request, so memory stays bounded on any log. Requests
// are found by their hash and compared in full: one whose hash another
// request already holds goes to other, so a collision never merges two
// requests.
type tracker struct {
	m     map[uint64]trackEntry
	other map[trackKey]uint8
	ring  []trackSlot
	next  int
	limit int
}

type trackEntry struct {
	key trackKey
	st  uint8
}

type trackSlot struct {
	h   uint64
	key trackKey
}

func newTracker(limit int) *tracker {
	// The map grows with use: a small log costs little.
	return &tracker{m: map[uint64]trackEntry{}, limit: limit}
}

// get is the stages seen of request k, whose hash is h.
func (t *tracker) get(k trackKey, h uint64) uint8 {
	if e, ok := t.m[h]; ok && e.key == k {
		return e.st
	}
	if len(t.other) > 0 {
		return t.other[k]
	}
	return 0
}

// set records the stages seen of request k, whose hash is h.
func (t *tracker) set(k trackKey, h uint64, v uint8) {
	e, taken := t.m[h]
	if taken && e.key == k {
		t.m[h] = trackEntry{k, v}
		return
	}
	if _, ok := t.other[k]; ok {
		t.other[k] = v
		return
	}
	if len(t.ring) < t.limit {
		t.ring = append(t.ring, trackSlot{h, k})
	} else {
		old := t.ring[t.next]
		if e, ok := t.m[old.h]; ok && e.key == old.key {
			delete(t.m, old.h)
		} else {
			delete(t.other, old.key)
		}
		t.ring[t.next] = trackSlot{h, k}
		t.next = (t.next + 1) % t.limit
	}
	if taken {
		if t.other == nil {
			t.other = map[trackKey]uint8{}
		}
		t.other[k] = v
		return
	}
	t.m[h] = trackEntry{k, v}
}
