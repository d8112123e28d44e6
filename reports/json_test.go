package reports

import (
	"bytes"
	stdjson "encoding/json"
	"testing"
)

// TestJSONEncoderMatchesStdlib: the JSON report is written with
// goccy/go-json for speed, and its bytes are the ones encoding/json writes
// (the contract of docs/report.md), for the fixture report and for strings
// where encoders differ most: invalid UTF-8, U+2028/U+2029, control
// characters, HTML characters and surrogate halves.
func TestJSONEncoderMatchesStdlib(t *testing.T) {
	tricky := []string{
		"plain", "<script>&amp;", "\xff\xfe bad", "a\u2028b\u2029c", "\x00\x01\x1f\x7f",
		"é😀", `\"quoted"`, "tab\tnl\n", string([]byte{0xed, 0xa0, 0x80}),
	}
	r := fixtureReport()
	r.Finalize()
	values := []any{r}
	for _, s := range tricky {
		values = append(values, &Finding{RuleID: s, Message: s, Scope: s, Key: s})
	}
	for _, v := range values {
		var want, got bytes.Buffer
		std := stdjson.NewEncoder(&want)
		std.SetIndent("    ", "  ")
		std.SetEscapeHTML(false)
		if err := std.Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := encoder(&got, "    ").Encode(v); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("encoding/json wrote:\n%s\ngoccy/go-json wrote:\n%s", want.String(), got.String())
		}
	}
}
