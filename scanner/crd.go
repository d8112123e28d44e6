package scanner

import (
	"cmp"
	"slices"

	"gopkg.in/yaml.v3"
)

// CRD is a CustomResourceDefinition found in the input: the API it adds,
// which RBAC rules may name. Only its names and scope are kept.
type CRD struct {
	Group      string
	Plural     string
	Singular   string
	Kind       string
	ShortNames []string
	Namespaced bool
	// Subresources are those some version serves ("status", "scale").
	Subresources []string
	Source       Source
}

// crdGroup is the API group of CustomResourceDefinitions.
const crdGroup = "apiextensions.k8s.io"

// crd decodes a CustomResourceDefinition (apiextensions.k8s.io/v1, or
// v1beta1 with its top-level subresources).
func (d *decoder) crd(n *yaml.Node) *fieldError {
	const kind = "CustomResourceDefinition"
	m, err := d.metadata(n, kind)
	if err != nil {
		return inObject(err, kind, m.name)
	}
	spec := get(n, "spec")
	if err := wantMap(spec, "spec"); err != nil {
		return inObject(err, kind, m.name)
	}
	names := get(spec, "names")
	if err := wantMap(names, "spec.names"); err != nil {
		return inObject(err, kind, m.name)
	}
	c := &CRD{Source: Source{File: d.file, Line: n.Line}}
	var scope string
	for _, f := range []struct {
		dst  *string
		n    *yaml.Node
		path string
	}{
		{&c.Group, get(spec, "group"), "spec.group"},
		{&scope, get(spec, "scope"), "spec.scope"},
		{&c.Plural, get(names, "plural"), "spec.names.plural"},
		{&c.Singular, get(names, "singular"), "spec.names.singular"},
		{&c.Kind, get(names, "kind"), "spec.names.kind"},
	} {
		if *f.dst, err = str(f.n, f.path); err != nil {
			return inObject(err, kind, m.name)
		}
	}
	if c.ShortNames, err = strList(get(names, "shortNames"), "spec.names.shortNames"); err != nil {
		return inObject(err, kind, m.name)
	}
	if c.Plural == "" || c.Group == "" {
		d.inv.Skipped++ // a stub or a template: it names no API
		return nil
	}
	c.Namespaced = scope != "Cluster"
	subs := []*yaml.Node{get(spec, "subresources")}
	versions, err := seq(get(spec, "versions"), "spec.versions")
	if err != nil {
		return inObject(err, kind, m.name)
	}
	for _, v := range versions {
		subs = append(subs, get(v, "subresources"))
	}
	for _, s := range subs {
		for _, name := range []string{"status", "scale"} {
			if get(s, name) != nil {
				c.Subresources = append(c.Subresources, name)
			}
		}
	}
	slices.Sort(c.Subresources)
	c.Subresources = slices.Compact(c.Subresources)
	d.inv.CRDs = append(d.inv.CRDs, c)
	return nil
}

// dedupeCRDs keeps the last definition of each group and plural, sorted.
func dedupeCRDs(crds []*CRD) []*CRD {
	last := map[[2]string]int{}
	for i, c := range crds {
		last[[2]string{c.Group, c.Plural}] = i
	}
	var out []*CRD
	for i, c := range crds {
		if last[[2]string{c.Group, c.Plural}] == i {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *CRD) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Plural, b.Plural))
	})
	return out
}
