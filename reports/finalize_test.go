package reports

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/scanner"
)

func baseFinding() Finding {
	return Finding{
		RuleID:   "KG001",
		Severity: Critical,
		Kind:     KindGrant,
		Message:  "ServiceAccount ci/deployer can create tokens",
		Subject:  &scanner.Ref{Kind: scanner.KindServiceAccount, Name: "deployer", Namespace: "ci"},
		Binding:  &scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "deployer-tokens"},
		Role:     &scanner.Ref{Kind: scanner.KindClusterRole, Name: "token-minter"},
		Rule:     &PolicyRule{Verbs: []string{"create", "get"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token", "serviceaccounts"}},
		Location: scanner.Source{File: "deploy/rbac.yaml", Line: 12},
	}
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestFingerprintStable(t *testing.T) {
	base := baseFinding()
	want := Fingerprint(&base)
	if !fingerprintRE.MatchString(want) {
		t.Fatalf("Fingerprint = %q, want 32 lowercase hex digits", want)
	}
	// Changes that must not move the fingerprint: they do not change what
	// the finding is about.
	for _, tc := range []struct {
		name   string
		mutate func(f *Finding)
	}{
		{"line moved", func(f *Finding) { f.Location.Line = 99 }},
		{"file renamed", func(f *Finding) { f.Location.File = "k8s/rbac.yml" }},
		{"read from the cluster", func(f *Finding) { f.Location = scanner.Source{Cluster: "ClusterRole/token-minter"} }},
		{"message reworded", func(f *Finding) { f.Message = "something else" }},
		{"severity changed", func(f *Finding) { f.Severity = Low }},
		{"evidence added", func(f *Finding) {
			f.Evidence = []Evidence{{AuditID: "x", Verb: "create"}}
			f.Exercised = boolp(true)
			f.ExerciseCount = 7
			f.FirstSeen, f.LastSeen = "t1", "t2"
		}},
		{"related locations", func(f *Finding) {
			f.RelatedLocations = []RelatedLocation{{Message: "m", Location: scanner.Source{File: "a", Line: 1}}}
		}},
		{"suppressed", func(f *Finding) { f.Suppression = &Suppression{Kind: "baseline"} }},
		{"old fingerprint set", func(f *Finding) { f.Fingerprint = "stale" }},
		{"rule lists reordered and repeated", func(f *Finding) {
			f.Rule = &PolicyRule{Verbs: []string{"get", "create", "get"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts", "serviceaccounts/token"}}
		}},
		{"nil vs empty rule lists", func(f *Finding) { f.Rule.ResourceNames = []string{}; f.Rule.NonResourceURLs = nil }},
	} {
		t.Run("same/"+tc.name, func(t *testing.T) {
			f := baseFinding()
			tc.mutate(&f)
			if got := Fingerprint(&f); got != want {
				t.Errorf("Fingerprint changed: %s -> %s", want, got)
			}
		})
	}
	// A detection's actor is identified by user name, not by where it
	// connected from this time.
	d1, d2 := baseFinding(), baseFinding()
	d1.Actor = &Actor{User: "mallory", SourceIPs: []string{"203.0.113.9"}, UserAgent: "curl/8"}
	d2.Actor = &Actor{User: "mallory", SourceIPs: []string{"198.51.100.1"}, Groups: []string{"g"}}
	if Fingerprint(&d1) != Fingerprint(&d2) {
		t.Error("Fingerprint depends on the actor's source IPs, groups or user agent")
	}

	// Changes that must move it: a different finding.
	for _, tc := range []struct {
		name   string
		mutate func(f *Finding)
	}{
		{"rule id", func(f *Finding) { f.RuleID = "KG002" }},
		{"kind", func(f *Finding) { f.Kind = KindHygiene }},
		{"subject name", func(f *Finding) { f.Subject.Name = "other" }},
		{"subject namespace", func(f *Finding) { f.Subject.Namespace = "prod" }},
		{"subject kind", func(f *Finding) { f.Subject.Kind = scanner.KindUser }},
		{"no subject", func(f *Finding) { f.Subject = nil }},
		{"binding", func(f *Finding) {
			f.Binding = &scanner.Ref{Kind: scanner.KindRoleBinding, Name: "deployer-tokens", Namespace: "ci"}
		}},
		{"role", func(f *Finding) { f.Role.Name = "admin" }},
		{"scope", func(f *Finding) { f.Scope = "ci" }},
		{"verb added", func(f *Finding) { f.Rule.Verbs = append(f.Rule.Verbs, "list") }},
		{"resource name", func(f *Finding) { f.Rule.ResourceNames = []string{"x"} }},
		{"api group", func(f *Finding) { f.Rule.APIGroups = []string{"apps"} }},
		{"value moved between lists", func(f *Finding) {
			f.Rule = &PolicyRule{Verbs: []string{"create", "get", ""}, Resources: []string{"serviceaccounts/token", "serviceaccounts"}}
		}},
		{"no rule", func(f *Finding) { f.Rule = nil }},
		{"key", func(f *Finding) { f.Key = "k" }},
		{"actor", func(f *Finding) { f.Actor = &Actor{User: "mallory"} }},
		{"name with separator", func(f *Finding) { f.Subject.Name = "deployer\" ci" }},
	} {
		t.Run("different/"+tc.name, func(t *testing.T) {
			f := baseFinding()
			tc.mutate(&f)
			if got := Fingerprint(&f); got == want {
				t.Errorf("Fingerprint did not change")
			}
		})
	}
}

func TestFinalizeOrderAndSummary(t *testing.T) {
	r := fixtureReport()
	r.Finalize()

	var got []string
	for _, f := range r.Findings {
		got = append(got, string(f.Severity)+" "+f.RuleID)
	}
	want := []string{"critical KG001", "high KG002", "high KGD01", "medium KG003", "low KG090", "info KG091"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding order (-want +got):\n%s", diff)
	}

	var ids []string
	for _, rl := range r.Rules {
		ids = append(ids, rl.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("rules not sorted by id: %v", ids)
	}

	var diags []string
	for _, d := range r.Diagnostics {
		diags = append(diags, d.Location.String())
	}
	wantDiags := []string{"", "Role/kube-system/*", "audit/audit.log:17", "deploy/broken.yaml:3"}
	if diff := cmp.Diff(wantDiags, diags); diff != "" {
		t.Errorf("diagnostic order (-want +got):\n%s", diff)
	}

	wantSummary := Summary{
		Findings:     5, // the suppressed KG003 is not counted
		BySeverity:   map[Severity]int{Critical: 1, High: 2, Medium: 0, Low: 1, Info: 1},
		Suppressed:   1,
		AuditEvents:  120,
		AuditErrors:  1,
		ObservedFrom: "2026-01-01T00:00:00Z",
		ObservedTo:   "2026-01-02T04:00:00Z",
	}
	if diff := cmp.Diff(wantSummary, r.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !fingerprintRE.MatchString(f.Fingerprint) || seen[f.Fingerprint] {
			t.Errorf("%s: bad or duplicate fingerprint %q", f.RuleID, f.Fingerprint)
		}
		seen[f.Fingerprint] = true
	}
}

func TestFinalizeIdempotent(t *testing.T) {
	r := fixtureReport()
	r.Findings = append(r.Findings, r.Findings[0]) // a duplicate identity
	r.Findings[0].Severity = "urgent"              // an unknown severity
	r.Finalize()
	once := *r
	once.Findings = slices.Clone(r.Findings)
	once.Diagnostics = slices.Clone(r.Diagnostics)
	r.Finalize()
	if diff := cmp.Diff(&once, r); diff != "" {
		t.Errorf("second Finalize changed the report (-first +second):\n%s", diff)
	}
}

func TestFinalizeDuplicatesAndUnknownSeverity(t *testing.T) {
	a, b := baseFinding(), baseFinding()
	b.Location.Line = 20 // the same rule listed twice in one role
	c := baseFinding()
	c.Severity = "urgent"
	c.RuleID = "KG009"
	r := &Report{Findings: []Finding{b, a, c}}
	r.Finalize()

	if r.Findings[0].Location.Line != 12 || r.Findings[1].Location.Line != 20 {
		t.Fatalf("duplicates not ordered by line: %+v", r.Findings)
	}
	if r.Findings[0].Fingerprint != Fingerprint(&a) {
		t.Errorf("first duplicate fingerprint = %s, want the plain %s", r.Findings[0].Fingerprint, Fingerprint(&a))
	}
	if r.Findings[1].Fingerprint == r.Findings[0].Fingerprint || !fingerprintRE.MatchString(r.Findings[1].Fingerprint) {
		t.Errorf("second duplicate fingerprint %q not distinct", r.Findings[1].Fingerprint)
	}
	if r.Findings[2].RuleID != "KG009" {
		t.Errorf("unknown severity not sorted last: %s", r.Findings[2].RuleID)
	}
	wantDiag := []scanner.Diagnostic{{
		Severity: scanner.DiagWarning,
		Message:  `finding of rule KG009 has unknown severity "urgent"`,
		Location: c.Location,
	}}
	if diff := cmp.Diff(wantDiag, r.Diagnostics); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if r.Summary.Findings != 3 || r.Summary.BySeverity[Critical] != 2 {
		t.Errorf("summary = %+v, want 3 findings, 2 critical", r.Summary)
	}
}

func TestFinalizeNonNilArrays(t *testing.T) {
	r := &Report{
		Rules:    []Rule{{ID: "KG1", Severity: Low}},
		Findings: []Finding{{RuleID: "KG1", Severity: Low, Kind: KindGrant, Rule: &PolicyRule{}, Actor: &Actor{User: "u"}}},
	}
	r.Finalize()
	rl, f := r.Rules[0], r.Findings[0]
	for name, s := range map[string][]string{
		"tags": rl.Tags, "catalogue": rl.Catalogue, "references": rl.References,
		"apiGroups": f.Rule.APIGroups, "resources": f.Rule.Resources, "verbs": f.Rule.Verbs,
		"resourceNames": f.Rule.ResourceNames, "nonResourceURLs": f.Rule.NonResourceURLs,
		"groups": f.Actor.Groups, "sourceIPs": f.Actor.SourceIPs,
	} {
		if s == nil {
			t.Errorf("%s is nil", name)
		}
	}
	if r.Diagnostics == nil {
		t.Error("diagnostics is nil")
	}
	if len(r.Summary.BySeverity) != len(Severities) {
		t.Errorf("bySeverity = %v, want a key per severity", r.Summary.BySeverity)
	}

	empty := &Report{}
	empty.Finalize()
	if empty.Rules == nil || empty.Findings == nil || empty.Diagnostics == nil {
		t.Errorf("empty report arrays not made non-nil: %+v", empty)
	}
}

func TestFinalizeDedupesDiagnostics(t *testing.T) {
	d := scanner.Diagnostic{Severity: scanner.DiagError, Message: "m", Location: scanner.Source{File: "f", Line: 1}}
	w := d
	w.Severity = scanner.DiagWarning
	r := &Report{Diagnostics: []scanner.Diagnostic{w, d, d}}
	r.Finalize()
	if diff := cmp.Diff([]scanner.Diagnostic{d, w}, r.Diagnostics); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestCompareRefsMatchesStringOrder(t *testing.T) {
	refs := []*scanner.Ref{nil,
		{Kind: "Group", Name: "zed"}, {Kind: "Group", Name: "abc", Namespace: "x"}, {Kind: "Group", Name: "abc"},
		{Kind: "Group", Name: "ab", Namespace: "c"}, {Kind: "Group", Name: "a/b"}, {Kind: "ServiceAccount", Name: "a", Namespace: "ns"},
		{Kind: "User", Name: ""}, {Kind: "", Name: ""}, {Kind: "User", Name: "alice"}, {Kind: "Users", Name: "a"},
		{Kind: "ServiceAccount", Name: "a-b", Namespace: "ns"}, {Kind: "ServiceAccount", Name: "", Namespace: "ns"},
		{Kind: "ServiceAccount", Name: "a", Namespace: "ns-2"}, {Kind: "ServiceAccount", Name: "b", Namespace: "n"},
	}
	str := func(r *scanner.Ref) string {
		if r == nil {
			return ""
		}
		return r.String()
	}
	for _, a := range refs {
		for _, b := range refs {
			if got, want := compareRefs(a, b), strings.Compare(str(a), str(b)); got != want {
				t.Errorf("compareRefs(%q, %q) = %d, want %d", str(a), str(b), got, want)
			}
		}
	}
}

// TestSortStable: the two-core sort and merge gives what a sequential
// stable sort gives, ties included, below and above the size where it
// splits.
func TestSortStable(t *testing.T) {
	for _, n := range []int{0, 1, 7, 2047, 2048, 5000} {
		fs := make([]Finding, n)
		for i := range fs {
			// Few distinct keys: many ties, told apart only by order.
			fs[i] = Finding{RuleID: fmt.Sprintf("KG%03d", (i*7919)%13), Message: strconv.Itoa(i)}
		}
		want := slices.Clone(fs)
		byRule := func(a, b *Finding) int { return strings.Compare(a.RuleID, b.RuleID) }
		slices.SortStableFunc(want, func(a, b Finding) int { return byRule(&a, &b) })
		SortStable(fs, byRule)
		for i := range fs {
			if fs[i].RuleID != want[i].RuleID || fs[i].Message != want[i].Message {
				t.Fatalf("n=%d: position %d is %s/%s, want %s/%s", n, i, fs[i].RuleID, fs[i].Message, want[i].RuleID, want[i].Message)
			}
		}
	}
}
