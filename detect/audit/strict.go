package audit

import (
	"unicode/utf8"
)

// strictLine reports whether line is one plain audit event (a JSON object
// without the fields of another format, and of kind Event if any) that
// encoding/json accepts and that goccy/go-json decodes the same way: valid JSON
// (RFC 8259 numbers, escapes and literals; no trailing data), no key in the
// first two levels that only case-insensitively matches a field of the
// event (encoding/json matches keys case-insensitively), no repeated field
// at the top level, no invalid UTF-8 and no surrogate escapes in strings
// (which the two decoders replace differently). A line that fails takes
// the sequential path, where encoding/json decodes it or reports it.
func strictLine(line []byte) bool {
	v := validator{data: line}
	v.space()
	if v.i >= len(v.data) || v.data[v.i] != '{' {
		return false
	}
	if !v.value(0) {
		return false
	}
	v.space()
	return v.i == len(v.data)
}

type validator struct {
	data []byte
	i    int
	seen uint64 // known top-level fields seen
}

func (v *validator) space() {
	for v.i < len(v.data) {
		switch v.data[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

// value validates one JSON value at depth.
func (v *validator) value(depth int) bool {
	if v.i >= len(v.data) || depth > 1000 {
		return false
	}
	switch c := v.data[v.i]; {
	case c == '{':
		return v.object(depth + 1)
	case c == '[':
		v.i++
		v.space()
		if v.i < len(v.data) && v.data[v.i] == ']' {
			v.i++
			return true
		}
		for {
			v.space()
			if !v.value(depth + 1) {
				return false
			}
			v.space()
			if v.i >= len(v.data) {
				return false
			}
			switch v.data[v.i] {
			case ',':
				v.i++
			case ']':
				v.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		_, ok := v.str()
		return ok
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return v.number()
	}
	return false
}

func (v *validator) literal(s string) bool {
	if len(v.data)-v.i < len(s) || string(v.data[v.i:v.i+len(s)]) != s {
		return false
	}
	v.i += len(s)
	return true
}

func (v *validator) digits() bool {
	start := v.i
	for v.i < len(v.data) && v.data[v.i] >= '0' && v.data[v.i] <= '9' {
		v.i++
	}
	return v.i > start
}

func (v *validator) number() bool {
	if v.data[v.i] == '-' {
		v.i++
	}
	if v.i >= len(v.data) {
		return false
	}
	if v.data[v.i] == '0' {
		v.i++
	} else if !v.digits() {
		return false
	}
	if v.i < len(v.data) && v.data[v.i] == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if v.i < len(v.data) && (v.data[v.i] == 'e' || v.data[v.i] == 'E') {
		v.i++
		if v.i < len(v.data) && (v.data[v.i] == '+' || v.data[v.i] == '-') {
			v.i++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}

// str validates a string and returns its raw content when it has no
// escapes (plain is false otherwise).
func (v *validator) str() (raw []byte, ok bool) {
	v.i++ // opening quote
	start := v.i
	plain := true
	ascii := true
	for v.i < len(v.data) {
		c := v.data[v.i]
		switch {
		case c == '"':
			s := v.data[start:v.i]
			v.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			if !plain {
				return nil, true
			}
			return s, true
		case c == '\\':
			plain = false
			if v.i+1 >= len(v.data) {
				return nil, false
			}
			switch v.data[v.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				v.i += 2
			case 'u':
				if v.i+6 > len(v.data) {
					return nil, false
				}
				var r rune
				for _, h := range v.data[v.i+2 : v.i+6] {
					var d byte
					switch {
					case h >= '0' && h <= '9':
						d = h - '0'
					case h >= 'a' && h <= 'f':
						d = h - 'a' + 10
					case h >= 'A' && h <= 'F':
						d = h - 'A' + 10
					default:
						return nil, false
					}
					r = r<<4 | rune(d)
				}
				if r >= 0xD800 && r <= 0xDFFF {
					return nil, false // surrogates: decoded differently
				}
				v.i += 6
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		default:
			if c >= 0x80 {
				ascii = false
			}
			v.i++
		}
	}
	return nil, false
}

// object validates an object at depth (1 is the line itself), checking
// its keys in the first two levels.
func (v *validator) object(depth int) bool {
	v.i++
	v.space()
	if v.i < len(v.data) && v.data[v.i] == '}' {
		v.i++
		return true
	}
	for {
		v.space()
		if v.i >= len(v.data) || v.data[v.i] != '"' {
			return false
		}
		key, ok := v.str()
		if !ok {
			return false
		}
		if depth <= 2 {
			if key == nil {
				return false // an escaped key: let encoding/json match it
			}
			bit, exact := knownFields[string(key)]
			switch {
			case exact && depth == 1:
				if v.seen&bit != 0 {
					return false // a repeated field: the last one wins there
				}
				v.seen |= bit
				if wrapperFields[string(key)] {
					return false // another format: the sequential path reads it
				}
				if string(key) == "kind" {
					v.space()
					if v.i >= len(v.data) || v.data[v.i] != ':' {
						return false
					}
					v.i++
					v.space()
					if v.i >= len(v.data) || v.data[v.i] != '"' {
						return false
					}
					if kind, ok := v.str(); !ok || string(kind) != "Event" {
						return false
					}
					goto next
				}
			case !exact && foldsToKnown(key):
				return false
			}
		}
		v.space()
		if v.i >= len(v.data) || v.data[v.i] != ':' {
			return false
		}
		v.i++
		v.space()
		if !v.value(depth) {
			return false
		}
	next:
		v.space()
		if v.i >= len(v.data) {
			return false
		}
		switch v.data[v.i] {
		case ',':
			v.i++
		case '}':
			v.i++
			return true
		default:
			return false
		}
	}
}

// knownFieldNames are the JSON names of the fields of record and of the
// objects nested in an event: a key that matches one of them only
// case-insensitively is decoded by encoding/json into that field.
var knownFieldNames = []string{
	"level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "sourceIPs", "userAgent", "objectRef",
	"responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp", "stageTimestamp", "annotations",
	"kind", "timestamp", "metadata", "items", "records", "logEvents", "events", "entries", "protoPayload", "insertId",
	"labels", "operation", "message", "@message", "kubernetes", "_source", "category", "properties",
	"username", "uid", "groups", "extra", "resource", "namespace", "name", "apiGroup", "apiVersion", "subresource",
	"code", "status", "reason", "creationTimestamp", "audit",
}

// wrapperFields are the top-level fields of the other formats and of old
// events (see record): a line with one is not a plain event.
var wrapperFields = map[string]bool{
	"timestamp": true, "metadata": true, "items": true, "records": true, "logEvents": true, "events": true, "entries": true,
	"protoPayload": true, "message": true, "@message": true, "kubernetes": true, "_source": true, "category": true, "properties": true,
}

var knownFields, foldedFields = func() (map[string]uint64, map[string]bool) {
	exact := map[string]uint64{}
	folded := map[string]bool{}
	for i, n := range knownFieldNames {
		exact[n] = 1 << (i % 64)
		folded[lowerASCII([]byte(n))] = true
	}
	return exact, folded
}()

// foldsToKnown reports whether key equals a known field name ignoring
// ASCII case (encoding/json also folds the Kelvin and long-s signs, which
// are not ASCII and so make strictLine bail out as non-ASCII keys would
// need: they are checked here too).
func foldsToKnown(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true // let encoding/json decide
		}
	}
	var buf [64]byte
	if len(key) > len(buf) {
		return false
	}
	for i, c := range key {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return foldedFields[string(buf[:len(key)])]
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}
