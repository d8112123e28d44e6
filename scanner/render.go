package scanner

import (
	"fmt"
	"strings"
)

// Rendered sources (Helm charts and Kustomize directories) are turned into
// manifests in memory, parsed with ParseManifests like any file, and then
// every Source is traced back from the renderer's output to the file that
// produced it: a chart's template, a kustomization's base file. No temporary
// file is ever named in a report.
//
// The renderers do not say which source line produced which output line, so
// the trace is an alignment: output lines that appear literally in the
// source (a template's fixed text, a base file's unpatched fields) are
// matched in order (a longest common subsequence of lines, compared without
// leading and trailing blanks), and each line in between (a templated value,
// an included helper, a patched field) takes the nearest matched line above
// it, shifted by its distance, and is marked Approximate.

// tracedLine is where one output line came from: a 1-based source line, and
// whether it was matched literally.
type tracedLine struct {
	line  int
	exact bool
}

// maxTraceCells bounds the alignment table (output lines × source lines);
// past it, a greedy in-order match is used instead.
const maxTraceCells = 4 << 20

// traceLines aligns the output lines with the source lines; the result has
// one entry per output line. Source line numbers start at srcFirst (the line
// of src[0] in its file).
func traceLines(out, src []string, srcFirst int) []tracedLine {
	n, m := len(out), len(src)
	okey := make([]string, n)
	skey := make([]string, m)
	for i, l := range out {
		okey[i] = traceKey(l)
	}
	for j, l := range src {
		skey[j] = traceKey(l)
	}
	match := make([]int, n) // output line → source index, or -1
	for i := range match {
		match[i] = -1
	}
	if n*m <= maxTraceCells {
		// lcs[i][j] is the LCS length of out[i:] and src[j:].
		w := m + 1
		lcs := make([]int32, (n+1)*w)
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				switch {
				case okey[i] != "" && okey[i] == skey[j]:
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
					lcs[i*w+j] = lcs[(i+1)*w+j]
				default:
					lcs[i*w+j] = lcs[i*w+j+1]
				}
			}
		}
		for i, j := 0, 0; i < n && j < m; {
			switch {
			case okey[i] != "" && okey[i] == skey[j]:
				match[i] = j
				i++
				j++
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				i++
			default:
				j++
			}
		}
	} else {
		j := 0
		for i := range out {
			if okey[i] == "" {
				continue
			}
			for k := j; k < m; k++ {
				if skey[k] == okey[i] {
					match[i], j = k, k+1
					break
				}
			}
		}
	}

	// Each run of unmatched output lines falls between two matched ones
	// (or an end); it is spread in order over the source lines between
	// theirs, leaving out template actions that print nothing ({{ if }},
	// {{ range }}, {{ end }}…): a templated rule after a {{ range }} lands on
	// the rule's line of the template.
	res := make([]tracedLine, n)
	for i := 0; i < n; {
		if match[i] >= 0 {
			res[i] = tracedLine{line: srcFirst + match[i], exact: true}
			i++
			continue
		}
		a := i
		for i < n && match[i] < 0 {
			i++
		}
		lo, hi := -1, m // source gap (lo, hi), exclusive
		if a > 0 {
			lo = match[a-1]
		}
		if i < n {
			hi = match[i]
		}
		var cands []int
		for j := lo + 1; j < hi; j++ {
			if !silentAction(src[j]) {
				cands = append(cands, j)
			}
		}
		if len(cands) == 0 {
			switch {
			case lo >= 0:
				cands = []int{lo}
			case hi < m:
				cands = []int{hi}
			default:
				cands = []int{0}
			}
		}
		for k := a; k < i; k++ {
			res[k] = tracedLine{line: srcFirst + min(cands[min(k-a, len(cands)-1)], max(m-1, 0))}
		}
	}
	return res
}

// silentAction reports whether a template line is one action that prints
// nothing: a control structure, a definition, a comment, an assignment.
func silentAction(line string) bool {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "{{") || !strings.HasSuffix(t, "}}") || strings.Count(t, "{{") != 1 {
		return traceKey(line) == ""
	}
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(t, "{{"), "-"), "}}"), "-"))
	for _, kw := range []string{"if ", "else", "end", "range ", "with ", "define ", "/*", "break", "continue"} {
		if strings.HasPrefix(t, kw) {
			return true
		}
	}
	return strings.HasPrefix(t, "$") && strings.Contains(t, "=")
}

// traceKey is the text an output line is matched on; "" never matches
// (blank lines, document separators and lone punctuation would anchor the
// alignment anywhere).
func traceKey(line string) string {
	k := strings.TrimSpace(line)
	switch k {
	case "", "---", "...", "-", "{", "}", "[", "]":
		return ""
	}
	return k
}

// retrace moves every Source of inv that names file (the in-memory output of
// a renderer) to the source file display, through trace (indexed by output
// line - 1). Diagnostics are moved too.
func retrace(inv *Inventory, file, display string, trace []tracedLine) {
	move := func(s *Source) {
		if s.File != file {
			return
		}
		s.File = display
		if s.Line < 1 {
			return
		}
		if s.Line <= len(trace) {
			t := trace[s.Line-1]
			s.Line, s.Approximate = t.line, !t.exact
		} else {
			s.Approximate = true
		}
	}
	for _, r := range inv.Roles {
		move(&r.Source)
		for i := range r.Rules {
			move(&r.Rules[i].Source)
		}
	}
	for _, b := range inv.Bindings {
		move(&b.Source)
		for i := range b.Subjects {
			move(&b.Subjects[i].Source)
		}
	}
	for _, o := range inv.Objects {
		move(&o.Source)
	}
	for i := range inv.Diagnostics {
		move(&inv.Diagnostics[i].Location)
	}
}

// renderError is the diagnostic of a chart or kustomization that could not be
// rendered: nothing of it is loaded.
func renderError(file, format string, args ...any) *Inventory {
	return &Inventory{Diagnostics: []Diagnostic{{
		Severity: DiagError,
		Message:  fmt.Sprintf(format, args...),
		Location: Source{File: file},
	}}}
}

// splitLines splits text into lines without their line ends.
func splitLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
