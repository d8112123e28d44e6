package audit

import "unicode/utf8"

// The JSON scanner under lineDecoder: it reads one value at a time from
// the line, validating as it goes (RFC 8259: numbers, escapes, literals,
// no control characters in strings), and fails on whatever encoding/json
// would read differently (invalid UTF-8, surrogate escapes).

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

// members reads the object at d.i (null is an empty one): member is
// called with each key, unescaped, and d.i at its value, and must consume
// the value.
func (d *lineDecoder) members(member func(key []byte) bool) bool {
	if d.null() {
		return true
	}
	if !d.open('{') {
		return false
	}
	for first := true; ; first = false {
		key, more, ok := d.member(first)
		switch {
		case !ok:
			return false
		case !more:
			return true
		case !member(key):
			return false
		}
	}
}

// elements reads the array at d.i: element is called with the index of
// each element and d.i at it, and must consume it.
func (d *lineDecoder) elements(element func(n int) bool) bool {
	if !d.open('[') {
		return false
	}
	for n := 0; ; n++ {
		more, ok := d.element(n == 0)
		switch {
		case !ok:
			return false
		case !more:
			return true
		case !element(n):
			return false
		}
	}
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
		return d.members(func([]byte) bool { return d.skip(depth + 1) })
	case c == '[':
		return d.elements(func(int) bool { return d.skip(depth + 1) })
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
