package audit

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/kubegrant/kubegrant/scanner"
)

// Parallel decoding of JSON-lines logs.
//
// A JSON-lines file is cut into line-aligned chunks that worker goroutines
// decode and normalise (one per CPU) with lineDecoder (decode.go); the
// stream takes the chunks back in order, so that stage de-duplication,
// statistics and the callback see the records exactly as a sequential
// read would. A line lineDecoder does not take (another format, invalid
// JSON, a field of the wrong type) goes to the sequential path (record),
// which reads it with encoding/json and reports problems with their file
// and line.
//
// Memory is bounded: a stream owns a fixed number of chunks, each a buffer
// the file is read into (never copied again: events alias it until they
// are consumed) and the items decoded from it, and recycles them. A chunk
// is read only when one is free, so reading waits for the slowest of the
// workers and the callback.

// chunkSize is how much of a file one worker decodes at a time; the first
// chunks of a file are smaller (firstChunkSize, doubling), so that a small
// file costs little.
const (
	chunkSize      = 1 << 20
	firstChunkSize = 16 << 10
)

// chunk is a line-aligned piece of a file and what a worker made of it.
type chunk struct {
	buf       []byte // owned, reused
	data      []byte // the lines, in buf
	firstLine int    // line number of the first line in data
	lines     int    // physical lines in data
	tooLong   int    // when > 0, a line longer than MaxLineBytes at this line, data empty
	items     []item
	decoded   chan struct{} // a worker sends once items are ready
}

// item is one non-blank line of a chunk: a decoded event, or a line for
// the sequential path.
type item struct {
	line int
	slow bool
	text []byte // the trimmed line when slow
	meta wireMeta
	ev   Event
}

// readLinesParallel reads the rest of lr's input as JSON lines with
// workers.
func (s *streamer) readLinesParallel(lr *lineReader) error {
	sp := &splitter{r: lr.br, line: lr.lines + 1, size: firstChunkSize}
	first := newChunk()
	if !sp.next(first) {
		return s.endLines(sp, lr)
	}
	if sp.eof {
		// All of it in one chunk: no goroutines for a small file.
		s.dec.decodeChunk(first, s.file)
		if err := s.consume(first, lr); err != nil {
			return err
		}
		return s.endLines(sp, lr)
	}

	workers := runtime.GOMAXPROCS(0)
	maxChunks := 2*workers + 2
	free := make(chan *chunk, maxChunks)
	work := make(chan *chunk, maxChunks)
	ordered := make(chan *chunk, maxChunks)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d lineDecoder
			for c := range work {
				d.decodeChunk(c, s.file)
				c.decoded <- struct{}{}
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		// At most maxChunks chunks exist: the sends never block.
		defer close(work)
		defer close(ordered)
		c, made := first, 1
		for {
			ordered <- c
			work <- c
			select {
			case c = <-free:
			case <-stop:
				return
			default:
				if made < maxChunks {
					c = newChunk()
					made++
				} else {
					select {
					case c = <-free:
					case <-stop:
						return
					}
				}
			}
			if !sp.next(c) {
				return
			}
		}
	}()
	var fnErr error
	for c := range ordered {
		<-c.decoded
		if fnErr == nil {
			if fnErr = s.consume(c, lr); fnErr != nil {
				close(stop)
			}
		}
		c.recycle()
		free <- c
	}
	wg.Wait()
	if fnErr != nil {
		return fnErr
	}
	return s.endLines(sp, lr)
}

// endLines reports a read error that ended the input early.
func (s *streamer) endLines(sp *splitter, lr *lineReader) error {
	lr.eof = true
	if sp.err != nil {
		s.readError(lr.lines+1, sp.err)
	}
	return nil
}

func newChunk() *chunk { return &chunk{decoded: make(chan struct{}, 1)} }

// recycle drops what a consumed chunk no longer needs: a buffer grown for
// a long line, and the items' references into the buffer.
func (c *chunk) recycle() {
	if cap(c.buf) > 2*chunkSize {
		c.buf = nil
	}
	c.data = nil
	if cap(c.items) > 2*chunkSize/256 {
		c.items = nil
	}
}

// consume processes a decoded chunk in order.
func (s *streamer) consume(c *chunk, lr *lineReader) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	defer func() { lr.lines = c.firstLine + c.lines - 1 }()
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
		if err := s.deliverDecoded(&it.ev, it.meta); err != nil {
			return err
		}
	}
	return nil
}

// splitter cuts a reader into line-aligned chunks. A line longer than
// MaxLineBytes becomes a chunk of its own, marked tooLong, and is skipped.
type splitter struct {
	r        io.Reader
	line     int    // number of the next line
	size     int    // how much to read next (grows to chunkSize)
	carry    []byte // the start of a line cut by the last read
	skipping bool   // inside a line that is too long
	eof      bool
	err      error // a read error other than the end of input
}

// next fills c with the next chunk and reports whether there was one.
func (sp *splitter) next(c *chunk) bool {
	c.data, c.lines, c.tooLong = nil, 0, 0
	for !sp.eof {
		size := sp.size
		if sp.size < chunkSize {
			sp.size *= 2
		}
		if len(sp.carry) > size {
			// A long line: read as much again, so that it is copied a
			// bounded number of times.
			size = min(len(sp.carry), max(MaxLineBytes+1-len(sp.carry), chunkSize))
		}
		n := len(sp.carry) + size
		if cap(c.buf) < n {
			c.buf = make([]byte, n)
		}
		buf := c.buf[:n]
		copy(buf, sp.carry)
		got, err := io.ReadFull(sp.r, buf[len(sp.carry):])
		buf = buf[:len(sp.carry)+got]
		sp.carry = sp.carry[:0]
		if err != nil {
			sp.eof = true
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				sp.err = err
			}
		}
		if sp.skipping {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				continue
			}
			buf = buf[i+1:]
			sp.skipping = false
			sp.line++
		}
		cut := len(buf)
		if !sp.eof {
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut == 0 {
				if len(buf) > MaxLineBytes {
					c.firstLine, c.lines, c.tooLong = sp.line, 1, sp.line
					sp.skipping = true
					sp.carry = nil
					return true
				}
				sp.carry = append(sp.carry, buf...)
				continue
			}
		}
		sp.carry = append(sp.carry, buf[cut:]...)
		if cap(sp.carry) > 2*chunkSize && len(sp.carry) <= chunkSize {
			sp.carry = append([]byte(nil), sp.carry...)
		}
		data := buf[:cut]
		if len(data) == 0 {
			continue
		}
		lines := bytes.Count(data, []byte{'\n'})
		if data[len(data)-1] != '\n' {
			lines++
		}
		c.data, c.firstLine, c.lines = data, sp.line, lines
		sp.line += lines
		return true
	}
	return false
}

// decodeChunk fills c.items from c.data; file names the source.
func (d *lineDecoder) decodeChunk(c *chunk, file string) {
	data := c.data
	line := c.firstLine
	c.items = c.items[:0]
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
			if len(c.items) < cap(c.items) {
				c.items = c.items[:len(c.items)+1]
			} else {
				c.items = append(c.items, item{})
			}
			it := &c.items[len(c.items)-1]
			it.line, it.slow, it.text = line, false, nil
			ok := false
			if text[0] == '{' {
				it.meta, ok = d.decode(text, scanner.Source{File: file, Line: line}, &it.ev)
			}
			if !ok {
				it.slow, it.text = true, text
			}
		}
		line++
	}
}
