package scanner

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizationFile returns the kustomization file of dir (kustomization.yaml,
// kustomization.yml or Kustomization), or "" when dir is not a Kustomize
// directory.
func kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// kustomizationRefs lists the local paths a kustomization file refers to
// (resources, bases, components), absolute, and the entries that are not on
// disk (remote bases, or missing files kustomize will name).
func kustomizationRefs(file string) (local, absent []string, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, nil, fmt.Errorf("parsing: %w", err)
	}
	dir := filepath.Dir(file)
	//nolint:staticcheck // bases is deprecated but still read by kustomize, so still a reference
	for _, e := range slices.Concat(k.Resources, k.Bases, k.Components) {
		p := filepath.Join(dir, e)
		if _, err := os.Stat(p); err == nil {
			local = append(local, p)
		} else {
			absent = append(absent, e)
		}
	}
	return local, absent, nil
}

// looksRemote reports whether a kustomization entry is a URL or a git
// repository reference, which kustomize would fetch.
func looksRemote(entry string) bool {
	return strings.Contains(entry, "://") || strings.HasPrefix(entry, "git@") ||
		strings.HasPrefix(entry, "github.com/") || strings.HasPrefix(entry, "gitlab.com/") ||
		strings.HasPrefix(entry, "bitbucket.org/")
}

// remoteEntries walks the kustomization tree from file and lists the entries
// that would need the network.
func remoteEntries(file string, seen map[string]bool) ([]string, error) {
	if seen[file] {
		return nil, nil
	}
	seen[file] = true
	local, absent, err := kustomizationRefs(file)
	if err != nil {
		return nil, err
	}
	var remote []string
	for _, e := range absent {
		if looksRemote(e) {
			remote = append(remote, e)
		}
	}
	for _, p := range local {
		if kf := kustomizationFile(p); kf != "" {
			r, err := remoteEntries(kf, seen)
			if err != nil {
				return nil, err
			}
			remote = append(remote, r...)
		}
	}
	return remote, nil
}

// originFS is the disk with one change: the root kustomization asks for
// origin annotations (buildMetadata: [originAnnotations]), which kustomize
// then records on every resource, through every base, as the file it was
// read from. The annotations are removed again before the objects are
// parsed unless the kustomization asked for them itself.
type originFS struct {
	filesys.FileSystem
	root    string // absolute path of the root kustomization file
	addedBy bool   // the root did not ask for origin annotations itself
}

func (f *originFS) ReadFile(name string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(name)
	if err != nil || filepath.Clean(name) != f.root {
		return data, err
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil || k == nil {
		return data, nil // kustomize reports the error itself
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == types.OriginAnnotations {
			return data, nil
		}
	}
	f.addedBy = true
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	return yaml.Marshal(k)
}

// renderKustomization builds the kustomization in dir as `kustomize build`
// (and `kubectl kustomize`) does by default, in process: files only from
// within the kustomization's root, no plugins, no Helm inflation, no remote
// bases (kubegrant fetches nothing). Each object is traced back to the
// resource file it was read from. display is dir as reports name it.
func renderKustomization(dir, display string) *Inventory {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return renderError(display, "%v", err)
	}
	kfile := kustomizationFile(abs)
	kdisplay := path.Join(display, filepath.Base(kfile))
	remote, err := remoteEntries(kfile, map[string]bool{})
	if err != nil {
		return renderError(kdisplay, "%v", err)
	}
	if len(remote) > 0 {
		return renderError(kdisplay, "Kustomize remote resources are not fetched (no network): %s; vendor them into the repository and refer to them by path",
			strings.Join(remote, ", "))
	}

	fs := &originFS{FileSystem: filesys.MakeFsOnDisk(), root: kfile}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, abs)
	if err != nil {
		return renderError(kdisplay, "kustomize build: %v", err)
	}

	type rendered struct {
		yaml   string
		origin string // file relative to dir, or "" when unknown
	}
	var res []rendered
	for _, r := range m.Resources() {
		origin := ""
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Repo == "" {
			origin = o.Path
			if origin == "" {
				origin = o.ConfiguredIn
			}
		}
		res = append(res, rendered{origin: origin})
	}
	if fs.addedBy {
		if err := m.RemoveOriginAnnotations(); err != nil {
			return renderError(kdisplay, "kustomize build: %v", err)
		}
	}
	for i, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return renderError(kdisplay, "kustomize build: %v", err)
		}
		res[i].yaml = string(y)
	}

	inv := &Inventory{}
	files := map[string][]string{} // origin file → its lines
	for i, r := range res {
		// Each resource is parsed on its own under a name of its own,
		// then moved to its origin file.
		name := fmt.Sprintf("%s#%d", kdisplay, i)
		part := ParseManifests(name, []byte(r.yaml))
		out := splitLines(r.yaml)
		display, trace := kdisplay, []tracedLine(nil)
		if r.origin != "" {
			p := filepath.Join(abs, r.origin)
			lines, ok := files[p]
			if !ok {
				if data, err := os.ReadFile(p); err == nil {
					lines = splitLines(string(data))
				}
				files[p] = lines
			}
			if lines != nil {
				display = path.Clean(path.Join(path.Dir(kdisplay), filepath.ToSlash(r.origin)))
				first, doc := bestDocument(out, lines)
				trace = traceLines(out, doc, first)
			}
		}
		if trace == nil {
			// Generated, or from a file that cannot be read again: the
			// kustomization file, without a line.
			trace = make([]tracedLine, len(out))
		}
		retrace(part, name, display, trace)
		inv.Add(part)
	}
	return inv
}

// bestDocument returns the document of a multi-document file (its first
// line number and its lines) that shares the most lines with out.
func bestDocument(out, lines []string) (int, []string) {
	type doc struct{ start, end int } // lines[start:end]
	var docs []doc
	start := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "---") && strings.TrimSpace(strings.TrimPrefix(l, "---")) == "" || l == "..." {
			docs = append(docs, doc{start, i})
			start = i + 1
		}
	}
	docs = append(docs, doc{start, len(lines)})
	if len(docs) == 1 {
		return 1, lines
	}
	best, bestScore := docs[0], -1
	for _, d := range docs {
		score := 0
		for _, t := range traceLines(out, lines[d.start:d.end], 1) {
			if t.exact {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best.start + 1, lines[best.start:best.end]
}
