package policies

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kubegrant/kubegrant/reports"
)

var (
	idPattern   = regexp.MustCompile(`^KG[0-9A-Z]+$`)
	slugPattern = regexp.MustCompile(`^[a-z0-9-]+$`)
	// catalogueIDPattern matches the IDs of CATALOGUE.md.
	catalogueIDPattern = regexp.MustCompile(`^(U[0-9]{2}|G[0-9]+|D[0-9]{2})$`)
)

// rulesPrefix is the package path every rule package lives under.
var rulesPrefix = ast.MustParseRef("data.kubegrant.rules")

// kindModel marks a rule whose findings the risk model makes in Go (like
// attack paths): its folder holds metadata only.
const kindModel = "model"

// ruleMeta is a rule's report metadata plus what Eval needs to fan out.
type ruleMeta struct {
	rule reports.Rule
	// where is the file and line of the rule's # METADATA.
	where string
	kind  string // reports.KindGrant, KindHygiene, KindIdentity or KindPath
}

// collectMetadata turns the package-scoped `# METADATA` of every rule
// package into ruleMeta, keyed by the package's last path element.
// Every rule package must have complete metadata; anything else is an error,
// so an incomplete rule can never ship silently.
func collectMetadata(c *ast.Compiler, user map[string]bool) (map[string]ruleMeta, error) {
	out := map[string]ruleMeta{}
	var errs []error
	for _, ref := range c.GetAnnotationSet().Flatten() {
		a := ref.Annotations
		if a == nil || a.Scope != "package" || !ref.Path.HasPrefix(rulesPrefix) {
			continue
		}
		pkg, err := packageName(ref.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := parseMetadata(pkg, a, user[a.Location.File])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Location, err))
			continue
		}
		if _, dup := out[pkg]; dup {
			errs = append(errs, fmt.Errorf("%s: package %s has more than one # METADATA block", a.Location, pkg))
			continue
		}
		out[pkg] = m
	}
	// Every rule package needs metadata, and IDs must be unique.
	seen := map[string]string{}
	for _, mod := range c.Modules {
		path := mod.Package.Path
		if !path.HasPrefix(rulesPrefix) {
			continue
		}
		pkg, err := packageName(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, ok := out[pkg]; !ok {
			errs = append(errs, fmt.Errorf("%s: package %s has no package-scoped # METADATA", mod.Package.Location, pkg))
		}
	}
	pkgs := make([]string, 0, len(out))
	for pkg := range out {
		pkgs = append(pkgs, pkg)
	}
	slices.Sort(pkgs)
	for _, pkg := range pkgs {
		m := out[pkg]
		if other, dup := seen[m.rule.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: rule id %s is also the id of %s (%s)", out[pkg].where, m.rule.ID, other, out[other].where))
		}
		seen[m.rule.ID] = pkg
	}
	return out, errors.Join(errs...)
}

// packageName returns x for data.kubegrant.rules.x and rejects deeper paths.
func packageName(path ast.Ref) (string, error) {
	if len(path) != len(rulesPrefix)+1 {
		return "", fmt.Errorf("package %s: rule packages must be data.kubegrant.rules.<slug_underscored>", path)
	}
	s, ok := path[len(rulesPrefix)].Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("package %s: last element is not a name", path)
	}
	return string(s), nil
}

// parseMetadata checks one rule's annotations and converts them. The
// package name must be the slug with "_" for "-".
//
// A user policy (--policy) follows the same contract with two differences:
// its id starts with KGU (the catalogue never uses that prefix, so a new
// kubegrant release cannot collide with it), its catalogue ids are
// optional, and its Source is its file.
func parseMetadata(pkg string, a *ast.Annotations, user bool) (ruleMeta, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	custom := a.Custom
	str := func(key string) string {
		v, ok := custom[key]
		if !ok {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			fail("custom.%s must be a string", key)
		}
		return strings.TrimSpace(s)
	}
	list := func(key string) []string {
		v, ok := custom[key]
		if !ok {
			return []string{}
		}
		items, ok := v.([]any)
		if !ok {
			fail("custom.%s must be a list of strings", key)
			return []string{}
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok || strings.TrimSpace(s) == "" {
				fail("custom.%s holds %v, want non-empty strings", key, it)
				continue
			}
			out = append(out, s)
		}
		return out
	}
	r := reports.Rule{
		ID:          str("id"),
		Slug:        str("slug"),
		Title:       strings.TrimSpace(a.Title),
		Severity:    reports.Severity(str("severity")),
		Description: strings.TrimSpace(a.Description),
		Remediation: str("remediation"),
		Tags:        list("tags"),
		Catalogue:   list("catalogue"),
		References:  list("references"),
	}
	r.ExercisedBy = exercisedBy(custom["exercised_by"], fail)
	if len(a.RelatedResources) > 0 {
		u := a.RelatedResources[0].Ref
		r.HelpURI = u.String()
	}
	kind := str("kind")
	switch kind {
	case "":
		kind = reports.KindGrant
	case reports.KindGrant, reports.KindHygiene, reports.KindIdentity, reports.KindPath, kindModel:
	default:
		fail("custom.kind %q: want %q, %q, %q, %q or %q", kind, reports.KindGrant, reports.KindHygiene, reports.KindIdentity, reports.KindPath, kindModel)
	}
	switch {
	case !idPattern.MatchString(r.ID):
		fail("custom.id %q does not match %s", r.ID, idPattern)
	case user && !strings.HasPrefix(r.ID, userIDPrefix):
		fail("custom.id %q: the id of a user policy starts with %s (KGU001…): the other ids are kubegrant's", r.ID, userIDPrefix)
	case !user && strings.HasPrefix(r.ID, userIDPrefix):
		fail("custom.id %q: the %s prefix is for user policies", r.ID, userIDPrefix)
	}
	if user {
		r.Source = a.Location.File
	}
	if !slugPattern.MatchString(r.Slug) {
		fail("custom.slug %q does not match %s", r.Slug, slugPattern)
	} else if want := strings.ReplaceAll(r.Slug, "-", "_"); want != pkg {
		fail("package %s does not match slug %q (want package kubegrant.rules.%s)", pkg, r.Slug, want)
	}
	if r.Title == "" {
		fail("title is missing")
	}
	if r.Description == "" {
		fail("description is missing")
	}
	if _, err := reports.ParseSeverity(string(r.Severity)); err != nil {
		fail("custom.severity: %v", err)
	}
	if r.Remediation == "" || !strings.HasSuffix(r.Remediation, ".") {
		fail("custom.remediation must be present and end in \".\"")
	}
	if len(r.Tags) == 0 {
		fail("custom.tags needs at least one tag")
	}
	if len(r.Catalogue) == 0 && kind != reports.KindPath && kind != kindModel && !user {
		fail("custom.catalogue needs at least one CATALOGUE.md id")
	}
	for _, id := range r.Catalogue {
		if !catalogueIDPattern.MatchString(id) {
			fail("custom.catalogue id %q is not a CATALOGUE.md id (U01–U63, G1–G6, D01–D25)", id)
		}
	}
	for k := range custom {
		if !slices.Contains(knownCustomKeys, k) {
			fail("custom.%s is not a known key (typo?)", k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ruleMeta{}, err
	}
	return ruleMeta{rule: r, kind: kind, where: a.Location.String()}, nil
}

// knownCustomKeys are the keys of custom metadata kubegrant reads; any other
// key is rejected so that a typo does not silently drop metadata.
var knownCustomKeys = []string{"id", "slug", "severity", "remediation", "tags", "catalogue", "references", "kind", "exercised_by"}

// exercisedBy parses custom.exercised_by: the RBAC rules a request must
// match to count as use of the risky part of a flagged grant.
func exercisedBy(v any, fail func(string, ...any)) []reports.PolicyRule {
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		fail("custom.exercised_by must be a list of rules")
		return nil
	}
	var out []reports.PolicyRule
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			fail("custom.exercised_by holds %v, want a rule", it)
			continue
		}
		field := func(key string) []string {
			out := []string{}
			raw, ok := m[key]
			if !ok {
				return out
			}
			l, ok := raw.([]any)
			if !ok {
				fail("custom.exercised_by %s must be a list", key)
				return out
			}
			for _, x := range l {
				s, ok := x.(string)
				if !ok {
					fail("custom.exercised_by %s holds %v, want strings", key, x)
					continue
				}
				out = append(out, s)
			}
			return out
		}
		for k := range m {
			if !slices.Contains([]string{"apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"}, k) {
				fail("custom.exercised_by: unknown field %q", k)
			}
		}
		pr := reports.PolicyRule{
			APIGroups:       field("apiGroups"),
			Resources:       field("resources"),
			Verbs:           field("verbs"),
			ResourceNames:   field("resourceNames"),
			NonResourceURLs: field("nonResourceURLs"),
		}
		if len(pr.Verbs) == 0 || (len(pr.Resources) == 0) == (len(pr.NonResourceURLs) == 0) {
			fail("custom.exercised_by rule %v needs verbs and either resources or nonResourceURLs", it)
			continue
		}
		out = append(out, pr)
	}
	return out
}
