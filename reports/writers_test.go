package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/internal/sarifcheck"
	"github.com/kubegrant/kubegrant/scanner"
)

func TestNewWriterUnknownFormat(t *testing.T) {
	_, err := NewWriter("yaml", Options{})
	if err == nil || !strings.Contains(err.Error(), "text, json, sarif") {
		t.Errorf("NewWriter(yaml) error = %v, want one listing text, json, sarif", err)
	}
}

// TestWritersDoNotChangeReport: a writer renders a finalized copy and
// leaves the caller's report (order, nil arrays, fingerprints) alone.
func TestWritersDoNotChangeReport(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			r := fixtureReport()
			render(t, format, Options{}, r)
			if diff := cmp.Diff(fixtureReport(), r); diff != "" {
				t.Errorf("Write changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

// TestJSONNeverNull walks the JSON of a report full of nil slices: no value
// may be null, and the contract's keys must be there.
func TestJSONNeverNull(t *testing.T) {
	r := &Report{
		Tool:     Tool{Name: "kubegrant", Version: "dev"},
		Rules:    []Rule{{ID: "KG1", Severity: High, Title: "t"}},
		Findings: []Finding{{RuleID: "KG1", Severity: High, Kind: KindDetection, Rule: &PolicyRule{}, Actor: &Actor{User: "u"}}},
	}
	out := render(t, "json", Options{}, r)
	var doc any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s is null", path)
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("$", doc)
	m := doc.(map[string]any)
	for _, k := range []string{"tool", "rules", "findings", "diagnostics", "summary"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	f := m["findings"].([]any)[0].(map[string]any)
	if _, ok := f["exercised"]; ok {
		t.Error("exercised written although no audit log was given")
	}
	for _, k := range []string{"ruleId", "severity", "kind", "message", "scope", "location", "fingerprint", "rule", "actor"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding key %q missing", k)
		}
	}
	sum := m["summary"].(map[string]any)["bySeverity"].(map[string]any)
	if len(sum) != 5 {
		t.Errorf("bySeverity = %v, want all five levels", sum)
	}
}

// sarifDoc is the part of a SARIF log the tests look at.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name            string `json:"name"`
				SemanticVersion string `json:"semanticVersion"`
				Rules           []struct {
					ID                   string `json:"id"`
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string `json:"level"`
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex int    `json:"ruleIndex"`
	Level     string `json:"level"`
	Locations []struct {
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			FullyQualifiedName string `json:"fullyQualifiedName"`
			Kind               string `json:"kind"`
		} `json:"logicalLocations"`
	} `json:"locations"`
	RelatedLocations    []json.RawMessage `json:"relatedLocations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification"`
	} `json:"suppressions"`
	Properties map[string]any `json:"properties"`
}

func decodeSARIF(t *testing.T, data []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestSARIFContent(t *testing.T) {
	r := fixtureReport()
	out := render(t, "sarif", Options{}, r)
	d := decodeSARIF(t, out)
	run := d.Runs[0]
	if run.Tool.Driver.Name != "kubegrant" || run.Tool.Driver.SemanticVersion != "1.2.3" {
		t.Errorf("driver = %+v", run.Tool.Driver)
	}
	wantSS := map[Severity]string{Critical: "9.5", High: "8.0", Medium: "5.5", Low: "3.0", Info: "1.0"}
	wantLevel := map[Severity]string{Critical: "error", High: "error", Medium: "warning", Low: "note", Info: "note"}
	sev := map[string]Severity{}
	for _, rl := range fixtureReport().Rules {
		sev[rl.ID] = rl.Severity
	}
	for _, rl := range run.Tool.Driver.Rules {
		if got := rl.Properties["security-severity"]; got != wantSS[sev[rl.ID]] {
			t.Errorf("%s security-severity = %v, want %s", rl.ID, got, wantSS[sev[rl.ID]])
		}
		if rl.DefaultConfiguration.Level != wantLevel[sev[rl.ID]] {
			t.Errorf("%s level = %s", rl.ID, rl.DefaultConfiguration.Level)
		}
		tags, _ := rl.Properties["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" {
			t.Errorf("%s tags = %v, want security first", rl.ID, tags)
		}
	}
	byRule := map[string]sarifResult{}
	for _, res := range run.Results {
		byRule[res.RuleID] = res
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: ruleIndex %d points at %s", res.RuleID, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID)
		}
		if res.PartialFingerprints[FingerprintKey] == "" {
			t.Errorf("%s: no fingerprint", res.RuleID)
		}
	}

	grant := byRule["KG001"]
	pl := grant.Locations[0].PhysicalLocation
	if pl == nil || pl.ArtifactLocation.URI != "deploy/rbac.yaml" || pl.ArtifactLocation.URIBaseID != SRCROOT || pl.Region == nil || pl.Region.StartLine != 12 {
		t.Errorf("KG001 location = %+v", grant.Locations)
	}
	if len(grant.RelatedLocations) != 2 {
		t.Errorf("KG001 related locations = %d, want 2 (the empty one dropped)", len(grant.RelatedLocations))
	}
	if grant.Properties["exercised"] != true || grant.Properties["exerciseCount"] != float64(4) {
		t.Errorf("KG001 properties = %v", grant.Properties)
	}

	cluster := byRule["KG002"]
	ll := cluster.Locations[0].LogicalLocations
	if len(ll) != 1 || ll[0].FullyQualifiedName != "ClusterRole/system:secret-reader" || ll[0].Kind != "resource" {
		t.Errorf("KG002 logical location = %+v", ll)
	}
	if pl := cluster.Locations[0].PhysicalLocation; pl == nil || !strings.HasPrefix(pl.ArtifactLocation.URI, clusterURIPrefix) || pl.Region != nil {
		t.Errorf("KG002 physical pseudo-location = %+v", pl)
	}
	if cluster.Properties["exercised"] != false {
		t.Errorf("KG002 exercised = %v, want false", cluster.Properties["exercised"])
	}

	det := byRule["KGD01"]
	if ll := det.Locations[0].LogicalLocations; len(ll) != 1 || ll[0].FullyQualifiedName != "User/mallory" {
		t.Errorf("KGD01 logical location = %+v", ll)
	}
	if _, ok := det.Properties["exercised"]; ok {
		t.Error("KGD01 has exercised although Exercised is nil")
	}

	sup := byRule["KG003"]
	if len(sup.Suppressions) != 1 || sup.Suppressions[0].Kind != "external" || !strings.Contains(sup.Suppressions[0].Justification, "break-glass") {
		t.Errorf("KG003 suppressions = %+v", sup.Suppressions)
	}
	if byRule["KG090"].Locations[0].PhysicalLocation.ArtifactLocation.URI != "deploy/team%20a/rbac.yaml" {
		t.Errorf("path with a space not percent-encoded: %+v", byRule["KG090"].Locations)
	}

	inv := run.Invocations[0]
	if !inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 4 {
		t.Errorf("invocation = %+v", inv)
	}
	if bytes.Contains(out, []byte("null")) {
		t.Error("SARIF contains null")
	}
	if bytes.Contains(out, []byte("primaryLocationLineHash")) {
		t.Error("SARIF sets primaryLocationLineHash")
	}
}

func TestSARIFUnknownRuleAndSeverity(t *testing.T) {
	r := &Report{Findings: []Finding{{RuleID: "X1", Severity: "urgent", Kind: KindGrant, Message: "m", Location: scanner.Source{File: "a.yaml"}}}}
	out := render(t, "sarif", Options{}, r)
	if err := sarifcheck.Validate(out); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, out)
	rules := d.Runs[0].Tool.Driver.Rules
	if len(rules) != 1 || rules[0].ID != "X1" {
		t.Fatalf("rules = %+v, want a descriptor made for X1", rules)
	}
	if _, ok := rules[0].Properties["security-severity"]; ok {
		t.Error("security-severity invented for an unknown severity")
	}
	res := d.Runs[0].Results[0]
	if res.Level != "warning" {
		t.Errorf("level = %s, want warning", res.Level)
	}
	if res.Locations[0].PhysicalLocation.Region != nil {
		t.Error("region written without a line")
	}
}

// TestSARIFFindingWithoutAnyLocation: GitHub rejects a result without a
// physical location, so even a finding with nothing to point at gets one.
func TestSARIFFindingWithoutAnyLocation(t *testing.T) {
	r := &Report{Findings: []Finding{{RuleID: "KGD09", Severity: Low, Kind: KindDetection, Message: "m"}}}
	out := render(t, "sarif", Options{}, r)
	if err := sarifcheck.Validate(out); err != nil {
		t.Fatal(err)
	}
	res := decodeSARIF(t, out).Runs[0].Results[0]
	if got := res.Locations[0].PhysicalLocation.ArtifactLocation.URI; got != auditURIPrefix+"Rule/KGD09" {
		t.Errorf("uri = %q", got)
	}
}

func TestSARIFLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("large report")
	}
	r := &Report{Rules: []Rule{{ID: "KG1", Severity: Low, Title: "t", Tags: make([]string, 30)}}}
	for i := range 30 {
		r.Rules[0].Tags[i] = fmt.Sprintf("tag%d", i)
	}
	for i := range MaxSARIFResults + 3 {
		sev := Low
		if i == MaxSARIFResults+2 {
			sev = Critical // sorted first: must survive the cut
		}
		r.Findings = append(r.Findings, Finding{
			RuleID: "KG1", Severity: sev, Kind: KindGrant, Message: "m",
			Subject:  &scanner.Ref{Kind: scanner.KindUser, Name: fmt.Sprint("u", i)},
			Location: scanner.Source{File: "a.yaml", Line: i + 1},
		})
	}
	for i := range MaxSARIFLocations + 5 {
		r.Findings[0].RelatedLocations = append(r.Findings[0].RelatedLocations, RelatedLocation{Message: "x", Location: scanner.Source{File: "b.yaml", Line: i + 1}})
	}
	out := render(t, "sarif", Options{}, r)
	if err := sarifcheck.CheckGitHub(out); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, out)
	run := d.Runs[0]
	if len(run.Results) != MaxSARIFResults {
		t.Errorf("%d results, want %d", len(run.Results), MaxSARIFResults)
	}
	if run.Results[0].Level != "error" {
		t.Error("the critical finding was cut")
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 1 || !strings.Contains(notes[0].Message.Text, "3 findings beyond") {
		t.Errorf("notifications = %+v, want one about the 3 findings left out", notes)
	}
	if tags := run.Tool.Driver.Rules[0].Properties["tags"].([]any); len(tags) != MaxSARIFTags {
		t.Errorf("%d tags, want %d", len(tags), MaxSARIFTags)
	}
	for _, res := range run.Results {
		if n := len(res.RelatedLocations); n > MaxSARIFLocations {
			t.Errorf("%d related locations", n)
		}
		if res.Properties["relatedLocationsOmitted"] != nil && res.Properties["relatedLocationsOmitted"] != float64(5) {
			t.Errorf("relatedLocationsOmitted = %v", res.Properties["relatedLocationsOmitted"])
		}
	}
}

func TestFileURI(t *testing.T) {
	root := t.TempDir()
	abs := filepath.Join(root, "deploy", "rbac.yaml")
	outside := filepath.Join(filepath.Dir(root), "elsewhere.yaml")
	for _, tc := range []struct {
		name, root, file, want string
		base                   bool
	}{
		{"relative", "", "deploy/rbac.yaml", "deploy/rbac.yaml", true},
		{"dot prefix", "", "./deploy/../deploy/rbac.yaml", "deploy/rbac.yaml", true},
		{"space and hash", "", "deploy/my file#1.yaml", "deploy/my%20file%231.yaml", true},
		{"colon in first segment", "", "a:b.yaml", "./a:b.yaml", true},
		{"absolute under root", root, abs, "deploy/rbac.yaml", true},
		{"absolute outside root", root, outside, "file://" + filepath.ToSlash(outside), false},
		{"absolute without root", "", abs, "file://" + filepath.ToSlash(abs), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && !tc.base {
				t.Skip("drive paths")
			}
			s := &sarifWriter{opts: Options{Root: tc.root}}
			got, base := s.fileURI(filepath.FromSlash(tc.file))
			if got != tc.want || base != tc.base {
				t.Errorf("fileURI(%q) = %q, %v; want %q, %v", tc.file, got, base, tc.want, tc.base)
			}
		})
	}
}

func TestTextEscapesControlCharacters(t *testing.T) {
	r := &Report{Findings: []Finding{{
		RuleID: "KG1", Severity: High, Kind: KindDetection,
		Message: "user \x1b[31mred\x1b[0m\nFAKE LINE",
		Actor:   &Actor{User: "evil\rname"},
	}}}
	out := string(render(t, "text", Options{}, r))
	if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\nFAKE LINE") {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, `user \x1b[31mred\x1b[0m\nFAKE LINE`) {
		t.Errorf("message not shown escaped:\n%s", out)
	}
}

func TestTextRule(t *testing.T) {
	for _, tc := range []struct {
		rule PolicyRule
		want string
	}{
		{PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, `get,list on secrets in ""`},
		{PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, `* on * in *`},
		{PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"a", "b"}}, `get on secrets in "" named a,b`},
		{PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics", "/logs/*"}}, `get on /metrics,/logs/*`},
		{PolicyRule{Resources: []string{"pods"}}, `(no verbs) on pods in (none)`},
	} {
		if got := textRule(&tc.rule); got != tc.want {
			t.Errorf("textRule(%+v) = %q, want %q", tc.rule, got, tc.want)
		}
	}
}

func TestStripNulls(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":null,"b":1,"c":{"d":null},"e":[null,{"f":null}]}`, `{"b":1,"c":{},"e":[null,{}]}`},
		{`{"z":1,"a":2}`, `{"z":1,"a":2}`},
		{`{"n":1.50e3,"s":"<&>"}`, `{"n":1.50e3,"s":"<&>"}`},
		{`[]`, `[]`},
	} {
		got, err := stripNulls([]byte(tc.in))
		if err != nil {
			t.Fatalf("stripNulls(%s): %v", tc.in, err)
		}
		if string(got) != tc.want {
			t.Errorf("stripNulls(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{`{"a":`, `{"a":1}{`, `[1,]`} {
		if _, err := stripNulls([]byte(bad)); err == nil {
			t.Errorf("stripNulls(%s) accepted broken JSON", bad)
		}
	}
}

// FuzzStripNulls: for any JSON document, the output is valid JSON equal to
// the input with null object members removed; broken input is an error,
// never a panic.
func FuzzStripNulls(f *testing.F) {
	for _, s := range []string{`{"a":null}`, `[null,{"b":[1,"x",true,null]}]`, `"s"`, `{"a":{"b":{"c":null}}}`, `{`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := stripNulls(data)
		if !json.Valid(data) {
			if err == nil && !json.Valid(got) {
				t.Fatalf("broken input %q gave broken output %q", data, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid input %q: %v", data, err)
		}
		var want, have any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Skip() // valid but not representable (huge numbers)
		}
		if err := json.Unmarshal(got, &have); err != nil {
			t.Fatalf("output %q is not JSON: %v", got, err)
		}
		if diff := cmp.Diff(dropNullMembers(want), have); diff != "" {
			t.Fatalf("stripNulls(%q) (-want +got):\n%s", data, diff)
		}
	})
}

func dropNullMembers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x != nil {
				out[k] = dropNullMembers(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = dropNullMembers(x)
		}
		return out
	}
	return v
}

// FuzzWriters feeds untrusted-looking strings through every writer: no
// panic, valid JSON and SARIF, SARIF that passes GitHub's checks, and text
// without raw control characters.
func FuzzWriters(f *testing.F) {
	f.Add("KG1", "high", "msg", "deploy/a b.yaml", 3, "ClusterRole/x", "sa", "ns", "\x1b[1m")
	f.Add("", "", "", "", 0, "", "", "", "")
	f.Add("r", "bogus", "m\n", "/abs/p.yaml", -4, "a:b/c", "n:x", "", "%zz")
	f.Fuzz(func(t *testing.T, ruleID, severity, msg, file string, line int, cluster, name, ns, key string) {
		r := &Report{
			Rules: []Rule{{ID: ruleID, Severity: Severity(severity), Title: msg, References: []string{key}}},
			Findings: []Finding{{
				RuleID: ruleID, Severity: Severity(severity), Kind: KindGrant, Message: msg, Key: key,
				Subject:  &scanner.Ref{Kind: scanner.KindServiceAccount, Name: name, Namespace: ns},
				Location: scanner.Source{File: file, Line: line, Cluster: cluster},
				Actor:    &Actor{User: name},
			}},
			Diagnostics: []scanner.Diagnostic{{Severity: severity, Message: msg, Location: scanner.Source{File: file, Line: line}}},
		}
		for _, format := range Formats {
			w, err := NewWriter(format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w.Write(&buf, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			switch format {
			case "json":
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("invalid json: %s", buf.Bytes())
				}
			case "sarif":
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("invalid sarif json: %s", buf.Bytes())
				}
				// A negative line or an empty file is the caller's bug,
				// but must still not produce a log GitHub rejects.
				if err := sarifcheck.CheckGitHub(buf.Bytes()); err != nil {
					t.Fatalf("GitHub would reject: %v\n%s", err, buf.Bytes())
				}
			case "html":
				if err := checkSelfContained(buf.Bytes()); err != nil {
					t.Fatal(err)
				}
			case "text":
				if strings.ContainsAny(strings.TrimSuffix(strings.ReplaceAll(buf.String(), "\n", ""), ""), "\x1b\r\x00") {
					t.Fatalf("raw control characters in text: %q", buf.String())
				}
			}
		}
	})
}

// TestSARIFSuppressionKinds: an inline annotation is an in-source
// suppression; config, platform defaults and baselines are external.
func TestSARIFSuppressionKinds(t *testing.T) {
	for kind, want := range map[string]string{"inline": "inSource", "config": "external", "platform-default": "external", "baseline": "external"} {
		f := Finding{RuleID: "KG1", Severity: High, Kind: KindGrant, Message: "m", Location: scanner.Source{File: "a.yaml", Line: 1},
			Suppression: &Suppression{Kind: kind, Justification: "j"}}
		r := &Report{Rules: []Rule{{ID: "KG1", Severity: High}}, Findings: []Finding{f}}
		w, err := NewWriter("sarif", Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Runs []struct {
				Results []struct {
					Suppressions []struct {
						Kind string `json:"kind"`
					} `json:"suppressions"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if got := doc.Runs[0].Results[0].Suppressions[0].Kind; got != want {
			t.Errorf("%s suppression: SARIF kind %q, want %q", kind, got, want)
		}
	}
}
