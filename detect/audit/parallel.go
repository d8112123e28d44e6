package audit

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/kubegrant/kubegrant/scanner"
)

// Parallel decoding of JSON-lines logs.
//
// A JSON-lines file is cut into line-aligned chunks that worker goroutines
// decode and normalise (one per CPU); the stream takes the chunks back in
// order, so that stage de-duplication, statistics and the callback see the
// records exactly as a sequential read would. A worker decodes a line with
// goccy/go-json when it is a plain audit event; anything else (a wrapper,
// another format, invalid JSON, a field of the wrong type) goes to the
// sequential path (record), which reads it with encoding/json and reports
// problems with their file and line. FuzzFastDecode checks that the fast
// path accepts nothing encoding/json rejects and decodes what it accepts
// the same way.

// chunkSize is how much of a file one worker decodes at a time.
const chunkSize = 1 << 20

// chunk is a line-aligned piece of a file and what the workers made of it.
type chunk struct {
	data      []byte
	buf       []byte // data's buffer, back to the pool once consumed
	firstLine int    // line number of the first line in data
	lines     int    // physical lines in data
	tooLong   int    // when > 0, a line longer than MaxLineBytes at this line, data empty
	items     []item
	done      chan struct{}
}

// item is one non-blank line of a chunk: a decoded event, or a line for
// the sequential path.
type item struct {
	line int
	text []byte // the trimmed line when slow
	slow bool
	ev   Event
	// What admit needs of the wire event.
	stage, auditID string
	sig            uint32
	long           bool
}

// readLinesParallel reads the rest of lr's input as JSON lines with
// workers.
func (s *streamer) readLinesParallel(lr *lineReader) error {
	workers := runtime.GOMAXPROCS(0)
	chunks := make(chan *chunk, 2*workers)
	ordered := make(chan *chunk, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &decoder{file: s.file}
			for c := range chunks {
				w.decode(c)
				close(c.done)
			}
		}()
	}
	stop := make(chan struct{})
	var readErr error
	go func() {
		defer close(chunks)
		defer close(ordered)
		readErr = splitChunks(lr, lr.lines, func(c *chunk) bool {
			c.done = make(chan struct{})
			select {
			case ordered <- c:
			case <-stop:
				return false
			}
			chunks <- c
			return true
		})
	}()
	var fnErr error
	for c := range ordered {
		<-c.done
		if fnErr != nil {
			continue
		}
		fnErr = s.consume(c)
		lr.lines = c.firstLine + c.lines - 1
		putBuffer(c.buf)
		items := c.items[:0]
		itemSlices.Put(&items)
		c.items = nil
		if fnErr != nil {
			close(stop)
		}
	}
	wg.Wait()
	if fnErr != nil {
		return fnErr
	}
	if readErr != nil && !errors.Is(readErr, io.EOF) {
		s.diag(scanner.DiagError, scanner.Source{File: s.file, Line: lr.lines + 1}, "reading: %s; rest of file skipped", errText(readErr))
	}
	return nil
}

// consume processes a decoded chunk in order.
func (s *streamer) consume(c *chunk) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if c.tooLong > 0 {
		s.lineTooLong(c.tooLong)
		return nil
	}
	for i := range c.items {
		it := &c.items[i]
		if it.slow {
			if err := s.record(it.text, it.line, 0); err != nil {
				return err
			}
			continue
		}
		s.stats.Records++
		ok, err := s.admitItem(it)
		if err != nil {
			// Unknown stages never take the fast path.
			return err
		}
		if !ok {
			continue
		}
		if !s.inWindow(it.ev.Time) {
			s.stats.OutOfWindow++
			continue
		}
		s.stats.Events++
		s.window(it.ev.Time)
		if err := s.fn(&it.ev); err != nil {
			return err
		}
	}
	return nil
}

// splitChunks cuts the rest of lr's input into line-aligned chunks and
// hands them to emit in order; base is the number of lines already read.
// A line longer than MaxLineBytes becomes a chunk of its own, marked
// tooLong, and is skipped.
func splitChunks(lr *lineReader, base int, emit func(*chunk) bool) error {
	line := base + 1
	var carry []byte
	skipping := false // inside a line that is too long
	for {
		size := chunkSize + chunkSize/8
		if len(carry)+chunkSize > size {
			size = len(carry) + chunkSize
		}
		buf := getBuffer(size)[:len(carry)]
		copy(buf, carry)
		n, err := io.ReadFull(lr.br, buf[len(carry):len(carry)+chunkSize])
		buf = buf[:len(carry)+n]
		carry = nil
		eof := err != nil
		if skipping {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				if eof {
					lr.eof = true
					return err
				}
				continue
			}
			buf = buf[i+1:]
			skipping = false
			line++
		}
		cut := len(buf)
		if !eof {
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut == 0 {
				if len(buf) > MaxLineBytes {
					if !emit(&chunk{firstLine: line, lines: 1, tooLong: line}) {
						return nil
					}
					skipping = true
					continue
				}
				carry = buf
				continue
			}
		}
		data := buf[:cut]
		carry = buf[cut:]
		if len(data) > 0 {
			lines := bytes.Count(data, []byte{'\n'})
			if data[len(data)-1] != '\n' {
				lines++
			}
			if !emit(&chunk{data: data, buf: buf, firstLine: line, lines: lines}) {
				return nil
			}
			line += lines
		}
		if eof {
			lr.eof = true
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return err
		}
	}
}

// itemSlices recycles the decoded items of consumed chunks.
var itemSlices sync.Pool

// buffers recycles chunk buffers: a large log would otherwise allocate
// (and clear) its size again.
var buffers sync.Pool

func getBuffer(n int) []byte {
	if b, ok := buffers.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

func putBuffer(b []byte) {
	if cap(b) == chunkSize+chunkSize/8 {
		buffers.Put(&b)
	}
}

// decoder is one worker's state: reused decoding targets and its own
// reason cache.
type decoder struct {
	file    string
	raw     RawEvent
	reasons reasonCache
}

// decode fills c.items.
func (w *decoder) decode(c *chunk) {
	data := c.data
	line := c.firstLine
	if p, ok := itemSlices.Get().(*[]item); ok && cap(*p) >= c.lines {
		c.items = (*p)[:0]
	} else {
		c.items = make([]item, 0, c.lines)
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var text []byte
		if i < 0 {
			text, data = data, nil
		} else {
			text, data = data[:i], data[i+1:]
		}
		text = bytes.TrimSpace(text)
		if len(text) > 0 {
			c.items = append(c.items, item{line: line})
			it := &c.items[len(c.items)-1]
			if !w.fast(text, it) {
				it.slow, it.text = true, text
			}
		}
		line++
	}
}

// fast decodes text into it when it is a plain, valid audit event with a
// known stage, and reports whether it did.
func (w *decoder) fast(text []byte, it *item) bool {
	if text[0] != '{' {
		return false
	}
	w.raw = RawEvent{}
	if !fastDecode(text, &w.raw) {
		return false
	}
	r := &w.raw
	switch r.Stage {
	case "", StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
	default:
		return false
	}
	it.stage, it.auditID, it.long = r.Stage, r.AuditID, rawLongRunning(r)
	if r.Stage == StageResponseStarted || r.Stage == StageResponseComplete {
		it.sig = signature(r)
	}
	if r.Stage == StageRequestReceived || r.Stage == StagePanic {
		return true // counted, never delivered: no need to normalise
	}
	normalize(r, scanner.Source{File: w.file, Line: it.line}, &it.ev, &w.reasons)
	return true
}

// fastDecode decodes one line into r with goccy/go-json and reports
// whether it is a plain audit event the sequential path would deliver as
// is (strictLine), with a verb and a user.
func fastDecode(text []byte, r *RawEvent) bool {
	if !strictLine(text) || gojson.Unmarshal(text, r) != nil {
		return false
	}
	return r.Verb != "" && r.User.Username != ""
}

// admitItem is admit for a decoded item.
func (s *streamer) admitItem(it *item) (bool, error) {
	r := RawEvent{Stage: it.stage, AuditID: it.auditID}
	return s.admitStage(&r, it.long, it.sig)
}
