package reports

// SARIF output, written for GitHub code scanning and checked, in tests
// (internal/sarifcheck), against both the OASIS and GitHub's copy of the
// 2.1.0 schema and GitHub's upload limits.
//
//   - One run; tool.driver is kubegrant with version, semanticVersion (when
//     the version is semver) and informationUri.
//   - One reportingDescriptor per rule, sorted by id; ruleIndex points into
//     that list. A finding whose rule is missing from Report.Rules gets a
//     minimal descriptor, so no result ever points nowhere.
//   - Levels: critical and high are "error", medium "warning", low and info
//     "note". properties.security-severity is a numeric string GitHub maps
//     back to the same bucket: critical 9.5, high 8.0, medium 5.5, low 3.0,
//     info 1.0.
//   - Locations: a manifest finding has a physicalLocation with a relative
//     slash URI (uriBaseId %SRCROOT%) and region.startLine when the line is
//     known. A finding about a live-cluster object or an audit actor has no
//     file: it gets a logicalLocation (fullyQualifiedName "Kind/ns/name",
//     kind "resource") AND a physicalLocation with a relative pseudo-URI
//     under "kubegrant-cluster/" or "kubegrant-audit/", because GitHub
//     rejects results without an artifact location ("locationFromSarifResult:
//     expected a physical location"). Relative URIs avoid GitHub's
//     "URI scheme did not match the checkout" rejection; a path that stays
//     absolute is written as a file:// URI.
//   - A line that is approximate (an object rendered from a Helm template or
//     a Kustomize base, traced back to the nearest line) is marked on its
//     location with properties.approximate: true, the JSON's
//     location.approximate; a result whose primary line is approximate also
//     says so at the end of its message, which is what GitHub shows.
//   - partialFingerprints["kubegrant/v1"] is Fingerprint; kubegrant never sets
//     primaryLocationLineHash, which GitHub computes itself.
//   - Suppressed findings carry suppressions [{kind: inSource}] for inline
//     annotations and [{kind: external}] for every other suppression.
//   - Diagnostics become invocations[0].toolExecutionNotifications; the run
//     is still executionSuccessful.
//   - GitHub's hard limits are respected: at most 25,000 results (the most
//     severe are kept and a notification says how many were left out), at
//     most 1,000 related locations per result, at most 20 tags per rule.
//   - results is always present, and no property is ever written as null.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/kubegrant/kubegrant/internal/sarifspec"
	"github.com/kubegrant/kubegrant/scanner"
)

// SARIF constants other packages (baseline reading, CLI tests) rely on.
const (
	// InformationURI is the tool's home page, written as driver.informationUri.
	InformationURI = "https://github.com/kubegrant/kubegrant"
	// FingerprintKey is the partialFingerprints key holding Fingerprint.
	FingerprintKey = sarifspec.FingerprintKey
	// SRCROOT is the uriBaseId of manifest paths: the repository checkout.
	SRCROOT = "%SRCROOT%"

	// MaxSARIFResults is GitHub's hard limit of results per run.
	MaxSARIFResults = sarifspec.MaxResults
	// MaxSARIFLocations is GitHub's hard limit of locations per result.
	MaxSARIFLocations = sarifspec.MaxLocations
	// MaxSARIFTags is GitHub's hard limit of tags per rule.
	MaxSARIFTags = sarifspec.MaxTags

	// approximateNote ends the message of a result whose line is
	// approximate (see scanner.Source.Approximate).
	approximateNote = " (approximate line: the nearest line of the template or base file that rendered the object)"

	clusterURIPrefix = "kubegrant-cluster/"
	auditURIPrefix   = "kubegrant-audit/"
	rulesDocURI      = InformationURI + "/blob/main/docs/rules.md"
)

// SecuritySeverity returns the numeric string GitHub reads from
// properties.security-severity, chosen inside the bucket GitHub maps back
// to the same severity (≥9 critical, 7–8.9 high, 4–6.9 medium, 0.1–3.9
// low). It returns "" for an unknown severity.
func SecuritySeverity(s Severity) string {
	switch s {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "3.0"
	case Info:
		return "1.0"
	}
	return ""
}

// SARIFLevel returns the SARIF level of a severity: critical and high are
// errors, medium is a warning, low and info are notes. An unknown severity
// is a warning, so a mislabelled finding is neither hidden nor inflated.
func SARIFLevel(s Severity) string {
	switch s {
	case Critical, High:
		return "error"
	case Low, Info:
		return "note"
	}
	return "warning"
}

// sarifWriter writes SARIF 2.1.0 with go-sarif/v2.
type sarifWriter struct {
	opts Options
}

var _ Writer = (*sarifWriter)(nil)

func (s *sarifWriter) Write(w io.Writer, r *Report) error {
	r = finalized(r)
	doc, err := s.build(r)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding sarif: %w", err)
	}
	// go-sarif writes some optional fields of suppression without
	// omitempty ("status": null…), which both schemas reject.
	raw, err = stripNulls(raw)
	if err != nil {
		return fmt.Errorf("encoding sarif: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return fmt.Errorf("encoding sarif: %w", err)
	}
	out.WriteByte('\n')
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("writing sarif report: %w", err)
	}
	return nil
}

func (s *sarifWriter) build(r *Report) (*sarif.Report, error) {
	doc, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, fmt.Errorf("creating sarif report: %w", err)
	}
	name := r.Tool.Name
	if name == "" {
		name = "kubegrant"
	}
	driver := sarif.NewDriver(name).WithInformationURI(InformationURI)
	if r.Tool.Version != "" {
		driver.WithVersion(r.Tool.Version)
		if v := strings.TrimPrefix(r.Tool.Version, "v"); semverRE.MatchString(v) {
			driver.WithSemanticVersion(v)
		}
	}
	driver.Rules = []*sarif.ReportingDescriptor{}
	run := sarif.NewRun(*sarif.NewTool(driver))

	rules := s.rules(r)
	index := make(map[string]int, len(rules))
	for i := range rules {
		index[rules[i].ID] = i
		driver.Rules = append(driver.Rules, sarifRule(&rules[i]))
	}

	inv := run.AddInvocation(true)
	var notes []*sarif.Notification
	findings := r.Findings
	if len(findings) > MaxSARIFResults {
		notes = append(notes, sarif.NewNotification().WithLevel("warning").WithTextMessage(fmt.Sprintf(
			"%d findings beyond GitHub's limit of %d results per run were left out of the SARIF output (the least severe); the json format has them all",
			len(findings)-MaxSARIFResults, MaxSARIFResults)))
		findings = findings[:MaxSARIFResults]
	}
	for i := range findings {
		run.Results = append(run.Results, s.result(&findings[i], index[findings[i].RuleID]))
	}
	for _, d := range r.Diagnostics {
		n := sarif.NewNotification().WithLevel(notificationLevel(d.Severity)).WithTextMessage(d.Message)
		if loc := s.location(d.Location, ""); loc != nil {
			n.WithLocations([]*sarif.Location{loc})
		}
		notes = append(notes, n)
	}
	if len(notes) > 0 {
		inv.WithToolExecutionNotifications(notes)
	}
	doc.AddRun(run)
	return doc, nil
}

// semverRE is the SemVer 2.0 grammar, loosely: what semanticVersion allows.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// rules returns the report's rules plus a minimal one for every rule id a
// finding uses that the report does not describe, sorted by id.
func (s *sarifWriter) rules(r *Report) []Rule {
	rules := slices.Clone(r.Rules)
	known := ruleIndex(r.Rules)
	added := map[string]bool{}
	for _, f := range r.Findings {
		if known[f.RuleID] == nil && !added[f.RuleID] {
			added[f.RuleID] = true
			rules = append(rules, Rule{ID: f.RuleID, Title: f.RuleID, Severity: f.Severity})
		}
	}
	slices.SortStableFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return rules
}

func sarifRule(rl *Rule) *sarif.ReportingDescriptor {
	d := sarif.NewRule(rl.ID)
	if rl.Slug != "" {
		d.WithName(rl.Slug)
	}
	title := rl.Title
	if title == "" {
		title = rl.ID
	}
	d.WithShortDescription(sarif.NewMultiformatMessageString(title))
	if rl.Description != "" {
		d.WithFullDescription(sarif.NewMultiformatMessageString(rl.Description))
	}
	d.WithHelp(sarif.NewMultiformatMessageString(ruleHelpText(rl)).WithMarkdown(ruleHelpMarkdown(rl)))
	d.WithHelpURI(RuleHelpURI(rl))
	d.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(SARIFLevel(rl.Severity)))

	props := sarif.Properties{"tags": sarifTags(rl.Tags)}
	if ss := SecuritySeverity(rl.Severity); ss != "" {
		props["security-severity"] = ss
	}
	if rl.Severity != "" {
		props["severity"] = string(rl.Severity)
	}
	if len(rl.Catalogue) > 0 {
		props["catalogue"] = rl.Catalogue
	}
	d.WithProperties(props)
	return d
}

// RuleHelpURI is the rule's HelpURI, or its anchor in the generated
// docs/rules.md (WriteRules in markdown writes the matching anchors).
func RuleHelpURI(rl *Rule) string {
	if rl.HelpURI != "" {
		return rl.HelpURI
	}
	return rulesDocURI + "#" + ruleAnchor(rl.ID)
}

// ruleAnchor is the HTML id of a rule in the markdown catalogue.
func ruleAnchor(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// sarifTags puts "security" first (GitHub files results with it under
// security alerts), keeps the rule's own tags in order without duplicates
// and stops at GitHub's limit of 20.
func sarifTags(tags []string) []string {
	out := []string{"security", "kubernetes", "rbac"}
	for _, t := range tags {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxSARIFTags {
		out = out[:MaxSARIFTags]
	}
	return out
}

func ruleHelpText(rl *Rule) string {
	var parts []string
	if rl.Description != "" {
		parts = append(parts, rl.Description)
	}
	if rl.Remediation != "" {
		parts = append(parts, "Remediation: "+rl.Remediation)
	}
	if len(rl.References) > 0 {
		parts = append(parts, "References: "+strings.Join(rl.References, "; "))
	}
	if len(rl.Catalogue) > 0 {
		parts = append(parts, "Catalogue: "+strings.Join(rl.Catalogue, ", "))
	}
	if len(parts) == 0 {
		return rl.ID
	}
	return strings.Join(parts, "\n\n")
}

func ruleHelpMarkdown(rl *Rule) string {
	var parts []string
	if rl.Description != "" {
		parts = append(parts, rl.Description)
	}
	if rl.Remediation != "" {
		parts = append(parts, "**Remediation:** "+rl.Remediation)
	}
	if len(rl.References) > 0 {
		var b strings.Builder
		b.WriteString("**References:**\n")
		for _, ref := range rl.References {
			b.WriteString("\n- " + markdownRef(ref))
		}
		parts = append(parts, b.String())
	}
	if len(rl.Catalogue) > 0 {
		parts = append(parts, "**Catalogue:** "+strings.Join(rl.Catalogue, ", "))
	}
	if len(parts) == 0 {
		return rl.ID
	}
	return strings.Join(parts, "\n\n")
}

// markdownRef links a reference that is a URL and leaves others as text.
func markdownRef(ref string) string {
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		return "<" + ref + ">"
	}
	return ref
}

func (s *sarifWriter) result(f *Finding, ruleIdx int) *sarif.Result {
	res := sarif.NewRuleResult(f.RuleID).WithRuleIndex(ruleIdx).WithLevel(SARIFLevel(f.Severity))
	msg := f.Message
	if msg == "" {
		msg = f.RuleID
	}
	if f.Location.Approximate && f.Location.File != "" && f.Location.Line > 0 {
		// GitHub shows the message, not the location's properties.
		msg += approximateNote
	}
	res.WithMessage(sarif.NewTextMessage(msg))
	if loc := s.location(f.Location, findingLogicalName(f)); loc != nil {
		res.WithLocations([]*sarif.Location{loc})
	}

	props := sarif.Properties{"kind": f.Kind}
	related := f.RelatedLocations
	if len(related) > MaxSARIFLocations {
		props["relatedLocationsOmitted"] = len(related) - MaxSARIFLocations
		related = related[:MaxSARIFLocations]
	}
	id := 0
	for _, rel := range related {
		loc := s.location(rel.Location, "")
		if loc == nil {
			continue
		}
		id++
		loc.WithId(id)
		if rel.Message != "" {
			loc.WithMessage(sarif.NewTextMessage(rel.Message))
		}
		res.AddRelatedLocation(loc)
	}
	res.WithPartialFingerPrints(map[string]interface{}{FingerprintKey: f.Fingerprint})
	if flow := s.codeFlow(f); flow != nil {
		res.CodeFlows = []*sarif.CodeFlow{flow}
	}

	if f.Subject != nil {
		props["subject"] = f.Subject.String()
	}
	if f.Binding != nil {
		props["binding"] = f.Binding.String()
	}
	if f.Role != nil {
		props["role"] = f.Role.String()
	}
	if f.Binding != nil || f.Rule != nil {
		props["scope"] = f.Scope
	}
	if f.Exercised != nil {
		props["exercised"] = *f.Exercised
		props["exerciseCount"] = f.ExerciseCount
	} else if f.ExerciseCount > 0 {
		props["exerciseCount"] = f.ExerciseCount
	}
	if f.FirstSeen != "" {
		props["firstSeen"] = f.FirstSeen
	}
	if f.LastSeen != "" {
		props["lastSeen"] = f.LastSeen
	}
	if f.Actor != nil && f.Actor.User != "" {
		props["actor"] = f.Actor.User
	}
	if len(f.Evidence) > 0 {
		ids := make([]string, 0, len(f.Evidence))
		for _, e := range f.Evidence {
			ids = append(ids, e.AuditID)
		}
		props["auditIDs"] = ids
	}
	res.Properties = props

	if f.Suppression != nil {
		// An inline annotation sits in the scanned source; every other
		// suppression (config, platform default, baseline) lives outside it.
		kind := "external"
		if f.Suppression.InSource() {
			kind = "inSource"
		}
		sup := sarif.NewSuppression(kind)
		if just := f.Suppression.String(); just != "" {
			sup.WithJustifcation(just)
		}
		res.AddSuppression(sup)
	}
	return res
}

// codeFlow renders an attack path as one thread flow with a location per
// capability hop (the grant that enables it), in order; nil for other
// findings.
func (s *sarifWriter) codeFlow(f *Finding) *sarif.CodeFlow {
	if f.Kind != KindPath || len(f.Path) == 0 {
		return nil
	}
	tf := sarif.NewThreadFlow()
	order := 0
	for _, h := range f.Path {
		if h.RuleID == "" {
			continue
		}
		to := h.To.String()
		if h.To.Kind == KindTarget {
			to = h.To.Name
		}
		loc := s.location(h.Location, h.From.String())
		if loc == nil {
			continue
		}
		order++
		loc.WithMessage(sarif.NewTextMessage(fmt.Sprintf("%d. %s %s → %s", order, h.From.String(), h.Capability, to)))
		tfl := sarif.NewThreadFlowLocation().WithLocation(loc).WithExecutionOrder(order)
		if h.Exercised != nil {
			tfl.Properties = sarif.Properties{"exercised": *h.Exercised}
		}
		tf.AddLocation(tfl)
	}
	if order == 0 {
		return nil
	}
	return sarif.NewCodeFlow().WithThreadFlows([]*sarif.ThreadFlow{tf}).WithTextMessage(f.Message)
}

// findingLogicalName names what a finding without a file is about: its
// cluster reference; for a detection the actor, else the subject or
// binding; for a grant the binding, else the subject.
func findingLogicalName(f *Finding) string {
	if f.Location.Cluster != "" {
		return f.Location.Cluster
	}
	var names []string
	actor := ""
	if f.Actor != nil && f.Actor.User != "" {
		actor = scanner.KindUser + "/" + f.Actor.User
	}
	subject, binding := "", ""
	if f.Subject != nil {
		subject = f.Subject.String()
	}
	if f.Binding != nil {
		binding = f.Binding.String()
	}
	if f.Kind == KindDetection {
		names = []string{actor, subject, binding}
	} else {
		names = []string{binding, subject, actor}
	}
	for _, n := range names {
		if n != "" {
			return n
		}
	}
	// Nothing to point at; GitHub still needs a location.
	return "Rule/" + f.RuleID
}

// location turns a Source into a SARIF location (see the file comment);
// fallback names the logical location when the source is empty. It returns
// nil when there is nothing to point at.
func (s *sarifWriter) location(src scanner.Source, fallback string) *sarif.Location {
	if src.File != "" {
		uri, base := s.fileURI(src.File)
		al := sarif.NewArtifactLocation().WithUri(uri)
		if base {
			al.WithUriBaseId(SRCROOT)
		}
		pl := sarif.NewPhysicalLocation().WithArtifactLocation(al)
		loc := sarif.NewLocationWithPhysicalLocation(pl)
		if src.Line > 0 {
			pl.WithRegion(sarif.NewRegion().WithStartLine(src.Line))
			if src.Approximate {
				loc.Properties = sarif.Properties{"approximate": true}
			}
		}
		return loc
	}
	fqn, prefix := src.Cluster, clusterURIPrefix
	if fqn == "" {
		fqn, prefix = fallback, auditURIPrefix
	}
	if fqn == "" {
		return nil
	}
	name := fqn[strings.LastIndexByte(fqn, '/')+1:]
	ll := sarif.NewLogicalLocation().WithName(name).WithFullyQualifiedName(fqn).WithKind("resource")
	al := sarif.NewArtifactLocation().WithUri(prefix + escapePath(fqn)).WithUriBaseId(SRCROOT)
	return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().WithArtifactLocation(al)).
		WithLogicalLocations([]*sarif.LogicalLocation{ll})
}

// fileURI returns the URI of a manifest path and whether it is relative to
// %SRCROOT%. Absolute paths under Options.Root are made relative.
func (s *sarifWriter) fileURI(file string) (string, bool) {
	p := file
	if filepath.IsAbs(p) && s.opts.Root != "" {
		if rel, err := filepath.Rel(s.opts.Root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	if filepath.IsAbs(p) {
		slash := filepath.ToSlash(p)
		if !strings.HasPrefix(slash, "/") {
			slash = "/" + slash // a Windows drive path
		}
		return "file://" + escapePath(slash), false
	}
	p = path.Clean(filepath.ToSlash(p))
	p = strings.TrimPrefix(p, "./")
	uri := escapePath(p)
	// A colon in the first segment would read as a URI scheme.
	if first, _, _ := strings.Cut(uri, "/"); strings.Contains(first, ":") {
		uri = "./" + uri
	}
	return uri, true
}

// escapePath percent-encodes each segment of a slash path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func notificationLevel(severity string) string {
	switch severity {
	case scanner.DiagError:
		return "error"
	case scanner.DiagWarning:
		return "warning"
	}
	return "note"
}

// stripNulls re-encodes a JSON document without the object members whose
// value is null, keeping member order and number text as they were.
func stripNulls(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if err := copyValue(dec, tok, &out); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return out.Bytes(), nil
}

func copyValue(dec *json.Decoder, tok json.Token, out *bytes.Buffer) error {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return fmt.Errorf("object key is %T", kt)
				}
				vt, err := dec.Token()
				if err != nil {
					return err
				}
				if vt == nil {
					continue
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				writeString(out, key)
				out.WriteByte(':')
				if err := copyValue(dec, vt, out); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			first := true
			for dec.More() {
				vt, err := dec.Token()
				if err != nil {
					return err
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				if err := copyValue(dec, vt, out); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			out.WriteByte(']')
		default:
			return fmt.Errorf("unexpected %q", t)
		}
	case string:
		writeString(out, t)
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null") // inside arrays, null is kept
	default:
		return fmt.Errorf("unexpected JSON token %T", tok)
	}
	return nil
}

// writeString writes a JSON string without HTML escaping, so markdown help
// and messages stay readable.
func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes; bytes.Buffer never fails
	out.Truncate(out.Len() - 1) // Encode's newline
}
