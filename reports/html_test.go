package reports

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kubegrant/kubegrant/internal/htmlnode"
	"github.com/kubegrant/kubegrant/scanner"
)

// htmlPage is a parsed HTML report.
type htmlPage struct {
	root *html.Node
}

func parseHTMLPage(out []byte) (*htmlPage, error) {
	root, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	return &htmlPage{root: root}, nil
}

// each calls fn on every element.
func (p *htmlPage) each(fn func(n *html.Node)) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			fn(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.root)
}

// checkSelfContained fails when the page could load anything or run any
// script but its own: one <script> (kubegrant's) and one <style>, the
// Content-Security-Policy that allows only them, no element that loads a
// resource, no URL attribute but in-page anchors, no event handler or
// inline style attribute.
func checkSelfContained(out []byte) error {
	p, err := parseHTMLPage(out)
	if err != nil {
		return err
	}
	var errs []string
	scripts, styles, csp := 0, 0, ""
	p.each(func(n *html.Node) {
		switch n.Data {
		case "script":
			scripts++
			if got := htmlnode.Text(n); got != htmlScript {
				errs = append(errs, fmt.Sprintf("a <script> that is not the report's: %.80q", got))
			}
		case "style":
			styles++
			if got := htmlnode.Text(n); got != htmlStyle {
				errs = append(errs, fmt.Sprintf("a <style> that is not the report's: %.80q", got))
			}
		case "link", "img", "iframe", "frame", "object", "embed", "video", "audio", "source", "track", "picture", "base", "svg", "math", "template":
			errs = append(errs, "element <"+n.Data+">")
		case "meta":
			if v, _ := htmlnode.Attr(n, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
				csp, _ = htmlnode.Attr(n, "content")
			} else if strings.EqualFold(v, "refresh") {
				errs = append(errs, "meta refresh")
			}
		}
		for _, a := range n.Attr {
			switch key := strings.ToLower(a.Key); {
			case strings.HasPrefix(key, "on"), key == "style":
				errs = append(errs, fmt.Sprintf("<%s %s=%q>", n.Data, a.Key, a.Val))
			case key == "src", key == "srcset", key == "href", key == "action", key == "formaction", key == "poster",
				key == "background", key == "data", key == "xlink:href", key == "ping", key == "cite", key == "manifest":
				if !strings.HasPrefix(a.Val, "#") {
					errs = append(errs, fmt.Sprintf("<%s %s=%q>", n.Data, a.Key, a.Val))
				}
			}
		}
	})
	if scripts != 1 || styles != 1 {
		errs = append(errs, fmt.Sprintf("%d <script> and %d <style> elements, want one each", scripts, styles))
	}
	if csp != HTMLContentSecurityPolicy {
		errs = append(errs, fmt.Sprintf("Content-Security-Policy %q, want %q", csp, HTMLContentSecurityPolicy))
	}
	if len(errs) > 0 {
		return fmt.Errorf("the page is not self-contained: %s", strings.Join(errs, "; "))
	}
	return nil
}

// TestHTMLEscapes: every string from manifests and audit logs is escaped
// for where it lands (text, attributes, the title); a finding's message
// holding a script stays text, and the page keeps its one script.
func TestHTMLEscapes(t *testing.T) {
	evil := `<script>alert(1)</script>"'&<img src=x onerror=alert(2)>`
	ref := &scanner.Ref{Kind: "ServiceAccount", Namespace: "ns\"><u>", Name: "x" + evil}
	r := &Report{
		Tool:  Tool{Name: "kubegrant", Version: "v</title><script>alert(3)</script>"},
		Rules: []Rule{{ID: "KG001", Title: "T" + evil, Severity: Critical, Remediation: "Fix" + evil}},
		Findings: []Finding{
			{RuleID: "KG001", Severity: Critical, Kind: KindGrant, Message: "m" + evil, Subject: ref, Scope: "ns" + evil,
				Binding:   &scanner.Ref{Kind: scanner.KindRoleBinding, Namespace: "ns", Name: "b" + evil},
				Rule:      &PolicyRule{Verbs: []string{"get" + evil}, Resources: []string{"secrets"}, APIGroups: []string{""}},
				Location:  scanner.Source{File: "a" + evil + ".yaml", Line: 3},
				Exercised: boolp(true), ExerciseCount: 1,
				Evidence: []Evidence{{AuditID: "id" + evil, Time: "t", User: "u" + evil, Verb: "get", UserAgent: evil, Decision: "allow"}}},
			{RuleID: "KGP01", Severity: Critical, Kind: KindPath, Message: "p" + evil, Subject: ref, Walked: boolp(false),
				Path: []Hop{{From: *ref, RuleID: "KG001", Capability: "c" + evil, To: scanner.Ref{Kind: KindTarget, Name: "cluster-admin" + evil},
					Grant: &GrantRef{Binding: scanner.Ref{Kind: scanner.KindRoleBinding, Name: evil}, Role: scanner.Ref{Kind: scanner.KindRole, Name: evil}}}}},
			{RuleID: "KGD01", Severity: High, Kind: KindDetection, Message: "d" + evil, Actor: &Actor{User: evil, UserAgent: evil}, ExerciseCount: 1},
		},
		Diagnostics: []scanner.Diagnostic{{Severity: scanner.DiagWarning, Message: "diag" + evil, Location: scanner.Source{File: evil}}},
		Identities:  []Identity{{Identity: *ref, Severity: Critical, Reaches: []string{evil}, Capabilities: []string{evil}}},
	}
	out := render(t, "html", Options{FailOn: "high" + evil}, r)
	if err := checkSelfContained(out); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "</title><script>", `"><u>`} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("unescaped %q in the page", bad)
		}
	}
	if !bytes.Contains(out, []byte(`m&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;&lt;img src=x onerror=alert(2)&gt;`)) {
		t.Errorf("the finding's message is not shown escaped:\n%s", out)
	}
	// Attribute values round-trip: the filters see the names as written.
	p, err := parseHTMLPage(out)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	p.each(func(n *html.Node) {
		if v, ok := htmlnode.Attr(n, "data-id"); ok && strings.Contains(v, "ServiceAccount ns\"><u>/x"+evil) {
			found = true
		}
	})
	if !found {
		t.Error("no data-id holds the identity's name as written")
	}
}

// TestHTMLCounts: the counts the page shows are the summary's, and the
// findings it lists (un-suppressed, by severity and kind) add up to them;
// suppressed findings are listed apart and the gate line says what
// --fail-on decided.
func TestHTMLCounts(t *testing.T) {
	r := fixtureReport()
	out := render(t, "html", Options{FailOn: "high"}, r)
	if err := checkSelfContained(out); err != nil {
		t.Fatal(err)
	}
	fin := finalized(r)
	p, err := parseHTMLPage(out)
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	listed := map[string]int{}
	suppressed, gate := 0, ""
	p.each(func(n *html.Node) {
		if k, ok := htmlnode.Attr(n, "data-count"); ok {
			shown[k] = strings.TrimSpace(htmlnode.Text(n))
		}
		if v, ok := htmlnode.Attr(n, "data-gate"); ok {
			gate = v + ": " + strings.Join(strings.Fields(htmlnode.Text(n)), " ")
		}
		if _, ok := htmlnode.Attr(n, "data-finding"); ok {
			if _, ok := htmlnode.Attr(n, "data-suppressed"); ok {
				suppressed++
				return
			}
			sev, _ := htmlnode.Attr(n, "data-sev")
			kind, _ := htmlnode.Attr(n, "data-kind")
			listed[sev]++
			listed["findings"]++
			listed["kind:"+kind]++
		}
	})
	want := map[string]string{
		"findings": strconv.Itoa(fin.Summary.Findings), "paths": strconv.Itoa(fin.Summary.Paths),
		"suppressed": strconv.Itoa(fin.Summary.Suppressed), "diagnostics": strconv.Itoa(len(fin.Diagnostics)),
		"detections": "1", "failing": "3", "exercised": "1",
	}
	for _, s := range Severities {
		want[string(s)] = strconv.Itoa(fin.Summary.BySeverity[s])
		if listed[string(s)] != fin.Summary.BySeverity[s] {
			t.Errorf("%d %s findings listed, summary says %d", listed[string(s)], s, fin.Summary.BySeverity[s])
		}
	}
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("data-count=%q shows %q, want %q", k, shown[k], v)
		}
	}
	if listed["findings"] != fin.Summary.Findings || suppressed != fin.Summary.Suppressed || listed["kind:detection"] != 1 {
		t.Errorf("listed %v and %d suppressed, summary %+v", listed, suppressed, fin.Summary)
	}
	if want := "failed: Gate --fail-on high failed: 3 un-suppressed finding(s) at or above high (exit 3)."; gate != want {
		t.Errorf("gate line %q, want %q", gate, want)
	}
	if out := render(t, "html", Options{}, r); bytes.Contains(out, []byte("data-gate")) {
		t.Error("a gate line without --fail-on")
	}
	out = render(t, "html", Options{FailOn: "none"}, r)
	if !bytes.Contains(out, []byte(`data-gate="passed">Gate <code>--fail-on none</code>: never fails on findings.`)) {
		t.Error("no gate line for --fail-on none")
	}
}

// TestHTMLFilterData: every finding, path and identity row carries what the
// filters match on: its severity, namespaces (cluster-wide grants under
// "(cluster-wide)") and identities, and the choices list them all.
func TestHTMLFilterData(t *testing.T) {
	sa := scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "ci", Name: "deployer"}
	op := scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "kube-system", Name: "op"}
	r := &Report{
		Rules: []Rule{{ID: "KG011", Severity: Critical}, {ID: "KGP01", Severity: Critical}},
		Findings: []Finding{
			{RuleID: "KG011", Severity: Critical, Kind: KindGrant, Subject: &sa, Scope: "",
				GrantRefs: []GrantRef{{Scope: ""}, {Scope: "apps"}}},
			{RuleID: "KGP01", Severity: High, Kind: KindPath, Subject: &sa, Path: []Hop{
				{From: sa, RuleID: "KG011", To: op, Grant: &GrantRef{Scope: "payments"}},
				{From: op, RuleID: "KG028", To: scanner.Ref{Kind: KindTarget, Name: TargetClusterAdmin}, Grant: &GrantRef{Scope: ""}},
			}},
			{RuleID: "KGD01", Severity: Low, Kind: KindDetection, Actor: &Actor{User: "mallory"},
				Evidence: []Evidence{{Namespace: "prod"}, {}}},
		},
	}
	out := render(t, "html", Options{}, r)
	p, err := parseHTMLPage(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var namespaces []string
	p.each(func(n *html.Node) {
		if kind, ok := htmlnode.Attr(n, "data-kind"); ok {
			sev, _ := htmlnode.Attr(n, "data-sev")
			ns, _ := htmlnode.Attr(n, "data-ns")
			id, _ := htmlnode.Attr(n, "data-id")
			got[kind] = fmt.Sprintf("%s|%q|%q", sev, ns, id)
		}
		if n.Data == "option" && n.Parent != nil {
			if name, _ := htmlnode.Attr(n.Parent, "name"); name == "namespace" {
				namespaces = append(namespaces, htmlnode.Text(n))
			}
		}
	})
	want := map[string]string{
		"grant":     `critical|"(cluster-wide)\napps\nci"|"ServiceAccount ci/deployer"`,
		"path":      `high|"(cluster-wide)\nci\nkube-system\npayments"|"ServiceAccount ci/deployer\nServiceAccount kube-system/op"`,
		"detection": `low|"prod"|"User mallory"`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: filter data %s, want %s", k, got[k], v)
		}
	}
	if w := "all (cluster-wide) apps ci kube-system payments prod"; strings.Join(namespaces, " ") != w {
		t.Errorf("namespace choices %q, want %q", namespaces, w)
	}
}

// TestHTMLLimit: past HTMLLimit findings, the page lists the most severe
// and counts the others, suppressed ones last.
func TestHTMLLimit(t *testing.T) {
	r := &Report{Rules: []Rule{{ID: "KG1", Severity: Low}}}
	for i := range HTMLLimit + 3 {
		r.Findings = append(r.Findings, Finding{RuleID: "KG1", Severity: Low, Kind: KindGrant, Message: fmt.Sprintf("low %05d", i),
			Subject: &scanner.Ref{Kind: scanner.KindUser, Name: fmt.Sprintf("u%05d", i)}})
	}
	r.Findings = append(r.Findings,
		Finding{RuleID: "KG1", Severity: Critical, Kind: KindGrant, Message: "critical one", Subject: &scanner.Ref{Kind: scanner.KindUser, Name: "zz"}},
		Finding{RuleID: "KG1", Severity: High, Kind: KindDetection, Message: "high detection", Actor: &Actor{User: "zz"}},
		Finding{RuleID: "KG1", Severity: Critical, Kind: KindGrant, Message: "suppressed one", Subject: &scanner.Ref{Kind: scanner.KindUser, Name: "zz"},
			Suppression: &Suppression{Kind: "config"}})
	out := render(t, "html", Options{}, r)
	if err := checkSelfContained(out); err != nil {
		t.Fatal(err)
	}
	p, err := parseHTMLPage(out)
	if err != nil {
		t.Fatal(err)
	}
	listed, omitted, total := 0, "", ""
	p.each(func(n *html.Node) {
		if _, ok := htmlnode.Attr(n, "data-finding"); ok {
			listed++
		}
		if v, ok := htmlnode.Attr(n, "data-omitted"); ok {
			omitted = v
		}
		if v, ok := htmlnode.Attr(n, "data-count"); ok && v == "findings" {
			total = htmlnode.Text(n)
		}
	})
	if listed != HTMLLimit || omitted != "6" || total != strconv.Itoa(HTMLLimit+5) {
		t.Errorf("listed %d, omitted %q, total %q; want %d, 6 (5 low, the suppressed one), %d", listed, omitted, total, HTMLLimit, HTMLLimit+5)
	}
	for _, want := range []string{"critical one", "high detection", "low 00000", "low 04997"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%q not listed", want)
		}
	}
	for _, dropped := range []string{"low 04998", "suppressed one"} {
		if bytes.Contains(out, []byte(dropped)) {
			t.Errorf("%q listed past the limit", dropped)
		}
	}
}
