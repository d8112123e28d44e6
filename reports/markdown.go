package reports

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MarkdownLimit bounds a markdown report, under the 65,536 characters GitHub
// accepts in a pull-request comment: past it, findings are counted instead
// of listed.
const MarkdownLimit = 60000

// markdownWriter renders a report as a pull-request comment: the summary by
// severity, the attack paths as chains, then the findings grouped by
// identity, each with its remediation. Suppressed findings are counted, not
// listed.
type markdownWriter struct{}

func (markdownWriter) Write(w io.Writer, r *Report) error {
	r = finalized(r)
	rules := ruleIndex(r.Rules)
	var b strings.Builder

	fmt.Fprintf(&b, "## kubegrant: %s\n\n", plural(r.Summary.Findings, "finding", "findings"))
	b.WriteString("| Severity | Findings |\n|---|---:|\n")
	for _, s := range Severities {
		fmt.Fprintf(&b, "| %s | %d |\n", severityLabel(s), r.Summary.BySeverity[s])
	}
	var notes []string
	if r.Summary.Suppressed > 0 {
		notes = append(notes, fmt.Sprintf("%s suppressed (not listed)", plural(r.Summary.Suppressed, "finding", "findings")))
	}
	if r.Summary.AuditEvents > 0 {
		notes = append(notes, fmt.Sprintf("%s replayed (%s to %s)", plural(r.Summary.AuditEvents, "audit event", "audit events"),
			mdText(r.Summary.ObservedFrom), mdText(r.Summary.ObservedTo)))
	}
	if n := len(r.Diagnostics); n > 0 {
		notes = append(notes, plural(n, "diagnostic", "diagnostics")+" (see the full report)")
	}
	if len(r.Summary.NotEvaluated) > 0 {
		notes = append(notes, "**not evaluated**: "+mdText(strings.Join(r.Summary.NotEvaluated, ", ")))
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, " · ") + "\n")
	}

	var paths, others []*Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppression != nil {
			continue
		}
		if f.Kind == KindPath {
			paths = append(paths, f)
		} else {
			others = append(others, f)
		}
	}
	omitted := 0
	if len(paths) > 0 {
		fmt.Fprintf(&b, "\n### Attack paths (%d)\n\n", len(paths))
		for i, f := range paths {
			if b.Len() > MarkdownLimit {
				omitted += len(paths) - i
				break
			}
			fmt.Fprintf(&b, "- %s **%s** %s%s\n", severityLabel(f.Severity), mdText(f.RuleID), mdText(f.Message), walkedMark(f.Walked))
			if chain := pathChain(f.Path); chain != "" {
				fmt.Fprintf(&b, "  %s\n", chain)
			}
		}
	}

	// Findings grouped by identity: the subject of a grant, the actor of
	// a detection; the most severe identity first (findings are sorted
	// by severity already).
	type group struct {
		name     string
		findings []*Finding
	}
	var groups []*group
	byName := map[string]*group{}
	for _, f := range others {
		name := findingIdentity(f)
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	if len(groups) > 0 {
		b.WriteString("\n### Findings by identity\n")
	}
	for _, g := range groups {
		if b.Len() > MarkdownLimit {
			for _, g := range groups[slices.Index(groups, g):] {
				omitted += len(g.findings)
			}
			break
		}
		fmt.Fprintf(&b, "\n#### %s\n\n", mdCode(g.name))
		for _, f := range g.findings {
			title := ""
			rl := rules[f.RuleID]
			if rl != nil && rl.Title != "" {
				title = " " + mdText(rl.Title)
			}
			fmt.Fprintf(&b, "- %s **%s**%s: %s%s\n", severityLabel(f.Severity), mdText(f.RuleID), title, mdText(f.Message), exercisedMark(f.Exercised))
			if loc := f.Location.String(); loc != "" {
				fmt.Fprintf(&b, "  - at %s\n", mdCode(loc))
			}
			if rl != nil && rl.Remediation != "" {
				fmt.Fprintf(&b, "  - fix: %s\n", mdText(rl.Remediation))
			}
		}
	}
	if omitted > 0 {
		fmt.Fprintf(&b, "\n… and %s more, not listed to stay within a comment's size: see the full report.\n", plural(omitted, "finding", "findings"))
	}
	if r.Summary.Findings == 0 {
		b.WriteString("\nNo un-suppressed finding.\n")
	}
	fmt.Fprintf(&b, "\n<sub>%s %s</sub>\n", mdText(r.Tool.Name), mdText(r.Tool.Version))

	bw := bufio.NewWriter(w)
	bw.WriteString(b.String())
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing markdown report: %w", err)
	}
	return nil
}

// findingIdentity names who a finding is about: the subject of a grant or a
// path, the actor of a detection, or "(no identity)" for hygiene findings.
func findingIdentity(f *Finding) string {
	switch {
	case f.Subject != nil:
		return textRef(f.Subject)
	case f.Actor != nil:
		return "User " + f.Actor.User
	}
	return "(no identity)"
}

// pathChain draws a path as "A —capability→ B —capability→ target".
func pathChain(hops []Hop) string {
	if len(hops) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(mdCode(textRef(&hops[0].From)))
	for _, h := range hops {
		mark := ""
		if h.Exercised != nil && *h.Exercised {
			mark = " ✓"
		}
		fmt.Fprintf(&b, " —%s%s→ %s", mdText(h.Capability), mark, mdCode(textRef(&h.To)))
	}
	return b.String()
}

func severityLabel(s Severity) string {
	if s == "" {
		return "-"
	}
	return strings.ToUpper(string(s))
}

func exercisedMark(e *bool) string {
	switch {
	case e == nil:
		return ""
	case *e:
		return " — **exercised**"
	}
	return " — not exercised"
}

func walkedMark(w *bool) string {
	switch {
	case w == nil:
		return ""
	case *w:
		return " — **walked** (every hop exercised, in order)"
	}
	return " — not walked"
}

// mdText escapes text for markdown: untrusted names cannot open links,
// HTML, emphasis or table cells, nor break lines.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#!~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode renders s as a code span (backticks inside become quotes).
func mdCode(s string) string {
	return "`" + strings.ReplaceAll(clean(s), "`", "'") + "`"
}
