package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// jsonWriter writes the JSON contract of DESIGN.md: the finalized Report,
// indented by two spaces, with a trailing newline. HTML characters are not
// escaped, so messages and descriptions stay readable.
type jsonWriter struct{}

var _ Writer = (*jsonWriter)(nil)

func (*jsonWriter) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(finalized(r)); err != nil {
		return fmt.Errorf("writing json report: %w", err)
	}
	return nil
}
