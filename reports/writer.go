package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Writer renders a Report in one output format. Writers never change the
// Report they are given: they render a finalized copy.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Options tune the writers.
type Options struct {
	// ShowSuppressed makes the text writer list suppressed findings too
	// (JSON and SARIF always include them, marked).
	ShowSuppressed bool
	// Root, when set, is the directory that relative SARIF URIs are taken
	// against: an absolute finding path under Root is made relative to it.
	// Paths the scanner already made relative are written as they are.
	Root string
	// FailOn is the run's --fail-on severity (or "none"), for the HTML
	// report's gate line; "" when the caller applies no gate.
	FailOn string
}

// Formats lists the report formats NewWriter accepts.
var Formats = []string{"text", "json", "sarif", "markdown", "html"}

// NewWriter returns the writer for a report format.
func NewWriter(format string, opts Options) (Writer, error) {
	switch format {
	case "text":
		return &textWriter{opts: opts}, nil
	case "json":
		return &jsonWriter{}, nil
	case "sarif":
		return &sarifWriter{opts: opts}, nil
	case "markdown":
		return markdownWriter{}, nil
	case "html":
		return htmlWriter{opts: opts}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (supported: %s)", format, strings.Join(Formats, ", "))
}

// finalized returns a finalized copy of r that shares nothing Finalize
// changes with r, so writers can be called on a report that is still in use.
func finalized(r *Report) *Report {
	if r.Finalized {
		return r
	}
	c := *r
	c.Rules = slices.Clone(r.Rules)
	for i := range c.Rules {
		c.Rules[i].ExercisedBy = slices.Clone(c.Rules[i].ExercisedBy)
	}
	c.Findings = slices.Clone(r.Findings)
	for i := range c.Findings {
		f := &c.Findings[i]
		if f.Rule != nil {
			pr := *f.Rule
			f.Rule = &pr
		}
		if f.Actor != nil {
			a := *f.Actor
			f.Actor = &a
		}
	}
	c.Diagnostics = slices.Clone(r.Diagnostics)
	c.Summary.BySeverity = nil
	c.Finalize()
	return &c
}

// ruleIndex maps rule ids to the report's rules.
func ruleIndex(rules []Rule) map[string]*Rule {
	m := make(map[string]*Rule, len(rules))
	for i := range rules {
		m[rules[i].ID] = &rules[i]
	}
	return m
}
