package reports

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"

	json "github.com/goccy/go-json"
)

// jsonWriter writes the JSON contract of docs/report.md: the finalized
// Report, indented by two spaces, with a trailing newline. HTML characters
// are not escaped, so messages and descriptions stay readable.
//
// Findings are encoded one at a time into the stream: a report of hundreds
// of thousands of findings is never held as one indented document. The
// bytes are the same as encoding the whole report at once.
type jsonWriter struct{}

var _ Writer = (*jsonWriter)(nil)

// findingsMarker is where the findings go in the encoded shell.
var findingsMarker = []byte("\n  \"findings\": []")

func (*jsonWriter) Write(w io.Writer, r *Report) error {
	r = finalized(r)
	shell := *r
	shell.Findings = []Finding{}
	var head bytes.Buffer
	if err := encoder(&head, "").Encode(&shell); err != nil {
		return fmt.Errorf("writing json report: %w", err)
	}
	i := bytes.Index(head.Bytes(), findingsMarker)
	if i < 0 {
		return fmt.Errorf("writing json report: no findings in the encoded report")
	}
	cut := i + len(findingsMarker) - 1 // just after "["
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(head.Bytes()[:cut])
	if err := encodeFindings(bw, r.Findings); err != nil {
		return fmt.Errorf("writing json report: %w", err)
	}
	if len(r.Findings) > 0 {
		bw.WriteString("\n  ")
	}
	bw.Write(head.Bytes()[cut:])
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing json report: %w", err)
	}
	return nil
}

// findingsChunk is how many findings one goroutine encodes at a time.
const findingsChunk = 64

// encodeFindings writes the findings as the elements of the indented
// findings array, each on its own lines after a comma and a newline.
// Chunks of findings are encoded on every core and written in order, with
// at most one chunk per core in flight (a finding of an identity that
// thousands of grants give can be megabytes).
func encodeFindings(w *bufio.Writer, findings []Finding) error {
	type chunk struct {
		buf, one bytes.Buffer // the chunk; one finding
		err      error
	}
	n := (len(findings) + findingsChunk - 1) / findingsChunk
	done := make([]chan *chunk, n)
	for i := range done {
		done[i] = make(chan *chunk, 1)
	}
	workers := runtime.GOMAXPROCS(0)
	slots := make(chan struct{}, workers)
	// Written chunks are reused: their buffers have grown already.
	free := make(chan *chunk, workers+1)
	go func() {
		for i := range n {
			slots <- struct{}{}
			go func() {
				var c *chunk
				select {
				case c = <-free:
					c.buf.Reset()
				default:
					c = &chunk{}
				}
				enc := encoder(&c.one, "    ")
				for k := i * findingsChunk; k < min(len(findings), (i+1)*findingsChunk); k++ {
					c.one.Reset()
					if c.err = enc.Encode(&findings[k]); c.err != nil {
						break
					}
					if k > 0 {
						c.buf.WriteByte(',')
					}
					c.buf.WriteString("\n    ")
					c.buf.Write(c.one.Bytes()[:c.one.Len()-1]) // without Encode's newline
				}
				done[i] <- c
			}()
		}
	}()
	var err error
	for i := range n {
		c := <-done[i]
		if err == nil {
			err = c.err
			w.Write(c.buf.Bytes())
		}
		c.err = nil
		free <- c
		<-slots
	}
	return err
}

// encoder is goccy/go-json's, which writes the bytes encoding/json
// writes (TestJSONEncoderMatchesStdlib) about twice as fast.
func encoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}
