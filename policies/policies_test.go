package policies

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kubegrant/kubegrant/reports"
)

// TestRegoTests runs every *_test.rego of the embedded catalogue through
// OPA's tester, in-process and with the strict compiler, and fails on any
// failing, erroring or skipped test.
func TestRegoTests(t *testing.T) {
	ctx := context.Background()
	modules, err := parseFS(catalogue, true)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := tester.NewRunner().
		SetCompiler(newCompiler()).
		SetModules(modules).
		RaiseBuiltinErrors(true).
		RunTests(ctx, nil)
	if err != nil {
		t.Fatalf("running rego tests: %v", err)
	}
	ran := map[string]int{} // package → tests
	for r := range ch {
		name := r.Package + "." + r.Name
		ran[r.Package]++
		switch {
		case r.Error != nil:
			t.Errorf("%s (%s): error: %v", name, r.Location, r.Error)
		case r.Fail:
			t.Errorf("%s (%s): FAIL", name, r.Location)
		case r.Skip:
			t.Errorf("%s (%s): skipped (todo_ tests are not allowed)", name, r.Location)
		}
	}
	e, err := load(ctx, catalogue, false)
	if err != nil {
		t.Fatal(err)
	}
	for pkg, m := range e.meta {
		if m.kind == reports.KindPath || m.kind == kindModel {
			continue // the risk model makes these: paths_test.go
		}
		if ran["data.kubegrant.rules."+pkg] == 0 {
			t.Errorf("rule package %s ran no tests", pkg)
		}
	}
}

var (
	pathRule      = regexp.MustCompile(`(?m)^#   kind: (path|model)$`)
	firingTest    = regexp.MustCompile(`(?m)^test_fires_[a-z0-9_]+ if`)
	nonFiringTest = regexp.MustCompile(`(?m)^test_ignores_[a-z0-9_]+ if`)
)

// TestRuleFolders checks the layout: every rules/<slug>/ holds rule.rego
// and a rule_test.rego with at least one firing (test_fires_*) and one
// non-firing (test_ignores_*) case, and nothing else.
func TestRuleFolders(t *testing.T) {
	dirs, err := fs.ReadDir(catalogue, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no rule folders")
	}
	for _, d := range dirs {
		if !d.IsDir() {
			t.Errorf("rules/%s: only folders belong in rules/", d.Name())
			continue
		}
		dir := path.Join("rules", d.Name())
		files, err := fs.ReadDir(catalogue, dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		if rule, err := fs.ReadFile(catalogue, path.Join(dir, "rule.rego")); err == nil && pathRule.Match(rule) {
			// A path rule is metadata only: the escalation graph finds
			// paths, and paths_test.go tests them.
			if diff := cmp.Diff([]string{"rule.rego"}, names); diff != "" {
				t.Errorf("%s: files (-want +got):\n%s", dir, diff)
			}
			continue
		}
		if diff := cmp.Diff([]string{"rule.rego", "rule_test.rego"}, names); diff != "" {
			t.Errorf("%s: files (-want +got):\n%s", dir, diff)
			continue
		}
		src, err := fs.ReadFile(catalogue, path.Join(dir, "rule_test.rego"))
		if err != nil {
			t.Fatal(err)
		}
		if !firingTest.Match(src) {
			t.Errorf("%s/rule_test.rego: no firing case (test_fires_*)", dir)
		}
		if !nonFiringTest.Match(src) {
			t.Errorf("%s/rule_test.rego: no non-firing case (test_ignores_*)", dir)
		}
		rule, err := fs.ReadFile(catalogue, path.Join(dir, "rule.rego"))
		if err != nil {
			t.Fatal(err)
		}
		wantPkg := "package kubegrant.rules." + strings.ReplaceAll(d.Name(), "-", "_") + "\n"
		if !strings.Contains(string(rule), wantPkg) || !strings.Contains(string(src), wantPkg) {
			t.Errorf("%s: rule.rego and rule_test.rego must both declare %q", dir, strings.TrimSpace(wantPkg))
		}
	}
}

// TestLoadedCount guards against a rule silently not loading (trap 11): one
// rule per folder, each with its own ID, and the slug is the folder name.
func TestLoadedCount(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := fs.ReadDir(catalogue, "rules")
	if err != nil {
		t.Fatal(err)
	}
	var wantSlugs, gotSlugs []string
	for _, d := range dirs {
		wantSlugs = append(wantSlugs, d.Name())
	}
	rules := e.Rules()
	for _, r := range rules {
		gotSlugs = append(gotSlugs, r.Slug)
	}
	slices.Sort(gotSlugs)
	if diff := cmp.Diff(wantSlugs, gotSlugs); diff != "" {
		t.Errorf("loaded rules by slug (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(rules, func(a, b reports.Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Rules() is not sorted by ID")
	}
	if len(rules) < 12 {
		t.Errorf("loaded %d rules, want at least the 12 first policies", len(rules))
	}
	// Load is once per process: the same Engine comes back.
	again, err := Load(context.Background())
	if err != nil || again != e {
		t.Errorf("second Load = %p, %v; want the same Engine %p", again, err, e)
	}
}

// TestMetadataComplete re-checks the loaded metadata against the contract
// the reports and SARIF writers rely on.
func TestMetadataComplete(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range e.Rules() {
		if ids[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		ids[r.ID] = true
		if !idPattern.MatchString(r.ID) || !slugPattern.MatchString(r.Slug) {
			t.Errorf("%s: bad id or slug %q", r.ID, r.Slug)
		}
		if r.Title == "" || r.Description == "" || r.Severity.Rank() == 0 ||
			!strings.HasSuffix(r.Remediation, ".") || len(r.Tags) == 0 ||
			len(r.References) == 0 || r.HelpURI == "" {
			t.Errorf("%s: incomplete metadata: %+v", r.ID, r)
		}
		if k := e.byID[r.ID].kind; k == reports.KindPath || k == kindModel {
			continue // made by the risk model: no catalogue entry of their own
		}
		if len(r.Catalogue) == 0 {
			t.Errorf("%s: no catalogue id", r.ID)
			continue
		}
		switch c := r.Catalogue[0]; c[0] {
		case 'U':
			if r.ID != "KG0"+c[1:] {
				t.Errorf("%s: id must be KG0NN for catalogue %s", r.ID, c)
			}
		case 'G':
			if r.ID != fmt.Sprintf("KG1%02s", c[1:]) {
				t.Errorf("%s: id must be KG1NN for catalogue %s", r.ID, c)
			}
		default:
			if !strings.HasPrefix(r.ID, "KG0") {
				t.Errorf("%s: id must be KG0NN for catalogue %s", r.ID, c)
			}
		}
	}
}

// TestParseMetadataRejects feeds broken metadata to the validator: each
// case must be refused with a message naming the problem.
func TestParseMetadataRejects(t *testing.T) {
	good := `# METADATA
# title: T
# description: D
# related_resources:
#   - ref: https://example.com/kg999
# custom:
#   id: KG999
#   slug: some-rule
#   severity: high
#   remediation: Do it.
#   tags: [T1078]
#   catalogue: [U01]
#   references: [x]
package kubegrant.rules.some_rule

import rego.v1

deny contains {"grant": 0, "msg": "m"} if false
`
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"valid", "", "", ""},
		{"bad id", "id: KG999", "id: kg-9", "custom.id"},
		{"bad severity", "severity: high", "severity: severe", "custom.severity"},
		{"remediation without period", "remediation: Do it.", "remediation: Do it", "remediation"},
		{"no tags", "tags: [T1078]", "tags: []", "custom.tags"},
		{"no catalogue", "catalogue: [U01]", "catalogue: []", "custom.catalogue"},
		{"bad catalogue id", "catalogue: [U01]", "catalogue: [X1]", "catalogue id"},
		{"slug does not match package", "slug: some-rule", "slug: other-rule", "does not match slug"},
		{"bad slug", "slug: some-rule", "slug: Some_Rule", "custom.slug"},
		{"missing title", "# title: T\n", "", "title is missing"},
		{"unknown key", "#   references: [x]", "#   refrences: [x]", "not a known key"}, //nolint:misspell // the typo is the test case
		{"bad kind", "#   references: [x]", "#   references: [x]\n#   kind: bogus", "custom.kind"},
		{"tags not strings", "tags: [T1078]", "tags: [1]", "custom.tags"},
		{"no metadata", "# METADATA", "# nothing", "no package-scoped # METADATA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(good, tc.from, tc.to, 1)
			m, err := ast.ParseModuleWithOpts("rules/some-rule/rule.rego", src, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			c := newCompiler()
			if c.Compile(map[string]*ast.Module{"rules/some-rule/rule.rego": m}); c.Failed() {
				t.Fatal(c.Errors)
			}
			_, err = collectMetadata(c, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
