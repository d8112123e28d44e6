package reports

import (
	"bufio"
	"crypto/sha256"
	_ "embed" // the page's template, style and script
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kubegrant/kubegrant/scanner"
)

// The HTML report is one self-contained file: html/report.tmpl rendered by
// html/template (every string from manifests and audit logs is escaped for
// the context it lands in), with html/report.css and html/report.js
// inlined. Its Content-Security-Policy allows that style and that script
// only, by hash, and nothing else: no request leaves the page, and markup
// that escaped escaping could still not run a script.
var (
	//go:embed html/report.tmpl
	htmlTemplateText string
	//go:embed html/report.css
	htmlStyle string
	//go:embed html/report.js
	htmlScript string

	htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))
	// HTMLContentSecurityPolicy is the policy the HTML report declares.
	HTMLContentSecurityPolicy = "default-src 'none'; style-src " + cspHash(htmlStyle) + "; script-src " + cspHash(htmlScript) +
		"; base-uri 'none'; form-action 'none'"
)

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// HTMLLimit bounds the findings an HTML page lists: past it, the least
// severe are counted instead (the summary still counts them, the JSON
// report lists them), so that a large cluster's page still opens in a
// browser (gen.py's medium data, 23,798 findings, made a 35 MB page that
// took a headless Chromium over a minute to load).
const HTMLLimit = 5000

// clusterWide is the namespace filter's name for cluster-wide grants.
const clusterWide = "(cluster-wide)"

// htmlWriter renders a report as one HTML page for people, top-down like
// the text report: the summary (with the --fail-on gate when known), the
// attack paths drawn as chains, the most powerful identities, the findings
// by identity with their fix, the detections, the other findings, the
// suppressed findings (apart, not counted) and the diagnostics. Filters by
// severity, namespace, identity and use run in the page; without
// JavaScript everything is shown.
type htmlWriter struct {
	opts Options
}

func (h htmlWriter) Write(w io.Writer, r *Report) error {
	r = finalized(r)
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, newHTMLView(r, h.opts)); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	return nil
}

// htmlView is what the template renders: every value is a plain string or
// number, computed here, so the template holds layout only.
type htmlView struct {
	Tool     Tool
	Time     string
	CSP      string
	Style    template.CSS
	Script   template.JS
	Headline string
	Summary  htmlSummary
	Gate     *htmlGate

	Paths       []htmlFinding
	Identities  []htmlIdentity
	Groups      []htmlGroup
	Detections  []htmlFinding
	Others      []htmlFinding
	Suppressed  []htmlFinding
	Diagnostics []htmlDiagnostic

	// Omitted counts the findings not listed, past Limit.
	Omitted, Limit int

	// Namespaces and IdentityNames are the filters' choices.
	Namespaces    []string
	IdentityNames []string
}

type htmlSummary struct {
	Findings    int
	BySeverity  []htmlCount
	Paths       int
	Walked      int
	Replayed    bool // audit logs were replayed: exercised marks are known
	Exercised   int  // un-suppressed findings exercised (or paths walked)
	Exercisable int  // un-suppressed findings with an exercised mark
	Detections  int
	Diagnostics int
	// DiagnosticKinds is "1 error, 3 warnings".
	DiagnosticKinds string
	Suppressed      int
	AuditEvents     int
	AuditErrors     int
	From, To        string
	// NotEvaluated lists the kinds that could not be read.
	NotEvaluated string
}

type htmlCount struct {
	Severity Severity
	N        int
}

type htmlGate struct {
	FailOn  string
	Failing int
	Failed  bool
}

// htmlFilter is what the page's filters match an element on: its
// severity, its namespaces and its identities (newline-separated).
type htmlFilter struct {
	Severity   Severity
	Namespaces string
	IDs        string
}

type htmlFinding struct {
	htmlFilter
	Kind       string
	RuleID     string
	Title      string
	Message    string
	Location   string
	Used       string // "yes", "no", or "" when unknown
	UsedLabel  string
	Suppressed string
	Fields     []htmlField
	Grants     []htmlGrant
	Evidence   []htmlEvidence
	Fix        string
	// Paths only.
	Start, Target string
	Hops          []htmlHop
}

type htmlField struct{ Label, Value string }

type htmlGrant struct {
	Binding, Role, Scope, Location string
	Used                           string
}

type htmlEvidence struct{ AuditID, Text string }

type htmlHop struct {
	Member     bool // group membership, no capability
	RuleID     string
	Capability string
	To         string
	Target     bool
	Grant      string
	Location   string
	Used       string
	Evidence   []htmlEvidence
}

type htmlIdentity struct {
	htmlFilter
	Name         string
	Link         string
	Reaches      string
	Capabilities string
	Findings     int
}

type htmlGroup struct {
	Identity string
	Link     string
	Findings []htmlFinding
}

type htmlDiagnostic struct{ Severity, Location, Message string }

func newHTMLView(r *Report, opts Options) *htmlView {
	rules := ruleIndex(r.Rules)
	v := &htmlView{
		Tool:     Tool{Name: clean(r.Tool.Name), Version: clean(r.Tool.Version)},
		Time:     clean(r.Time),
		CSP:      HTMLContentSecurityPolicy,
		Style:    template.CSS(htmlStyle),
		Script:   template.JS(htmlScript),
		Headline: (&textWriter{opts: Options{ShowSuppressed: true}}).summaryLine(r),
	}
	namespaces, identities := map[string]bool{}, map[string]bool{}
	filter := func(sev Severity, ns, ids []string) htmlFilter {
		for _, n := range ns {
			namespaces[n] = true
		}
		for _, id := range ids {
			identities[id] = true
		}
		return htmlFilter{Severity: sev, Namespaces: strings.Join(ns, "\n"), IDs: strings.Join(ids, "\n")}
	}
	finding := func(f *Finding) htmlFinding {
		ns, ids := findingScope(f)
		return newHTMLFinding(f, rules[f.RuleID], filter(f.Severity, ns, ids))
	}

	l := layOut(r, false)
	v.Omitted, v.Limit = l.limit(HTMLLimit), HTMLLimit
	for _, f := range l.paths {
		v.Paths = append(v.Paths, finding(f))
	}
	for _, id := range r.Identities {
		name := clean(textRef(&id.Identity))
		var ns []string
		if id.Identity.Namespace != "" {
			ns = []string{clean(id.Identity.Namespace)}
		}
		reaches := "nothing critical"
		if len(id.Reaches) > 0 {
			reaches = strings.Join(id.Reaches, ", ")
		}
		v.Identities = append(v.Identities, htmlIdentity{
			htmlFilter: filter(id.Severity, ns, []string{name}),
			Name:       name, Link: identityLink(name), Reaches: clean(reaches), Capabilities: clean(strings.Join(id.Capabilities, " ")), Findings: id.Findings,
		})
	}
	for _, g := range l.groups {
		name := clean(textRef(&g.identity))
		hg := htmlGroup{Identity: name, Link: identityLink(name)}
		for _, f := range g.findings {
			hg.Findings = append(hg.Findings, finding(f))
		}
		v.Groups = append(v.Groups, hg)
	}
	for _, f := range l.detections {
		v.Detections = append(v.Detections, finding(f))
	}
	for _, f := range l.others {
		v.Others = append(v.Others, finding(f))
	}
	for _, f := range l.suppressed {
		v.Suppressed = append(v.Suppressed, finding(f))
	}
	for _, d := range r.Diagnostics {
		loc := d.Location.String()
		if loc == "" {
			loc = "-"
		}
		v.Diagnostics = append(v.Diagnostics, htmlDiagnostic{Severity: clean(d.Severity), Location: clean(loc), Message: clean(d.Message)})
	}
	// Errors first, as in the text report.
	slices.SortStableFunc(v.Diagnostics, func(a, b htmlDiagnostic) int { return diagRank(a.Severity) - diagRank(b.Severity) })

	s := &v.Summary
	s.Findings, s.Paths, s.Walked, s.Suppressed = r.Summary.Findings, r.Summary.Paths, r.Summary.Walked, r.Summary.Suppressed
	for _, sev := range Severities {
		s.BySeverity = append(s.BySeverity, htmlCount{Severity: sev, N: r.Summary.BySeverity[sev]})
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppression != nil {
			continue
		}
		if f.Kind == KindDetection {
			s.Detections++
		}
		if used := findingUse(f); used != "" {
			s.Exercisable++
			if used == "yes" {
				s.Exercised++
			}
		}
	}
	s.Replayed = s.Exercisable > 0 || r.Summary.AuditEvents > 0
	s.Diagnostics = len(r.Diagnostics)
	errs := 0
	for _, d := range r.Diagnostics {
		if d.Severity == scanner.DiagError {
			errs++
		}
	}
	if s.Diagnostics > 0 {
		s.DiagnosticKinds = plural(errs, "error", "errors") + ", " + plural(s.Diagnostics-errs, "warning", "warnings")
	}
	s.AuditEvents, s.AuditErrors = r.Summary.AuditEvents, r.Summary.AuditErrors
	s.From, s.To = clean(r.Summary.ObservedFrom), clean(r.Summary.ObservedTo)
	s.NotEvaluated = clean(strings.Join(r.Summary.NotEvaluated, ", "))
	if opts.FailOn != "" {
		n := AtOrAbove(r.Findings, opts.FailOn)
		v.Gate = &htmlGate{FailOn: clean(opts.FailOn), Failing: n, Failed: n > 0 || len(r.Summary.NotEvaluated) > 0}
	}

	v.Namespaces = slices.Sorted(maps.Keys(namespaces))
	if namespaces[clusterWide] { // first: it sorts after the names otherwise
		v.Namespaces = append([]string{clusterWide}, slices.DeleteFunc(v.Namespaces, func(s string) bool { return s == clusterWide })...)
	}
	v.IdentityNames = slices.Sorted(maps.Keys(identities))
	return v
}

// limit keeps at most n findings in the layout: the most severe
// un-suppressed ones (in layout order within a severity), then suppressed
// ones while there is room. It returns how many it dropped.
func (l *layout) limit(n int) (omitted int) {
	var listed []*Finding
	listed = append(listed, l.paths...)
	for _, g := range l.groups {
		listed = append(listed, g.findings...)
	}
	listed = append(listed, l.detections...)
	listed = append(listed, l.others...)
	if len(listed)+len(l.suppressed) <= n {
		return 0
	}
	sortBySeverity(listed)
	keep := make(map[*Finding]bool, n)
	for _, f := range listed[:min(n, len(listed))] {
		keep[f] = true
	}
	drop := func(fs []*Finding) []*Finding {
		return slices.DeleteFunc(fs, func(f *Finding) bool {
			if keep[f] {
				return false
			}
			omitted++
			return true
		})
	}
	l.paths, l.detections, l.others = drop(l.paths), drop(l.detections), drop(l.others)
	for i := range l.groups {
		l.groups[i].findings = drop(l.groups[i].findings)
	}
	l.groups = slices.DeleteFunc(l.groups, func(g identityGroup) bool { return len(g.findings) == 0 })
	room := min(n-len(keep), len(l.suppressed))
	omitted += len(l.suppressed) - room
	l.suppressed = l.suppressed[:room]
	return omitted
}

// identityLink is the in-page link that filters the page on an identity
// (the page's script reads the filters from the URL's fragment).
func identityLink(name string) string {
	return "#identity=" + url.QueryEscape(name)
}

// findingUse is "yes" when the audit logs show a finding exercised (a path
// walked), "no" when they do not, "" when no log was replayed.
func findingUse(f *Finding) string {
	e := f.Exercised
	if f.Kind == KindPath {
		e = f.Walked
	}
	return usedString(e)
}

func usedString(e *bool) string {
	switch {
	case e == nil:
		return ""
	case *e:
		return "yes"
	}
	return "no"
}

// findingScope lists the namespaces a finding is in (the scopes of its
// grants, clusterWide for a cluster-wide one; the namespace of its
// identities; for a detection, those its requests touched) and the
// identities it is about (its subject or actor; for a path, every identity
// on it), as the filters match them.
func findingScope(f *Finding) (namespaces, identities []string) {
	ns := map[string]bool{}
	ids := map[string]bool{}
	addNS := func(n string) {
		if n != "" {
			ns[clean(n)] = true
		}
	}
	addScope := func(scope string) {
		if scope == "" {
			ns[clusterWide] = true
		}
		addNS(scope)
	}
	addID := func(r *scanner.Ref) {
		if r != nil && r.Kind != KindTarget && r.Name != "" {
			ids[clean(textRef(r))] = true
			addNS(r.Namespace)
		}
	}
	addID(f.Subject)
	switch f.Kind {
	case KindDetection:
		if f.Actor != nil {
			addID(&scanner.Ref{Kind: scanner.KindUser, Name: f.Actor.User})
		}
		for _, e := range f.Evidence {
			addNS(e.Namespace)
		}
		if f.Binding != nil {
			addNS(f.Binding.Namespace)
		}
	case KindPath:
		for _, h := range f.Path {
			addID(&h.From)
			addID(&h.To)
			if h.Grant != nil {
				addScope(h.Grant.Scope)
			}
		}
	default:
		if f.Binding != nil || f.Rule != nil || len(f.GrantRefs) > 0 {
			addScope(f.Scope)
		} else {
			addNS(f.Scope)
		}
		for _, g := range f.GrantRefs {
			addScope(g.Scope)
		}
	}
	return slices.Sorted(maps.Keys(ns)), slices.Sorted(maps.Keys(ids))
}

func newHTMLFinding(f *Finding, rule *Rule, filter htmlFilter) htmlFinding {
	hf := htmlFinding{
		htmlFilter: filter,
		Kind:       clean(f.Kind),
		RuleID:     clean(f.RuleID),
		Message:    clean(f.Message),
		Location:   clean(f.Location.String()),
		Used:       findingUse(f),
	}
	if rule != nil {
		hf.Title, hf.Fix = clean(rule.Title), clean(rule.Remediation)
	}
	if hf.Location == "" && f.Kind == KindDetection {
		hf.Location = "(audit log)"
	}
	switch {
	case f.Kind == KindPath && hf.Used == "yes":
		hf.UsedLabel = "walked: every step used, in order"
	case f.Kind == KindPath && hf.Used == "no":
		hf.UsedLabel = "not walked"
	case hf.Used == "yes":
		hf.UsedLabel = "exercised ×" + strconv.Itoa(f.ExerciseCount)
	case hf.Used == "no":
		hf.UsedLabel = "never exercised"
	}
	if f.Suppression != nil {
		hf.Suppressed = clean(f.Suppression.String())
	}
	field := func(label, value string) { hf.Fields = append(hf.Fields, htmlField{Label: label, Value: clean(value)}) }
	findingDetails(f, field)
	hf.Evidence = htmlEvidenceOf(f.Evidence)
	if len(f.GrantRefs) > 1 {
		for _, g := range f.GrantRefs {
			hf.Grants = append(hf.Grants, htmlGrant{
				Binding: clean(textRef(&g.Binding)), Role: clean(textRef(&g.Role)), Scope: clean(orCluster(g.Scope)),
				Location: clean(g.Location.String()), Used: usedString(g.Exercised),
			})
		}
	}
	if len(f.Path) > 0 {
		hf.Start = clean(textRef(&f.Path[0].From))
		hf.Target = clean(f.Path[len(f.Path)-1].To.Name)
		for _, h := range f.Path {
			hop := htmlHop{
				Member:     h.RuleID == "",
				RuleID:     clean(h.RuleID),
				Capability: clean(h.Capability),
				To:         clean(textRef(&h.To)),
				Target:     h.To.Kind == KindTarget,
				Location:   clean(h.Location.String()),
				Used:       usedString(h.Exercised),
				Evidence:   htmlEvidenceOf(h.Evidence),
			}
			if hop.Target {
				hop.To = clean(h.To.Name)
			}
			if h.Grant != nil {
				hop.Grant = clean(textRef(&h.Grant.Binding) + " → " + textRef(&h.Grant.Role))
			}
			hf.Hops = append(hf.Hops, hop)
		}
	}
	return hf
}

func orCluster(scope string) string {
	if scope == "" {
		return "cluster-wide"
	}
	return "namespace " + scope
}

func htmlEvidenceOf(es []Evidence) []htmlEvidence {
	var out []htmlEvidence
	for i := range es {
		// The audit ID is shown apart, as the handle to look the event up.
		text := strings.TrimSuffix(textEvidence(&es[i]), " [auditID "+es[i].AuditID+"]")
		out = append(out, htmlEvidence{AuditID: clean(es[i].AuditID), Text: clean(text)})
	}
	return out
}
