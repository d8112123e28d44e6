package scanner

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Inventory is everything loaded, before resolution: the RBAC objects as
// written, the other objects kept for analysis, and what went wrong.
type Inventory struct {
	Roles       []*Role
	Bindings    []*Binding
	Objects     []*Object
	Diagnostics []Diagnostic
	// Skipped counts documents that were read but are of no interest
	// (ConfigMaps, Services, files that are not Kubernetes objects),
	// so a summary can show that they were seen and not lost.
	Skipped int
	// NotEvaluated lists the kinds (plural resource names, "rolebindings")
	// a live cluster would not let the scan list: what depends on them was
	// not checked, which is not the same as passing.
	NotEvaluated []string
	// CRDs are the CustomResourceDefinitions, whose resources rules may
	// name.
	CRDs []*CRD
}

// Add appends everything in other to inv, so that several loads (files,
// stdin, later a live cluster) make one inventory. Order is kept: the
// resolver lets the last of duplicate objects win.
func (inv *Inventory) Add(other *Inventory) {
	if other == nil {
		return
	}
	inv.Roles = append(inv.Roles, other.Roles...)
	inv.Bindings = append(inv.Bindings, other.Bindings...)
	inv.Objects = append(inv.Objects, other.Objects...)
	inv.CRDs = append(inv.CRDs, other.CRDs...)
	inv.Diagnostics = append(inv.Diagnostics, other.Diagnostics...)
	inv.Skipped += other.Skipped
	inv.NotEvaluated = append(inv.NotEvaluated, other.NotEvaluated...)
}

// LoadOptions configures LoadManifests.
type LoadOptions struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Root makes file Sources relative (slash-separated) when the file is
	// inside it, so reports name repository paths; files outside Root keep
	// the path as given, cleaned.
	Root string
}

// StdinName is the Source.File of objects read from standard input.
const StdinName = "<stdin>"

// manifestExts are the extensions loaded when walking a directory; a file
// named explicitly is loaded whatever its extension.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// input is one file to load, in load order.
type input struct {
	path    string // path to open; "" for stdin
	display string // Source.File
}

// LoadManifests loads the RBAC objects and the objects kept for analysis from
// manifest files, directories (recursively, .yaml .yml .json, hidden
// directories skipped) and "-" (stdin). Files are read in a deterministic
// order: paths as given, directories in lexical order.
//
// Bad input never stops the load: each unparsable document, bad field or
// unreadable file becomes a Diagnostic naming the file and line, and the rest
// is loaded. The returned error is for unusable arguments only (a path that
// does not exist), which callers report as a runtime error.
func LoadManifests(paths []string, opts LoadOptions) (*Inventory, error) {
	inv := &Inventory{}
	l := lister{opts: opts, seen: map[string]bool{}}
	if opts.Root != "" {
		abs, err := filepath.Abs(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("resolving root %s: %w", opts.Root, err)
		}
		l.root = abs
	}
	for _, p := range paths {
		if err := l.add(p, inv); err != nil {
			return nil, err
		}
	}

	results := make([]*Inventory, len(l.inputs))
	var stdinData []byte
	for i, in := range l.inputs {
		if in.path != "" {
			continue
		}
		if stdinData == nil {
			stdinData = []byte{}
			if opts.Stdin != nil {
				data, err := io.ReadAll(opts.Stdin)
				if err != nil {
					return nil, fmt.Errorf("reading stdin: %w", err)
				}
				stdinData = data
			}
		}
		results[i] = ParseManifests(in.display, stdinData)
	}

	// Parsing dominates on large trees (the large benchmark has 116k
	// files), so files are parsed in parallel; results keep input order.
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = loadFile(l.inputs[i])
			}
		}()
	}
	for i, in := range l.inputs {
		if in.path != "" {
			next <- i
		}
	}
	close(next)
	wg.Wait()

	for _, r := range results {
		inv.Add(r)
	}
	return inv, nil
}

// loadFile reads and parses one file; a read error becomes a diagnostic.
func loadFile(in input) *Inventory {
	data, err := os.ReadFile(in.path)
	if err != nil {
		return &Inventory{Diagnostics: []Diagnostic{{
			Severity: DiagError,
			Message:  fmt.Sprintf("%s: reading: %v", in.display, unwrapPathError(err)),
			Location: Source{File: in.display},
		}}}
	}
	return ParseManifests(in.display, data)
}

// unwrapPathError drops the *fs.PathError wrapper, whose message repeats the
// path the diagnostic already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lister expands the command-line paths into the ordered list of inputs.
type lister struct {
	opts   LoadOptions
	root   string
	inputs []input
	seen   map[string]bool // absolute paths already listed, so a file named twice loads once
}

func (l *lister) add(p string, inv *Inventory) error {
	if p == "-" {
		if !l.seen["-"] {
			l.seen["-"] = true
			l.inputs = append(l.inputs, input{display: StdinName})
		}
		return nil
	}
	info, err := os.Stat(p)
	if err != nil {
		return err // "stat x: no such file or directory"
	}
	if !info.IsDir() {
		l.addFile(p)
		return nil
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable subdirectory loses only itself.
			inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
				Severity: DiagError,
				Message:  fmt.Sprintf("%s: reading: %v", l.display(path), unwrapPathError(err)),
				Location: Source{File: l.display(path)},
			})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != p && strings.HasPrefix(name, ".") {
				return fs.SkipDir // .git, .github, .terraform…
			}
			return nil
		}
		if !manifestExts[strings.ToLower(filepath.Ext(name))] {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			if err != nil || !target.Mode().IsRegular() {
				// A dangling link or a link to a directory is not
				// followed (a loop would never end); say so.
				inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
					Severity: DiagWarning,
					Message:  fmt.Sprintf("%s: symbolic link not followed", l.display(path)),
					Location: Source{File: l.display(path)},
				})
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		l.addFile(path)
		return nil
	})
}

func (l *lister) addFile(path string) {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	if l.seen[key] {
		return
	}
	l.seen[key] = true
	l.inputs = append(l.inputs, input{path: path, display: l.display(path)})
}

// display is the Source.File for path: relative to the root when inside it.
func (l *lister) display(path string) string {
	if l.root != "" {
		if abs, err := filepath.Abs(path); err == nil {
			if rel, err := filepath.Rel(l.root, abs); err == nil && rel != ".." &&
				!strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(path))
}
