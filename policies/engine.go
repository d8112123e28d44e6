package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// entrypoint is the one query over every rule package (lib/findings.rego).
const entrypoint = "data.kubegrant.findings"

// Engine holds the compiled catalogue and the one prepared query over all
// rules. It is immutable after Load and safe for concurrent use.
type Engine struct {
	rules []reports.Rule
	meta  map[string]ruleMeta // by package name
	query rego.PreparedEvalQuery
}

var (
	loadOnce   sync.Once
	loaded     *Engine
	errLoading error
)

// Load compiles the embedded catalogue once per process (strict, Rego v1)
// and prepares the single query. Later calls return the same Engine.
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
	c := newCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("compiling policies: %w", c.Errors)
	}
	meta, err := collectMetadata(c)
	if err != nil {
		return nil, fmt.Errorf("reading policy metadata: %w", err)
	}
	for pkg := range meta {
		if len(c.GetRulesExact(ast.MustParseRef("data.kubegrant.rules."+pkg+".deny"))) == 0 {
			return nil, fmt.Errorf("policy %s (%s) has no deny rule", meta[pkg].rule.ID, pkg)
		}
	}
	pq, err := rego.New(
		rego.Compiler(c),
		rego.Query(entrypoint),
		rego.Strict(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing policy query: %w", err)
	}
	e := &Engine{meta: meta, query: pq}
	for _, m := range meta {
		e.rules = append(e.rules, m.rule)
	}
	slices.SortFunc(e.rules, func(a, b reports.Rule) int { return strings.Compare(a.ID, b.ID) })
	return e, nil
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

// Eval evaluates every rule over the graph in one query and returns the
// findings, one per (grant, subject) or (binding, subject), sorted.
func (e *Engine) Eval(ctx context.Context, g *scanner.Graph) ([]reports.Finding, error) {
	in := buildInput(g)
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(in.doc))
	if err != nil {
		return nil, fmt.Errorf("evaluating policies: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return []reports.Finding{}, nil
	}
	byPkg, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("evaluating policies: %s is %T, want an object", entrypoint, rs[0].Expressions[0].Value)
	}
	var errs []error
	type parsed struct {
		m ruleMeta
		r result
	}
	var all []parsed
	n := 0
	for _, pkg := range sortedKeys(byPkg) {
		m, ok := e.meta[pkg]
		if !ok {
			errs = append(errs, fmt.Errorf("policy package %s has results but no metadata", pkg))
			continue
		}
		results, ok := byPkg[pkg].([]any)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: deny is %T, want a set", m.rule.ID, byPkg[pkg]))
			continue
		}
		for _, v := range results {
			r, err := parseResult(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.rule.ID, err))
				continue
			}
			all = append(all, parsed{m, r})
			n += fanOutSize(g, in, r)
		}
	}
	// The input document is no longer needed: let it go before the
	// findings are built.
	in.doc = nil
	fo := fanOut{g: g, in: in, roleSources: roleSources(g), out: make([]sortable, 0, n), described: map[scanner.Ref]string{}}
	for _, p := range all {
		if err := fo.add(p.m, p.r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.m.rule.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		// A malformed result is a bug in a policy: fail loudly rather
		// than drop findings silently.
		return nil, err
	}
	return fo.sorted(), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// result is one element of a rule's deny set.
type result struct {
	msg      string
	severity reports.Severity // "" for the rule's default
	grant    int              // index into input.grants, or -1
	binding  int              // index into input.bindings, or -1
	subject  int              // index into the subjects, or -1 for all
	object   int              // index into input.workloads, or -1
}

func parseResult(v any) (result, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return result{}, fmt.Errorf("result %v is not an object", v)
	}
	r := result{grant: -1, binding: -1, subject: -1, object: -1}
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
	case (r.grant < 0) == (r.binding < 0):
		return result{}, fmt.Errorf("result %v needs exactly one of grant and binding", v)
	}
	return r, nil
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
