package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	// Files counts the inputs read (files, standard input, rendered Helm
	// charts and Kustomize directories), so that a caller can tell
	// "nothing there" from "nothing of interest there".
	Files int
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
	inv.Files += other.Files
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
	// Helm are the values, release name and namespace with which Helm
	// charts are rendered.
	Helm HelmOptions
}

// StdinName is the Source.File of objects read from standard input.
const StdinName = "<stdin>"

// manifestExts are the extensions loaded when walking a directory; a file
// named explicitly is loaded whatever its extension.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// input is one file to load, in load order, or one directory to render.
type input struct {
	path    string // path to open; "" for stdin
	display string // Source.File
	render  renderKind
}

// renderKind says how a directory input is turned into manifests.
type renderKind int

const (
	renderNone renderKind = iota
	renderHelm
	renderKustomize
)

// LoadManifests loads the RBAC objects and the objects kept for analysis from
// manifest files, directories (recursively, .yaml .yml .json, hidden
// directories skipped) and "-" (stdin). Files are read in a deterministic
// order: paths as given, directories in lexical order.
//
// A directory with a Chart.yaml is a Helm chart and one with a
// kustomization.yaml a Kustomize directory, whether named or met on the way:
// it is rendered in process (see renderChart, renderKustomization) and its
// files are not read raw. A Kustomize directory that another one met in the
// same walk refers to (a base of an overlay) is rendered only through it.
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
	l.dropKustomizeBases()

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
				results[i] = loadInput(l.inputs[i], opts)
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
	inv.Files = len(l.inputs)
	return inv, nil
}

// loadInput renders a chart or a kustomization, or reads and parses a file.
func loadInput(in input, opts LoadOptions) *Inventory {
	switch in.render {
	case renderHelm:
		return renderChart(context.Background(), in.path, in.display, opts.Helm)
	case renderKustomize:
		return renderKustomization(in.path, in.display)
	}
	return loadFile(in)
}

// loadFile reads and parses one file; a read error becomes a diagnostic.
func loadFile(in input) *Inventory {
	data, err := os.ReadFile(in.path)
	if err != nil {
		return &Inventory{Diagnostics: []Diagnostic{{
			Severity: DiagError,
			Message:  fmt.Sprintf("reading: %v", unwrapPathError(err)),
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
	if l.addRendered(p) {
		return nil
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable subdirectory loses only itself.
			inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
				Severity: DiagError,
				Message:  fmt.Sprintf("reading: %v", unwrapPathError(err)),
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
			if path != p && l.addRendered(path) {
				return fs.SkipDir
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
					Message:  "symbolic link not followed",
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

// addRendered adds dir as a chart or a kustomization to render, and
// reports whether it is one.
func (l *lister) addRendered(dir string) bool {
	var kind renderKind
	switch {
	case isChartDir(dir):
		kind = renderHelm
	case kustomizationFile(dir) != "":
		kind = renderKustomize
	default:
		return false
	}
	key := dir
	if abs, err := filepath.Abs(dir); err == nil {
		key = abs
	}
	if !l.seen[key] {
		l.seen[key] = true
		l.inputs = append(l.inputs, input{path: dir, display: l.display(dir), render: kind})
	}
	return true
}

// dropKustomizeBases removes the Kustomize directories that another listed
// kustomization refers to: they are rendered as part of it (an overlay's
// base, a component), and rendering them alone would report their objects
// twice, under the base's names and namespaces.
func (l *lister) dropKustomizeBases() {
	listed := map[string]bool{}
	for _, in := range l.inputs {
		if in.render == renderKustomize {
			if abs, err := filepath.Abs(in.path); err == nil {
				listed[abs] = true
			}
		}
	}
	if len(listed) < 2 {
		return
	}
	referred := map[string]bool{}
	for _, in := range l.inputs {
		if in.render != renderKustomize {
			continue
		}
		local, _, err := kustomizationRefs(kustomizationFile(in.path))
		if err != nil {
			continue // rendering it reports the error
		}
		for _, p := range local {
			if abs, err := filepath.Abs(p); err == nil && listed[abs] {
				referred[abs] = true
			}
		}
	}
	l.inputs = slices.DeleteFunc(l.inputs, func(in input) bool {
		abs, err := filepath.Abs(in.path)
		return in.render == renderKustomize && err == nil && referred[abs]
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
