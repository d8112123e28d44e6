package policies

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// userIDPrefix starts the id of every user policy.
const userIDPrefix = "KGU"

// UserPolicyError is a user policy that cannot be used: it does not parse
// or compile, its metadata is incomplete, or its id is taken. The message
// names the file and line. The CLI reports it as a usage error.
type UserPolicyError struct{ Err error }

func (e *UserPolicyError) Error() string { return e.Err.Error() }
func (e *UserPolicyError) Unwrap() error { return e.Err }

// LoadWith compiles the embedded catalogue together with the user policies
// of dirs (--policy) into one Engine with one prepared query. A user
// policy has the layout and # METADATA of the embedded ones (see the
// package doc and docs/writing-rules.md): a package kubegrant.rules.<slug>
// with a deny (or identity_deny) set over the same input; helper packages
// of its own are allowed outside kubegrant.*. Without dirs it is Load.
func LoadWith(ctx context.Context, dirs []string) (*Engine, error) {
	if len(dirs) == 0 {
		return Load(ctx)
	}
	modules, err := parseFS(catalogue, false)
	if err != nil {
		return nil, err
	}
	user, err := parseUser(dirs, false)
	if err != nil {
		return nil, &UserPolicyError{err}
	}
	names := map[string]bool{}
	for name, m := range user {
		modules[name] = m
		names[name] = true
	}
	e, err := compile(ctx, modules, names)
	if err != nil {
		return nil, &UserPolicyError{err}
	}
	return e, nil
}

// parseUser parses the .rego files under dirs (with their _test.rego files
// when withTests), keyed by their path as given, and checks that they stay
// out of kubegrant's own packages.
func parseUser(dirs []string, withTests bool) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	var errs []error
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("policy directory: %w", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("policy directory %s: not a directory", dir)
		}
		n := 0
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			if d.IsDir() || filepath.Ext(p) != ".rego" || !withTests && strings.HasSuffix(p, "_test.rego") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			name := filepath.ToSlash(p)
			m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if err := checkUserPackage(m); err != nil {
				errs = append(errs, err)
				return nil
			}
			modules[name] = m
			n++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading policies: %w", err)
		}
		if n == 0 && len(errs) == 0 {
			return nil, fmt.Errorf("policy directory %s holds no .rego file", dir)
		}
	}
	return modules, errors.Join(errs...)
}

// checkUserPackage keeps user modules out of kubegrant's own packages but
// the rules: a user module must not redefine the library or the
// entrypoints.
func checkUserPackage(m *ast.Module) error {
	p := m.Package.Path
	if p.HasPrefix(rulesPrefix) {
		return nil
	}
	if p.HasPrefix(ast.MustParseRef("data.kubegrant")) {
		return fmt.Errorf("%s: package %s: user policies live in kubegrant.rules.<slug> (or in packages of their own, outside kubegrant)",
			m.Package.Location, strings.TrimPrefix(p.String(), "data."))
	}
	return nil
}

// TestResult is the outcome of one Rego test of a user policy.
type TestResult struct {
	// Name is package.test_name; Location where the test is written.
	Name, Location string
	// Fail is set for a failed test, Err for one that could not run.
	Fail bool
	Err  error
}

// RunTests runs the Rego tests (test_* rules in *_test.rego) of the user
// policies in dirs, with kubegrant's library (lib/, and the input builders
// of lib/testing_test.rego) available to them, as `opa test` would. It
// first loads the policies as a scan does, so that a test run also checks
// their metadata.
func RunTests(ctx context.Context, dirs []string) ([]TestResult, error) {
	if _, err := LoadWith(ctx, dirs); err != nil {
		return nil, err
	}
	lib, err := fs.Sub(catalogue, "lib")
	if err != nil {
		return nil, err
	}
	modules, err := parseFS(lib, true)
	if err != nil {
		return nil, err
	}
	user, err := parseUser(dirs, true)
	if err != nil {
		return nil, &UserPolicyError{err}
	}
	for name, m := range user {
		modules[name] = m
	}
	ch, err := tester.NewRunner().SetCompiler(newCompiler()).SetModules(modules).RaiseBuiltinErrors(true).RunTests(ctx, nil)
	if err != nil {
		return nil, &UserPolicyError{fmt.Errorf("compiling tests: %w", err)}
	}
	var out []TestResult
	for r := range ch {
		if r.Location != nil && !slices.ContainsFunc(dirs, func(d string) bool {
			return strings.HasPrefix(r.Location.File, filepath.ToSlash(filepath.Clean(d))+"/") || strings.HasPrefix(r.Location.File, filepath.ToSlash(d))
		}) {
			continue // kubegrant's own library tests
		}
		tr := TestResult{Name: strings.TrimPrefix(r.Package, "data.") + "." + r.Name, Fail: r.Fail, Err: r.Error}
		if r.Location != nil {
			tr.Location = r.Location.String()
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b TestResult) int { return strings.Compare(a.Location+a.Name, b.Location+b.Name) })
	return out, nil
}
