package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
	var buf bytes.Buffer
	enc := encoder(&buf, "    ")
	for k := range r.Findings {
		buf.Reset()
		if err := enc.Encode(&r.Findings[k]); err != nil {
			return fmt.Errorf("writing json report: %w", err)
		}
		if k > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(buf.Bytes()[:buf.Len()-1]) // without Encode's newline
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

func encoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}
