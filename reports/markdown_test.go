package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/scanner"
)

// TestMarkdownEscapesAndLimits: names from manifests cannot inject markdown
// or HTML into a pull-request comment, suppressed findings are counted not
// listed, and a huge report stays under GitHub's comment limit.
func TestMarkdownEscapesAndLimits(t *testing.T) {
	evil := &scanner.Ref{Kind: "ServiceAccount", Namespace: "ns", Name: "x`<img src=y>|[a](b)"}
	r := &Report{
		Tool:  Tool{Name: "kubegrant", Version: "test"},
		Rules: []Rule{{ID: "KG001", Title: "Title", Severity: Critical, Remediation: "Fix it."}},
		Findings: []Finding{
			{RuleID: "KG001", Severity: Critical, Kind: KindGrant, Message: "can do *everything* <script>", Subject: evil,
				Location: scanner.Source{File: "a.yaml", Line: 3}},
			{RuleID: "KG001", Severity: Critical, Kind: KindGrant, Message: "hidden", Subject: evil,
				Suppression: &Suppression{Kind: SuppressConfig, Justification: "ok"}},
		},
	}
	var b bytes.Buffer
	if err := (markdownWriter{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"## kubegrant: 1 finding\n", "| CRITICAL | 1 |", "1 finding suppressed (not listed)",
		"#### `ServiceAccount ns/x'<img src=y>|[a](b)`", `can do \*everything\* \<script\>`, "  - at `a.yaml:3`", "  - fix: Fix it."} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") || strings.Contains(out, "<script>") {
		t.Errorf("suppressed finding listed or HTML unescaped:\n%s", out)
	}

	var many []Finding
	for i := range 3000 {
		many = append(many, Finding{RuleID: "KG001", Severity: High, Kind: KindGrant, Message: strings.Repeat("m", 100),
			Subject: &scanner.Ref{Kind: "User", Name: fmt.Sprintf("u%04d", i)}})
	}
	b.Reset()
	if err := (markdownWriter{}).Write(&b, &Report{Rules: r.Rules, Findings: many}); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 65536 || !strings.Contains(b.String(), "more, not listed to stay within a comment's size") {
		t.Errorf("markdown of 3000 findings: %d bytes, no omission note", b.Len())
	}
}
