package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kubegrant/kubegrant/internal/par"
	"github.com/kubegrant/kubegrant/scanner"
)

// fingerprintLen is the number of hex digits kept from the SHA-256: 128
// bits, far beyond any chance collision among one repository's findings.
const fingerprintLen = 32

// Finalize puts a report into its written form. It is idempotent, and every
// writer calls it on a copy, so callers only need it to read the results
// (fingerprints, summary) in memory.
//
//   - Findings are sorted by severity (most severe first), rule id, location
//     file, line, cluster reference, subject, binding, message, then the rest
//     of their identity, so the order never depends on input order.
//   - Each finding gets its Fingerprint. Findings whose identity is the same
//     (the same rule listed twice in a role, the same binding in two
//     overlays) get distinct fingerprints by order of occurrence.
//   - Rules are sorted by id, diagnostics by location; exact duplicate
//     diagnostics are dropped.
//   - Every array the JSON contract lists is made non-nil.
//   - Summary.Findings and Summary.BySeverity count only the findings that
//     are not suppressed, because those are the ones --fail-on gates on;
//     Summary.Suppressed counts the others. BySeverity has a key for every
//     severity. AuditEvents and AuditErrors are the caller's and kept.
//   - A finding or rule with a severity outside the enum gets a warning
//     diagnostic: it would otherwise be miscounted silently.
func (r *Report) Finalize() {
	r.SchemaVersion = SchemaVersion
	if r.Rules == nil {
		r.Rules = []Rule{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Diagnostics == nil {
		r.Diagnostics = []scanner.Diagnostic{}
	}

	for i := range r.Rules {
		rl := &r.Rules[i]
		rl.Tags = nonNil(rl.Tags)
		rl.Catalogue = nonNil(rl.Catalogue)
		rl.References = nonNil(rl.References)
		for j := range rl.ExercisedBy {
			nonNilRule(&rl.ExercisedBy[j])
		}
		if rl.Severity.Rank() == 0 {
			r.addDiagnostic(scanner.DiagWarning, fmt.Sprintf("rule %s has unknown severity %q", rl.ID, rl.Severity), scanner.Source{})
		}
	}
	slices.SortStableFunc(r.Rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })

	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Rule != nil {
			nonNilRule(f.Rule)
		}
		if f.Actor != nil {
			f.Actor.Groups = nonNil(f.Actor.Groups)
			f.Actor.SourceIPs = nonNil(f.Actor.SourceIPs)
		}
		if f.Severity.Rank() == 0 {
			r.addDiagnostic(scanner.DiagWarning, fmt.Sprintf("finding of rule %s has unknown severity %q", f.RuleID, f.Severity), f.Location)
		}
	}
	par.Ranges(len(r.Findings), 1024, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r.Findings[i].Fingerprint = Fingerprint(&r.Findings[i])
		}
	})
	SortStable(r.Findings, compareFindings)

	// Identical identities: the first keeps the plain hash, later ones hash
	// in their occurrence number. The sort above makes that order stable.
	seen := make(map[string]int, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		base := f.Fingerprint
		n := seen[base]
		seen[base] = n + 1
		if n > 0 {
			f.Fingerprint = hashHex(base + "#" + strconv.Itoa(n))
		}
	}

	slices.SortStableFunc(r.Diagnostics, compareDiagnostics)
	r.Diagnostics = slices.CompactFunc(r.Diagnostics, func(a, b scanner.Diagnostic) bool { return a == b })

	r.Summary.Findings = 0
	r.Summary.Suppressed = 0
	r.Summary.Paths, r.Summary.Walked = 0, 0
	r.Summary.BySeverity = make(map[Severity]int, len(Severities))
	for _, s := range Severities {
		r.Summary.BySeverity[s] = 0
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppression != nil {
			r.Summary.Suppressed++
			continue
		}
		r.Summary.Findings++
		if f.Kind == KindPath {
			r.Summary.Paths++
			if f.Walked != nil && *f.Walked {
				r.Summary.Walked++
			}
		}
		if f.Severity.Rank() > 0 {
			r.Summary.BySeverity[f.Severity]++
		}
	}
	r.Finalized = true
}

// addDiagnostic appends a diagnostic unless the very same one is there
// already, which keeps Finalize idempotent.
func (r *Report) addDiagnostic(severity, msg string, loc scanner.Source) {
	d := scanner.Diagnostic{Severity: severity, Message: msg, Location: loc}
	if !slices.Contains(r.Diagnostics, d) {
		r.Diagnostics = append(r.Diagnostics, d)
	}
}

func nonNilRule(p *PolicyRule) {
	p.APIGroups = nonNil(p.APIGroups)
	p.Resources = nonNil(p.Resources)
	p.Verbs = nonNil(p.Verbs)
	p.ResourceNames = nonNil(p.ResourceNames)
	p.NonResourceURLs = nonNil(p.NonResourceURLs)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// compareRefs orders references as their String forms ("Kind/ns/name" or
// "Kind/name") would sort, without building the strings: sorting hundreds
// of thousands of findings must not allocate per comparison. nil sorts
// first, as the empty string would.
func compareRefs(a, b *scanner.Ref) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	case a.Kind == b.Kind && a.Namespace == b.Namespace:
		// The same "Kind/" or "Kind/ns/" before the names.
		return strings.Compare(a.Name, b.Name)
	}
	return compareJoined(refParts(a), refParts(b))
}

func refParts(r *scanner.Ref) [5]string {
	if r.Namespace == "" {
		return [5]string{r.Kind, "/", r.Name}
	}
	return [5]string{r.Kind, "/", r.Namespace, "/", r.Name}
}

// compareJoined compares the concatenations of a's and b's parts byte by
// byte.
func compareJoined(a, b [5]string) int {
	ai, aj, bi, bj := 0, 0, 0, 0 // part index, byte index in part
	for {
		for ai < len(a) && aj == len(a[ai]) {
			ai, aj = ai+1, 0
		}
		for bi < len(b) && bj == len(b[bi]) {
			bi, bj = bi+1, 0
		}
		switch {
		case ai == len(a) && bi == len(b):
			return 0
		case ai == len(a):
			return -1
		case bi == len(b):
			return 1
		}
		if c := cmp.Compare(a[ai][aj], b[bi][bj]); c != 0 {
			return c
		}
		aj, bj = aj+1, bj+1
	}
}

func compareFindings(a, b *Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
		strings.Compare(a.RuleID, b.RuleID),
		strings.Compare(a.Location.File, b.Location.File),
		cmp.Compare(a.Location.Line, b.Location.Line),
		strings.Compare(a.Location.Cluster, b.Location.Cluster),
		compareRefs(a.Subject, b.Subject),
		compareRefs(a.Binding, b.Binding),
		strings.Compare(a.Message, b.Message),
		compareRefs(a.Role, b.Role),
		strings.Compare(a.Scope, b.Scope),
		// The fingerprint hashes everything else that identifies a finding,
		// so it breaks the remaining ties deterministically.
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

func compareDiagnostics(a, b scanner.Diagnostic) int {
	return cmp.Or(
		strings.Compare(a.Location.File, b.Location.File),
		cmp.Compare(a.Location.Line, b.Location.Line),
		strings.Compare(a.Location.Cluster, b.Location.Cluster),
		cmp.Compare(diagRank(a.Severity), diagRank(b.Severity)),
		strings.Compare(a.Message, b.Message),
	)
}

// diagRank puts errors before warnings at the same location.
func diagRank(s string) int {
	switch s {
	case scanner.DiagError:
		return 0
	case scanner.DiagWarning:
		return 1
	}
	return 2
}

// Fingerprint returns a stable identity hash of a finding: the first 32 hex
// digits of a SHA-256 over its rule id, kind, subject, binding, role, scope,
// the RBAC rule with each list sorted, the actor's user name and Key.
//
// Locations (file, line, cluster reference), messages, severities, evidence,
// exercise data and suppressions are left out on purpose: the fingerprint
// must survive unrelated edits that move lines or rename files, a reworded
// message, a severity change or a new audit log, so that baselines and
// GitHub alerts keep tracking the same finding. Finalize makes fingerprints
// unique within a report.
func Fingerprint(f *Finding) string {
	// Every field is quoted (strconv.Quote) and labelled, so no choice of
	// names can make two different identities encode the same.
	var b strings.Builder
	field := func(name string, vals ...string) {
		b.WriteString(name)
		for _, v := range vals {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(v))
		}
		b.WriteByte('\n')
	}
	ref := func(name string, r *scanner.Ref) {
		if r == nil {
			field(name)
			return
		}
		field(name, r.Kind, r.Namespace, r.Name)
	}
	field("v1")
	field("rule", f.RuleID)
	field("kind", f.Kind)
	ref("subject", f.Subject)
	// A finding about an identity's capability (GrantRefs) or an attack
	// path is the same finding whichever grants give it: grants come and
	// go without changing what the identity can do.
	identityLevel := f.GrantRefs != nil || f.Kind == KindPath
	if !identityLevel {
		ref("binding", f.Binding)
		ref("role", f.Role)
	}
	field("scope", f.Scope)
	if identityLevel {
		field("norule")
	} else if f.Rule != nil {
		field("apiGroups", sortedSet(f.Rule.APIGroups)...)
		field("resources", sortedSet(f.Rule.Resources)...)
		field("verbs", sortedSet(f.Rule.Verbs)...)
		field("resourceNames", sortedSet(f.Rule.ResourceNames)...)
		field("nonResourceURLs", sortedSet(f.Rule.NonResourceURLs)...)
	} else {
		field("norule")
	}
	if f.Actor != nil {
		field("actor", f.Actor.User)
	}
	field("key", f.Key)
	return hashHex(b.String())
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:fingerprintLen]
}

// sortedSet returns a sorted copy without duplicates: RBAC rule lists are
// sets, so ["get","list"] and ["list","get","get"] grant the same.
func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return nonNil(slices.Compact(out))
}

// SortStable sorts findings stably by cmp, moving each finding once:
// sorting the large structs themselves costs more in copies than in
// comparisons when there are hundreds of thousands of them.
//
// Both halves are sorted at once on two cores, then merged.
func SortStable(fs []Finding, cmp func(a, b *Finding) int) {
	idx := make([]int32, len(fs))
	for i := range idx {
		idx[i] = int32(i)
	}
	byFinding := func(a, b int32) int { return cmp(&fs[a], &fs[b]) }
	if half := len(idx) / 2; half < 1024 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortStableFunc(idx, byFinding)
	} else {
		left, right := idx[:half], idx[half:]
		var wg sync.WaitGroup
		wg.Go(func() { slices.SortStableFunc(left, byFinding) })
		slices.SortStableFunc(right, byFinding)
		wg.Wait()
		merged := make([]int32, 0, len(idx))
		for len(left) > 0 && len(right) > 0 {
			// Ties take the left (earlier) element first: the merge is stable.
			if byFinding(right[0], left[0]) < 0 {
				merged, right = append(merged, right[0]), right[1:]
			} else {
				merged, left = append(merged, left[0]), left[1:]
			}
		}
		idx = append(append(merged, left...), right...)
	}
	if slices.IsSorted(idx) {
		return
	}
	// Apply the permutation in place, one cycle at a time: position i
	// takes the finding at idx[i]. No second slice of findings is made.
	for start := range idx {
		if idx[start] < 0 || int(idx[start]) == start {
			continue
		}
		tmp := fs[start]
		i := start
		for {
			j := int(idx[i])
			idx[i] = -1
			if j == start {
				fs[i] = tmp
				break
			}
			fs[i] = fs[j]
			i = j
		}
	}
}
