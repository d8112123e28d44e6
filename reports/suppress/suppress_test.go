package suppress

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

const (
	inline   = reports.SuppressInline
	config   = reports.SuppressConfig
	platform = reports.SuppressPlatformDefault
	baseline = reports.SuppressBaseline
)

func TestOutranks(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{inline, config, true},
		{inline, platform, true},
		{inline, baseline, true},
		{config, platform, true},
		{config, baseline, true},
		{platform, baseline, true},
		{config, inline, false},
		{platform, config, false},
		{baseline, platform, false},
		{baseline, inline, false},
		// Equal kinds: neither outranks, so the first set stays.
		{inline, inline, false},
		{config, config, false},
		// An unknown kind loses to every known one.
		{baseline, "something-else", true},
		{"something-else", baseline, false},
		{"something-else", "other", false},
	} {
		if got := Outranks(tc.a, tc.b); got != tc.want {
			t.Errorf("Outranks(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestMark: whatever the order the sources are applied in, the finding
// ends with the kind that outranks the others, and an equal kind does not
// replace the first one's justification.
func TestMark(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kinds []string // applied in this order
		want  string
	}{
		{"one", []string{baseline}, baseline},
		{"platform then config", []string{platform, config}, config},
		{"config then platform", []string{config, platform}, config},
		{"baseline then inline", []string{baseline, inline}, inline},
		{"all, least first", []string{baseline, platform, config, inline}, inline},
		{"all, strongest first", []string{inline, config, platform, baseline}, inline},
		{"all, mixed", []string{platform, baseline, inline, config}, inline},
		{"no inline", []string{baseline, config, platform}, config},
		{"platform and baseline", []string{baseline, platform}, platform},
		{"unknown first", []string{"something-else", baseline}, baseline},
		{"config twice", []string{platform, config, config}, config},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &reports.Finding{}
			for i, k := range tc.kinds {
				Mark(f, reports.Suppression{Kind: k, Justification: strconv.Itoa(i)})
			}
			if f.Suppression == nil || f.Suppression.Kind != tc.want {
				t.Fatalf("suppression %+v, want kind %q", f.Suppression, tc.want)
			}
			if want := strconv.Itoa(slices.Index(tc.kinds, tc.want)); f.Suppression.Justification != want {
				t.Errorf("justification %q, want the first %s's (%s)", f.Suppression.Justification, tc.want, want)
			}
		})
	}
	// Set, then not replaced by an equal kind.
	f := &reports.Finding{}
	if !Mark(f, reports.Suppression{Kind: config, Justification: "first"}) {
		t.Error("first mark not set")
	}
	if Mark(f, reports.Suppression{Kind: config, Justification: "second"}) || f.Suppression.Justification != "first" {
		t.Errorf("second config exception replaced the first: %+v", f.Suppression)
	}
}

// TestApply runs every source on findings several of them cover: each
// finding ends with the kind that outranks the others, the summary counts
// only the rest, and the warnings of the sources are in the diagnostics.
func TestApply(t *testing.T) {
	ref := func(kind, ns, name string) *scanner.Ref { return &scanner.Ref{Kind: kind, Namespace: ns, Name: name} }
	kcm := ref(scanner.KindClusterRoleBinding, "", "system:kube-controller-manager")
	kcmRole := ref(scanner.KindClusterRole, "", "system:kube-controller-manager")
	kcmUser := ref(scanner.KindUser, "", "system:kube-controller-manager")
	ciBinding := ref(scanner.KindClusterRoleBinding, "", "ci")
	finding := func(rule string, binding, role, subject *scanner.Ref) reports.Finding {
		return reports.Finding{RuleID: rule, Severity: reports.High, Kind: reports.KindGrant, Binding: binding, Role: role, Subject: subject}
	}
	r := &reports.Report{Findings: []reports.Finding{
		// KG011 on the bootstrap binding: annotated inline, excepted in
		// the config and in the baseline too.
		finding("KG011", kcm, kcmRole, kcmUser),
		// KG008 on the bootstrap binding: excepted and in the baseline.
		finding("KG008", kcm, kcmRole, kcmUser),
		// KG009 on the bootstrap binding: in the baseline only.
		finding("KG009", kcm, kcmRole, kcmUser),
		// KG020 for ci: in the baseline only.
		finding("KG020", ciBinding, ref(scanner.KindClusterRole, "", "ci"), ref(scanner.KindServiceAccount, "ci", "deployer")),
		// KG021 for ci: nothing.
		finding("KG021", ciBinding, ref(scanner.KindClusterRole, "", "ci"), ref(scanner.KindServiceAccount, "ci", "deployer")),
		// A detection the bootstrap binding allowed, excepted by actor
		// and in the baseline: config, never platform-default.
		{RuleID: "KG101", Severity: reports.High, Kind: reports.KindDetection, Actor: &reports.Actor{User: "system:kube-controller-manager"},
			Binding: kcm, Role: kcmRole, Subject: kcmUser},
	}}
	known := map[string]bool{}
	for i := range r.Findings {
		if r.Findings[i].RuleID != "KG021" {
			known[reports.Fingerprint(&r.Findings[i])] = true
		}
	}
	g := &scanner.Graph{Bindings: []*scanner.Binding{{
		Ref:    *kcm,
		Source: scanner.Source{File: "rbac.yaml", Line: 3},
		Annotations: map[string]string{
			AnnotationIgnore: "KG011", AnnotationIgnoreReason: "reviewed",
		},
	}, {
		Ref:         *ciBinding,
		Source:      scanner.Source{File: "rbac.yaml", Line: 20},
		Annotations: map[string]string{AnnotationIgnore: "KG020"}, // no reason: a warning, no suppression
	}}}
	ex, err := ParseExceptions("c.yaml", []byte(`exceptions:
  - rules: [KG011, KG008]
    subject: "User:system:kube-controller-manager"
    justification: accepted
  - rules: [KG101]
    actor: "system:kube-controller-manager"
    justification: the controller manager
  - rules: [KG030]
    justification: matches nothing
`))
	if err != nil {
		t.Fatal(err)
	}
	catalogueCalls := 0
	err = Apply(r, Sources{
		Graph: g,
		Catalogue: func() ([]reports.Rule, error) {
			catalogueCalls++
			return []reports.Rule{{ID: "KG011"}, {ID: "KG020"}}, nil
		},
		Exceptions: ex,
		Baseline:   &Baseline{path: "old.json", known: known},
		Now:        now,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"KG011": inline, "KG008": config, "KG009": platform, "KG020": baseline, "KG021": "", "KG101": config}
	for _, f := range r.Findings {
		got := ""
		if f.Suppression != nil {
			got = f.Suppression.Kind
		}
		if got != want[f.RuleID] {
			t.Errorf("%s: suppression %+v, want kind %q", f.RuleID, f.Suppression, want[f.RuleID])
		}
	}
	if r.Summary.Findings != 1 || r.Summary.Suppressed != 5 {
		t.Errorf("summary: %d findings, %d suppressed; want 1 and 5", r.Summary.Findings, r.Summary.Suppressed)
	}
	if catalogueCalls != 1 {
		t.Errorf("catalogue loaded %d times, want once", catalogueCalls)
	}
	var msgs []string
	for _, d := range r.Diagnostics {
		msgs = append(msgs, d.Location.String()+": "+d.Message)
	}
	joined := strings.Join(msgs, "\n")
	for _, w := range []string{
		`rbac.yaml:20: ClusterRoleBinding "ci": kubegrant.io/ignore without kubegrant.io/ignore-reason suppresses nothing`,
		`c.yaml:8: exception for KG030 matches no finding`,
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("diagnostics lack %q:\n%s", w, joined)
		}
	}

	// No annotation in the graph: the catalogue is not loaded.
	catalogueCalls = 0
	r = &reports.Report{Findings: []reports.Finding{finding("KG021", ciBinding, nil, nil)}}
	if err := Apply(r, Sources{Graph: &scanner.Graph{}, Catalogue: func() ([]reports.Rule, error) { catalogueCalls++; return nil, nil }, Now: now}); err != nil {
		t.Fatal(err)
	}
	if catalogueCalls != 0 || !r.Finalized || r.Summary.Findings != 1 {
		t.Errorf("catalogue calls %d, finalized %v, %d findings", catalogueCalls, r.Finalized, r.Summary.Findings)
	}
}

// TestOnlyMarkSuppresses: no code of the module but Mark sets
// Finding.Suppression, so that every suppression obeys Outranks.
func TestOnlyMarkSuppresses(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Name.Name == "Mark" && filepath.Base(path) == "suppress.go" && file.Name.Name == "suppress" {
					return false
				}
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Suppression" {
						t.Errorf("%s: sets Suppression directly; use suppress.Mark", fset.Position(n.Pos()))
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Suppression" {
					t.Errorf("%s: sets Suppression in a literal; use suppress.Mark", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
