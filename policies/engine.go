package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kubegrant/kubegrant/internal/par"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Engine holds the compiled catalogue and one prepared query per rule
// package: the capability, binding and hygiene rules' deny set over the
// capability input, the identity rules' identity_deny set over the identity
// input. It is immutable after Load and safe for concurrent use.
type Engine struct {
	rules []reports.Rule
	meta  map[string]ruleMeta // by package name
	byID  map[string]ruleMeta
	// queries and identityQueries are the prepared queries by package
	// name; Eval runs them on every core (evalAll).
	queries, identityQueries map[string]rego.PreparedEvalQuery
}

var (
	loadOnce   sync.Once
	loaded     *Engine
	errLoading error
)

// Load compiles the embedded catalogue once per process (strict, Rego v1)
// and prepares its queries. Later calls return the same Engine.
func Load(ctx context.Context) (*Engine, error) {
	loadOnce.Do(func() {
		loaded, errLoading = load(ctx, catalogue, false)
	})
	return loaded, errLoading
}

// load builds an Engine from fsys. withTests also loads *_test.rego (for
// the tests' tester runs); the Engine never needs them.
func load(ctx context.Context, fsys fs.FS, withTests bool) (*Engine, error) {
	modules, err := parseFS(fsys, withTests)
	if err != nil {
		return nil, err
	}
	return compile(ctx, modules, nil)
}

// compile builds an Engine from parsed modules; user names the modules of
// user policies (--policy), whose metadata is checked as theirs.
func compile(ctx context.Context, modules map[string]*ast.Module, user map[string]bool) (*Engine, error) {
	c := newCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("compiling policies: %w", c.Errors)
	}
	meta, err := collectMetadata(c, user)
	if err != nil {
		return nil, fmt.Errorf("reading policy metadata: %w", err)
	}
	setSeverityRanges(modules, meta)
	e := &Engine{
		meta: meta, byID: map[string]ruleMeta{},
		queries: map[string]rego.PreparedEvalQuery{}, identityQueries: map[string]rego.PreparedEvalQuery{},
	}
	for pkg, m := range meta {
		want, queries := "deny", e.queries
		switch m.kind {
		case reports.KindIdentity:
			want, queries = "identity_deny", e.identityQueries
		case reports.KindPath, kindModel:
			continue // metadata only: Go finds these
		}
		ref := "data.kubegrant.rules." + pkg + "." + want
		if len(c.GetRulesExact(ast.MustParseRef(ref))) == 0 {
			return nil, fmt.Errorf("policy %s (%s) has no %s rule", m.rule.ID, pkg, want)
		}
		pq, err := rego.New(rego.Compiler(c), rego.Query(ref), rego.Strict(true)).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("preparing the query of policy %s: %w", m.rule.ID, err)
		}
		queries[pkg] = pq
	}
	for _, m := range meta {
		e.rules = append(e.rules, m.rule)
		e.byID[m.rule.ID] = m
	}
	slices.SortFunc(e.rules, func(a, b reports.Rule) int { return strings.Compare(a.ID, b.ID) })
	return e, nil
}

// setSeverityRanges gives each rule the range of severities its findings
// can have: the metadata default, every "severity" its results set, and,
// for a capability the escalation graph follows (yieldRules), up to what it
// reaches (critical).
func setSeverityRanges(modules map[string]*ast.Module, meta map[string]ruleMeta) {
	seen := map[string]map[reports.Severity]bool{}
	key := ast.StringTerm("severity")
	for _, m := range modules {
		pkg, err := packageName(m.Package.Path)
		if err != nil {
			continue
		}
		ast.WalkTerms(m, func(t *ast.Term) bool {
			if o, ok := t.Value.(ast.Object); ok {
				if v := o.Get(key); v != nil {
					if str, ok := v.Value.(ast.String); ok {
						if seen[pkg] == nil {
							seen[pkg] = map[reports.Severity]bool{}
						}
						seen[pkg][reports.Severity(str)] = true
					}
				}
			}
			return false
		})
	}
	for pkg, m := range meta {
		sevs := seen[pkg]
		if sevs == nil {
			sevs = map[reports.Severity]bool{}
		}
		sevs[m.rule.Severity] = true
		if yieldRules[m.rule.ID] {
			sevs[reports.Critical] = true
		}
		lo, hi := m.rule.Severity, m.rule.Severity
		for s := range sevs {
			if s.Rank() == 0 {
				continue
			}
			if s.Rank() < lo.Rank() {
				lo = s
			}
			if s.Rank() > hi.Rank() {
				hi = s
			}
		}
		if lo != hi {
			m.rule.SeverityRange = string(lo) + "–" + string(hi)
			meta[pkg] = m
		}
	}
}

// newCompiler is the strict compiler both Load and the tests use, so that
// `opa check --strict` semantics hold for the shipped catalogue.
func newCompiler() *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithCapabilities(ast.CapabilitiesForThisVersion()).
		WithDefaultRegoVersion(ast.RegoV1)
}

// parseFS parses every .rego file of fsys, with annotations.
func parseFS(fsys fs.FS, withTests bool) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".rego" {
			return nil
		}
		if !withTests && strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{
			ProcessAnnotation: true,
			RegoVersion:       ast.RegoV1,
		})
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		modules[p] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading policies: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("parsing policies: %w", err)
	}
	return modules, nil
}

// Rules returns the catalogue's metadata, sorted by ID.
func (e *Engine) Rules() []reports.Rule {
	return slices.Clone(e.rules)
}

// Result is the static pass's analysis of one graph.
type Result struct {
	// Findings are the capability findings (one per rule, identity and
	// scope), the binding-level and identity-level findings and the attack
	// paths, in a deterministic order (reports.Finalize sorts the report).
	Findings []reports.Finding
	// Diagnostics say which platform-specific rules ran, and why.
	Diagnostics []scanner.Diagnostic
	// Identities summarises what each non-system identity can do and
	// reach, most powerful first.
	Identities []reports.Identity
}

// Eval evaluates the capability rules once per distinct (rule, scope
// class), joins their results to grants, identities and scopes, builds the
// escalation graph and its paths, then evaluates the identity rules.
func (e *Engine) Eval(ctx context.Context, g *scanner.Graph) (*Result, error) {
	// The escalation graph needs only the Graph: it is built, and searched
	// from every target, while the input is built and the policies run.
	var (
		gr   *escalation
		rc   *reach
		wait sync.WaitGroup
	)
	wait.Go(func() {
		gr = newEscalation(g)
		gr.build()
		rc = gr.reach()
	})
	in := buildInput(g)
	byDoc, err := evalAll(ctx, e.queries, in.doc)
	wait.Wait()
	if err != nil {
		return nil, err
	}
	in.doc = nil
	caps := make([][]capResult, len(in.probes))
	var bindingResults []parsed
	var errs []error
	for _, p := range e.parse(byDoc[0], &errs) {
		switch {
		case p.r.grant >= 0:
			if p.r.grant >= len(caps) {
				errs = append(errs, fmt.Errorf("%s: grant %d out of range (%d)", p.m.rule.ID, p.r.grant, len(caps)))
				continue
			}
			caps[p.r.grant] = append(caps[p.r.grant], capResult{meta: p.m, sev: p.severity(), msg: p.r.msg})
		default:
			bindingResults = append(bindingResults, p)
		}
	}
	a := analyse(g, &in, caps, e.byID, gr, rc)
	sources := roleSources(g)
	out := make([]reports.Finding, len(a.held))
	par.Ranges(len(a.held), 1024, func(lo, hi int) {
		d, rules := newDescriber(), ruleCache{}
		for i := lo; i < hi; i++ {
			a.held[i].finding = i
			out[i] = capabilityFinding(g, a.held[i], sources, d.describe, rules)
		}
	})
	// The binding findings, the paths and the unbound roles need nothing
	// the identity rules make: they are made alongside them.
	var (
		byBinding, paths, unbound []reports.Finding
		bindingErrs               []error
		side                      sync.WaitGroup
	)
	side.Go(func() {
		d := newDescriber()
		for _, p := range bindingResults {
			fs, err := bindingFindings(g, &in, sources, d.describe, p)
			if err != nil {
				bindingErrs = append(bindingErrs, fmt.Errorf("%s: %w", p.m.rule.ID, err))
			}
			byBinding = append(byBinding, fs...)
		}
		byBinding = mergeBindingFindings(byBinding)
	})
	side.Go(func() {
		paths = a.paths()
		unbound = e.unboundFindings(&in, caps)
	})
	idFindings, err := e.identityFindings(ctx, a, out, newDescriber().describe)
	side.Wait()
	errs = append(errs, bindingErrs...)
	if err != nil {
		errs = append(errs, err)
	}
	out = append(out, byBinding...)
	out = append(out, idFindings...)
	out = append(out, paths...)
	out = append(out, unbound...)
	if err := errors.Join(errs...); err != nil {
		// A malformed result is a bug in a policy: fail loudly rather
		// than drop findings silently.
		return nil, err
	}
	return &Result{Findings: out, Identities: a.identities(out), Diagnostics: platformNotes(in.platforms)}, nil
}

// platformNotes says which platform-specific rules ran (catalogue trap
// 14): an EKS rule on a cluster that is not EKS would be noise, and its
// silence must not read as a pass.
func platformNotes(p map[string]string) []scanner.Diagnostic {
	if why, ok := p["eks"]; ok {
		return []scanner.Diagnostic{{Severity: scanner.DiagWarning, Message: "EKS detected (" + why + "): the EKS rules (KG015 aws-auth writes) ran"}}
	}
	return nil
}

// evalAll runs every query over every doc, on as many goroutines as the
// process may use cores (the queries share nothing but the read-only
// inputs), and returns, for each doc, each package's result set by package
// name.
func evalAll(ctx context.Context, queries map[string]rego.PreparedEvalQuery, docs ...ast.Value) ([]map[string]any, error) {
	pkgs := slices.Sorted(maps.Keys(queries))
	n := len(pkgs) * len(docs)
	results := make([]any, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				pkg, doc := pkgs[i%len(pkgs)], docs[i/len(pkgs)]
				rs, err := queries[pkg].Eval(ctx, rego.EvalParsedInput(doc))
				switch {
				case err != nil:
					errs[i] = fmt.Errorf("evaluating policy package %s: %w", pkg, err)
				case len(rs) == 1 && len(rs[0].Expressions) == 1:
					results[i] = rs[0].Expressions[0].Value
				default:
					results[i] = []any{} // undefined: no results
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(docs))
	for d := range docs {
		out[d] = make(map[string]any, len(pkgs))
		for i, pkg := range pkgs {
			out[d][pkg] = results[d*len(pkgs)+i]
		}
	}
	return out, nil
}

// parsed is one result of one rule.
type parsed struct {
	pkg string
	m   ruleMeta
	r   result
}

func (p parsed) severity() reports.Severity {
	if p.r.severity != "" {
		return p.r.severity
	}
	return p.m.rule.Severity
}

// parse checks every result of a query, in rule package order.
func (e *Engine) parse(byPkg map[string]any, errs *[]error) []parsed {
	var all []parsed
	for _, pkg := range slices.Sorted(maps.Keys(byPkg)) {
		m, ok := e.meta[pkg]
		if !ok {
			*errs = append(*errs, fmt.Errorf("policy package %s has results but no metadata", pkg))
			continue
		}
		results, ok := byPkg[pkg].([]any)
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s: deny is %T, want a set", m.rule.ID, byPkg[pkg]))
			continue
		}
		for _, v := range results {
			r, err := parseResult(v)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %w", m.rule.ID, err))
				continue
			}
			all = append(all, parsed{pkg, m, r})
		}
	}
	return all
}

// result is one element of a rule's deny set.
type result struct {
	msg      string
	severity reports.Severity // "" for the rule's default
	grant    int              // index into input.grants (a probe), or -1
	binding  int              // index into input.bindings, or -1
	identity int              // index into the identity rules' input.identities, or -1
	subject  int              // index into the subjects, or -1 for all
	object   int              // index into input.workloads, or -1
}

func parseResult(v any) (result, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return result{}, fmt.Errorf("result %v is not an object", v)
	}
	r := result{grant: -1, binding: -1, identity: -1, subject: -1, object: -1}
	for k, val := range obj {
		var err error
		switch k {
		case "msg":
			s, ok := val.(string)
			if !ok || s == "" {
				err = fmt.Errorf("msg must be a non-empty string")
			}
			r.msg = s
		case "severity":
			s, _ := val.(string)
			r.severity, err = reports.ParseSeverity(s)
		case "grant":
			r.grant, err = index(val)
		case "binding":
			r.binding, err = index(val)
		case "identity":
			r.identity, err = index(val)
		case "subject":
			r.subject, err = index(val)
		case "object":
			r.object, err = index(val)
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return result{}, fmt.Errorf("result %v: %s: %w", v, k, err)
		}
	}
	switch {
	case r.msg == "":
		return result{}, fmt.Errorf("result %v has no msg", v)
	case btoi(r.grant >= 0)+btoi(r.binding >= 0)+btoi(r.identity >= 0) != 1:
		return result{}, fmt.Errorf("result %v needs exactly one of grant, binding and identity", v)
	case r.grant >= 0 && (r.subject >= 0 || r.object >= 0):
		return result{}, fmt.Errorf("result %v: a capability (grant) result names no subject or object", v)
	}
	return r, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func index(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%v is not an index", v)
	}
	return int(i), nil
}
