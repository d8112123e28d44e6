package reports

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kubegrant/kubegrant/scanner"
)

// textWriter writes a report for a terminal, top-down as a person reads
// it: the summary line, the attack paths (walked ones first), the most
// powerful identities, then every finding grouped by identity, each with
// its fix, then the audit detections and the diagnostics. No colour.
//
// Names, messages and audit fields come from untrusted manifests and logs,
// so control characters (ANSI escapes, newlines) are shown escaped and can
// neither forge report lines nor drive the terminal.
type textWriter struct {
	opts Options
}

var _ Writer = (*textWriter)(nil)

// topIdentities is how many identities the text report lists.
const topIdentities = 10

func (t *textWriter) Write(w io.Writer, r *Report) error {
	r = finalized(r)
	bw := bufio.NewWriter(w)
	rules := ruleIndex(r.Rules)

	bw.WriteString("kubegrant: " + t.summaryLine(r) + "\n\n")
	l := layOut(r, t.opts.ShowSuppressed)
	if l.empty() {
		bw.WriteString("No findings.\n\n")
	}
	if len(l.paths) > 0 {
		fmt.Fprintf(bw, "ATTACK PATHS (%d)\n\n", len(l.paths))
		for _, f := range l.paths {
			writeTextPath(bw, f, rules[f.RuleID])
			bw.WriteString("\n")
		}
	}
	if len(r.Identities) > 0 {
		n := min(len(r.Identities), topIdentities)
		fmt.Fprintf(bw, "MOST POWERFUL IDENTITIES (%d of %d)\n\n", n, len(r.Identities))
		for _, id := range r.Identities[:n] {
			reach := "reaches nothing critical"
			if len(id.Reaches) > 0 {
				reach = "reaches " + strings.Join(id.Reaches, ", ")
			}
			fmt.Fprintf(bw, "  %-8s  %s  %s  (%s)\n", id.Severity, clean(textRef(&id.Identity)), reach, clean(strings.Join(id.Capabilities, " ")))
		}
		bw.WriteString("\n")
	}
	if len(l.groups) > 0 {
		fmt.Fprintf(bw, "FINDINGS BY IDENTITY (%d identities)\n\n", len(l.groups))
		for _, g := range l.groups {
			fmt.Fprintf(bw, "%s  (%s)\n\n", clean(textRef(&g.identity)), plural(len(g.findings), "finding", "findings"))
			for _, f := range g.findings {
				writeTextFinding(bw, f, rules[f.RuleID])
				bw.WriteString("\n")
			}
		}
	}
	for _, group := range []struct {
		title string
		fs    []*Finding
	}{{"AUDIT DETECTIONS", l.detections}, {"OTHER FINDINGS", l.others}} {
		if len(group.fs) == 0 {
			continue
		}
		fmt.Fprintf(bw, "%s (%d)\n\n", group.title, len(group.fs))
		for _, f := range group.fs {
			writeTextFinding(bw, f, rules[f.RuleID])
			bw.WriteString("\n")
		}
	}

	if len(r.Diagnostics) > 0 {
		fmt.Fprintf(bw, "DIAGNOSTICS (%d)\n\n", len(r.Diagnostics))
		// Errors first; within a severity, Finalize's location order.
		diags := slices.Clone(r.Diagnostics)
		slices.SortStableFunc(diags, func(a, b scanner.Diagnostic) int {
			return cmp.Compare(diagRank(a.Severity), diagRank(b.Severity))
		})
		for _, d := range diags {
			loc := d.Location.String()
			if loc == "" {
				loc = "-"
			}
			fmt.Fprintf(bw, "  %-7s  %s  %s\n", clean(d.Severity), clean(loc), clean(d.Message))
		}
		bw.WriteString("\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// writeTextPath draws an attack path as a numbered chain, one hop a line,
// with the grant that enables each hop and, after a replay, its use.
func writeTextPath(w *bufio.Writer, f *Finding, rule *Rule) {
	status := ""
	switch {
	case f.Walked != nil && *f.Walked:
		status = "  WALKED: every step was used, in order"
	case f.Walked != nil:
		status = "  (not walked in the audit window)"
	}
	target := ""
	if n := len(f.Path); n > 0 {
		target = f.Path[n-1].To.Name
	}
	fmt.Fprintf(w, "  %s  %s  %s → %s%s\n", strings.ToUpper(string(f.Severity)), clean(f.RuleID), clean(textRef(f.Subject)), clean(target), status)
	step := 0
	for _, h := range f.Path {
		if h.RuleID == "" {
			fmt.Fprintf(w, "       %s is %s\n", clean(textRef(&h.From)), clean(strings.TrimPrefix(h.Capability, "holds every permission: ")))
			continue
		}
		step++
		to := textRef(&h.To)
		if h.To.Kind == KindTarget {
			to = h.To.Name
		}
		fmt.Fprintf(w, "    %d. %s %s\n       → %s\n", step, clean(textRef(&h.From)), clean(h.Capability), clean(to))
		if h.Grant != nil {
			fmt.Fprintf(w, "       by %s → %s at %s\n", clean(textRef(&h.Grant.Binding)), clean(textRef(&h.Grant.Role)), clean(h.Location.String()))
		}
		if h.Exercised != nil {
			if *h.Exercised {
				for _, e := range h.Evidence {
					fmt.Fprintf(w, "       used: %s\n", clean(textEvidence(&e)))
				}
			} else {
				w.WriteString("       never used in the audit window\n")
			}
		}
	}
	if rule != nil && rule.Remediation != "" {
		fmt.Fprintf(w, "    fix: %s\n", clean(rule.Remediation))
	}
}

func writeTextFinding(w *bufio.Writer, f *Finding, rule *Rule) {
	loc := f.Location.String()
	if loc == "" {
		loc = "-"
		if f.Kind == KindDetection {
			loc = "(audit log)"
		}
	}
	title := ""
	if rule != nil && rule.Title != "" {
		title = "  " + rule.Title
	}
	fmt.Fprintf(w, "  %-8s  %s%s  %s\n", f.Severity, clean(f.RuleID), clean(title), clean(loc))
	if f.Message != "" {
		fmt.Fprintf(w, "    %s\n", clean(f.Message))
	}
	line := func(label, value string) {
		fmt.Fprintf(w, "    %-12s%s\n", label+":", clean(value))
	}
	findingDetails(f, line)
	for _, e := range f.Evidence {
		line("evidence", textEvidence(&e))
	}
	if n := len(f.GrantRefs); n > 1 {
		line("grants", fmt.Sprintf("%d grants give it:", n))
		for i, g := range f.GrantRefs {
			if i == 5 {
				fmt.Fprintf(w, "      … and %d more (JSON lists them all)\n", n-5)
				break
			}
			fmt.Fprintf(w, "      %s → %s at %s\n", clean(textRef(&g.Binding)), clean(textRef(&g.Role)), clean(g.Location.String()))
		}
	}
	if rule != nil && rule.Remediation != "" && f.Kind != KindDetection {
		line("fix", rule.Remediation)
	}
	if f.Suppression != nil {
		line("suppressed", f.Suppression.String())
	}
}

// textRef renders "ServiceAccount ci/deployer" or "ClusterRole admin".
func textRef(r *scanner.Ref) string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// textRule renders a policy rule as "verbs on resources in apiGroups",
// the way people read RBAC: `get,list on secrets in ""`.
func textRule(p *PolicyRule) string {
	var parts []string
	verbs := strings.Join(p.Verbs, ",")
	if verbs == "" {
		verbs = "(no verbs)"
	}
	if len(p.Resources) > 0 || len(p.APIGroups) > 0 || len(p.NonResourceURLs) == 0 {
		groups := make([]string, len(p.APIGroups))
		for i, g := range p.APIGroups {
			groups[i] = g
			if g == "" {
				groups[i] = `""`
			}
		}
		s := verbs + " on " + orNone(strings.Join(p.Resources, ",")) + " in " + orNone(strings.Join(groups, ","))
		if len(p.ResourceNames) > 0 {
			s += " named " + strings.Join(p.ResourceNames, ",")
		}
		parts = append(parts, s)
	}
	if len(p.NonResourceURLs) > 0 {
		parts = append(parts, verbs+" on "+strings.Join(p.NonResourceURLs, ","))
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func textActor(a *Actor) string {
	s := a.User
	if len(a.Groups) > 0 {
		s += " (groups " + strings.Join(a.Groups, ",") + ")"
	}
	if len(a.SourceIPs) > 0 {
		s += " from " + strings.Join(a.SourceIPs, ",")
	}
	if a.UserAgent != "" {
		s += " via " + a.UserAgent
	}
	return s
}

func textExercised(f *Finding) string {
	if !*f.Exercised {
		return "never in the audit window: a candidate for removal"
	}
	return textSeen(f.ExerciseCount, f)
}

// textSeen renders "yes, 4 times, first …, last …" or "2, first …".
func textSeen(n int, f *Finding) string {
	s := strconv.Itoa(n)
	if f.Exercised != nil {
		s = "yes, " + plural(n, "time", "times")
	}
	if f.FirstSeen != "" {
		s += ", first " + f.FirstSeen
	}
	if f.LastSeen != "" {
		s += ", last " + f.LastSeen
	}
	return s
}

func textEvidence(e *Evidence) string {
	parts := []string{e.Time, e.Verb}
	if e.Resource != "" {
		parts = append(parts, e.Resource)
	}
	switch {
	case e.Namespace != "" && e.Name != "":
		parts = append(parts, e.Namespace+"/"+e.Name)
	case e.Name != "":
		parts = append(parts, e.Name)
	case e.Namespace != "":
		parts = append(parts, "in "+e.Namespace)
	}
	parts = append(parts, "by "+e.User)
	if e.SourceIP != "" {
		parts = append(parts, "from "+e.SourceIP)
	}
	if e.Decision != "" {
		parts = append(parts, e.Decision)
	}
	parts = append(parts, "[auditID "+e.AuditID+"]")
	return strings.Join(parts, " ")
}

func (t *textWriter) summaryLine(r *Report) string {
	var b strings.Builder
	if r.Summary.Findings == 0 {
		b.WriteString("no findings")
	} else {
		b.WriteString(plural(r.Summary.Findings, "finding", "findings"))
		var levels []string
		for _, s := range Severities {
			if n := r.Summary.BySeverity[s]; n > 0 {
				levels = append(levels, fmt.Sprintf("%d %s", n, s))
			}
		}
		if len(levels) > 0 {
			b.WriteString(": " + strings.Join(levels, ", "))
		}
	}
	if r.Summary.Paths > 0 {
		fmt.Fprintf(&b, "; %s", plural(r.Summary.Paths, "attack path", "attack paths"))
		if r.Summary.Walked > 0 {
			fmt.Fprintf(&b, " (%d walked)", r.Summary.Walked)
		}
	}
	if n := r.Summary.Suppressed; n > 0 {
		if t.opts.ShowSuppressed {
			fmt.Fprintf(&b, "; %d suppressed (shown)", n)
		} else {
			fmt.Fprintf(&b, "; %d suppressed (not shown)", n)
		}
	}
	errs, warns := 0, 0
	for _, d := range r.Diagnostics {
		if d.Severity == scanner.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if len(r.Diagnostics) == 0 {
		b.WriteString("; no diagnostics")
	} else {
		fmt.Fprintf(&b, "; %s (%s, %s)", plural(len(r.Diagnostics), "diagnostic", "diagnostics"),
			plural(errs, "error", "errors"), plural(warns, "warning", "warnings"))
	}
	if r.Summary.AuditEvents > 0 || r.Summary.AuditErrors > 0 {
		fmt.Fprintf(&b, "; %s read", plural(r.Summary.AuditEvents, "audit event", "audit events"))
		if r.Summary.AuditErrors > 0 {
			fmt.Fprintf(&b, " (%d unreadable)", r.Summary.AuditErrors)
		}
		if r.Summary.ObservedFrom != "" || r.Summary.ObservedTo != "" {
			fmt.Fprintf(&b, ", from %s to %s", orNone(r.Summary.ObservedFrom), orNone(r.Summary.ObservedTo))
		}
	}
	if len(r.Summary.NotEvaluated) > 0 {
		fmt.Fprintf(&b, "; NOT EVALUATED (could not be read): %s", strings.Join(r.Summary.NotEvaluated, ", "))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// clean escapes control characters so untrusted text cannot break lines or
// send terminal escape sequences.
func clean(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
