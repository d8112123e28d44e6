package suppress

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Exception is one entry of the config file's exceptions list: the findings
// it matches are suppressed as "config" until it expires. Every selector
// that is set must match; an unset one matches anything.
type Exception struct {
	// Rules are rule IDs or globs ("*" for every rule).
	Rules []string
	// Subject is "Kind:namespace/name" (ServiceAccount) or "Kind:name"
	// (User, Group), globs allowed, "" for any.
	Subject string
	// Binding is "RoleBinding:namespace/name" or "ClusterRoleBinding:name",
	// globs allowed, "" for any.
	Binding string
	// Namespace, when set, is the finding's scope: a namespace glob, or ""
	// for cluster-wide findings only.
	Namespace *string
	// Actor matches the user behind a detection (globs allowed), "" for any.
	Actor string
	// Justification says why; it is required.
	Justification string
	// Expires is the last day (YYYY-MM-DD, UTC) or the instant (RFC 3339)
	// the exception applies, as written; "" for never.
	Expires string
	// Source is the file and line of the entry.
	Source scanner.Source
}

// exceptionMatcher is an Exception with its patterns and date parsed.
type exceptionMatcher struct {
	*Exception
	expiresAt        time.Time   // zero: never
	subject, binding *refPattern // nil: any
	allRules         bool
}

// compile parses the exception's patterns and expiry.
func (e *Exception) compile() (*exceptionMatcher, error) {
	m := &exceptionMatcher{Exception: e, allRules: slices.Contains(e.Rules, "*")}
	var err error
	if e.Subject != "" {
		if m.subject, err = parseRefPattern(e.Subject, subjectKinds); err != nil {
			return nil, fmt.Errorf("subject: %w", err)
		}
	}
	if e.Binding != "" {
		if m.binding, err = parseRefPattern(e.Binding, bindingKinds); err != nil {
			return nil, fmt.Errorf("binding: %w", err)
		}
	}
	if e.Expires != "" {
		if m.expiresAt, err = parseExpiry(e.Expires); err != nil {
			return nil, fmt.Errorf("expires: %w", err)
		}
	}
	return m, nil
}

// refPattern matches a scanner.Ref written as Kind:namespace/name or
// Kind:name; "*" in kind and name is a glob.
type refPattern struct {
	kind, name string
}

func (p *refPattern) match(r *scanner.Ref) bool {
	if p == nil {
		return true
	}
	if r == nil || !glob(p.kind, r.Kind) {
		return false
	}
	name := r.Name
	if r.Namespace != "" {
		name = r.Namespace + "/" + r.Name
	}
	return glob(p.name, name)
}

// parseRefPattern parses "*", "Kind:namespace/name" or "Kind:name". kinds
// are the kinds allowed, with whether each is namespaced.
func parseRefPattern(s string, kinds map[string]bool) (*refPattern, error) {
	if s == "*" {
		return &refPattern{kind: "*", name: "*"}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return nil, fmt.Errorf("%q: want Kind:namespace/name or Kind:name", s)
	}
	namespaced, known := kinds[kind]
	if !known && kind != "*" {
		return nil, fmt.Errorf("%q: unknown kind %q (want %s or *)", s, kind, strings.Join(sortedKeys(kinds), ", "))
	}
	// A namespaced name without its namespace would never match: say so
	// rather than suppress nothing. User and group names may hold a "/".
	if known && namespaced && name != "*" && !strings.Contains(name, "/") {
		return nil, fmt.Errorf("%q: a %s is namespaced: want %s:namespace/name (*/name for any namespace)", s, kind, kind)
	}
	return &refPattern{kind: kind, name: name}, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var (
	subjectKinds = map[string]bool{scanner.KindServiceAccount: true, scanner.KindUser: false, scanner.KindGroup: false}
	bindingKinds = map[string]bool{scanner.KindRoleBinding: true, scanner.KindClusterRoleBinding: false}
)

// glob matches s against pattern, where "*" matches any run of characters
// (including "/" and ":") and everything else matches itself.
func glob(pattern, s string) bool {
	// Iterative wildcard matching with backtracking to the last star.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// parseExpiry parses a date (YYYY-MM-DD: valid through that day, UTC) or an
// RFC 3339 instant, and returns the first instant it no longer applies.
func parseExpiry(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

// expired reports whether the exception no longer applies at now.
func (e *exceptionMatcher) expired(now time.Time) bool {
	return !e.expiresAt.IsZero() && !now.Before(e.expiresAt)
}

// matchRule reports whether the exception covers rule id.
func (e *exceptionMatcher) matchRule(id string) bool {
	if e.allRules {
		return true
	}
	for _, r := range e.Rules {
		if glob(r, id) {
			return true
		}
	}
	return false
}

// match reports whether the exception covers the finding, expiry aside.
func (e *exceptionMatcher) match(f *reports.Finding) bool {
	if !e.matchRule(f.RuleID) {
		return false
	}
	if !e.subject.match(f.Subject) || !e.binding.match(f.Binding) {
		return false
	}
	if ns := e.Namespace; ns != nil {
		// "" is cluster-wide only; a glob ("*" too) matches namespaces only.
		if *ns == "" && f.Scope != "" || *ns != "" && (f.Scope == "" || !glob(*ns, f.Scope)) {
			return false
		}
	}
	if e.Actor != "" && (f.Actor == nil || !glob(e.Actor, f.Actor.User)) {
		return false
	}
	return true
}

// ConfigError is a mistake in the config file, with its file and line: the
// CLI reports it as a usage error.
type ConfigError struct {
	Source scanner.Source
	Msg    string
}

func (e *ConfigError) Error() string { return e.Source.String() + ": " + e.Msg }

// LoadExceptions reads the exceptions of a config file (.kubegrant.yaml):
//
//	exceptions:
//	  - rules: [KG011]
//	    subject: "ServiceAccount:cert-manager/cert-manager"
//	    justification: "cert-manager mints its own token"
//	    expires: 2027-01-01
//
// A file it cannot read is a plain error; every mistake in it (unknown
// keys, a missing justification, a bad date or pattern) is a *ConfigError
// with its line, all of them joined.
func LoadExceptions(path string) ([]Exception, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseExceptions(path, data)
}

// ParseExceptions parses the content of a config file named file; see
// LoadExceptions.
func ParseExceptions(file string, data []byte) ([]Exception, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Source: scanner.Source{File: file}, Msg: err.Error()}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	p := &configParser{file: file}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	var out []Exception
	p.mapping(root, "config", func(key string, v *yaml.Node) {
		switch key {
		case "exceptions":
			if v.Tag == "!!null" {
				return
			}
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "exceptions: want a list")
				return
			}
			for i, item := range v.Content {
				if e, ok := p.exception(item, i); ok {
					out = append(out, e)
				}
			}
		case "detections":
			// The detections' options: parsed by detect.ParseOptions.
		case "policies":
			// User policy directories: read by the CLI (policyDirs).
		default:
			p.errorf(v, "unknown key %q (want exceptions, detections, policies)", key)
		}
	})
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return out, nil
}

type configParser struct {
	file string
	errs []error
}

func (p *configParser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &ConfigError{Source: scanner.Source{File: p.file, Line: n.Line}, Msg: fmt.Sprintf(format, args...)})
}

// mapping calls fn for each key of a mapping node, rejecting duplicates.
func (p *configParser) mapping(n *yaml.Node, what string, fn func(key string, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping", what)
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, v)
	}
	return true
}

// scalar returns a scalar's value; a list or mapping is an error.
func (p *configParser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: want a string", what)
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (p *configParser) exception(n *yaml.Node, i int) (Exception, bool) {
	what := fmt.Sprintf("exceptions[%d]", i)
	e := Exception{Source: scanner.Source{File: p.file, Line: n.Line}}
	before := len(p.errs)
	hasRules := false
	if !p.mapping(n, what, func(key string, v *yaml.Node) {
		field := what + "." + key
		switch key {
		case "rules":
			hasRules = true
			var items []*yaml.Node
			switch v.Kind {
			case yaml.SequenceNode:
				items = v.Content
			case yaml.ScalarNode:
				items = []*yaml.Node{v}
			default:
				p.errorf(v, "%s: want a list of rule IDs", field)
				return
			}
			for _, it := range items {
				if id, ok := p.scalar(it, field); ok && id != "" {
					e.Rules = append(e.Rules, id)
				}
			}
			if len(e.Rules) == 0 {
				p.errorf(v, "%s: list at least one rule ID (or \"*\")", field)
			}
		case "subject", "binding":
			s, ok := p.scalar(v, field)
			if !ok {
				return
			}
			kinds := subjectKinds
			if key == "binding" {
				kinds = bindingKinds
			}
			if _, err := parseRefPattern(s, kinds); err != nil {
				p.errorf(v, "%s: %v", field, err)
				return
			}
			if key == "subject" {
				e.Subject = s
			} else {
				e.Binding = s
			}
		case "namespace":
			if s, ok := p.scalar(v, field); ok {
				e.Namespace = &s
			}
		case "actor":
			if s, ok := p.scalar(v, field); ok {
				e.Actor = s
			}
		case "justification":
			if s, ok := p.scalar(v, field); ok {
				e.Justification = strings.TrimSpace(s)
			}
		case "expires":
			s, ok := p.scalar(v, field)
			if !ok || s == "" {
				return
			}
			if _, err := parseExpiry(s); err != nil {
				p.errorf(v, "%s: %v", field, err)
				return
			}
			e.Expires = s
		default:
			p.errorf(v, "%s: unknown key %q (want rules, subject, binding, namespace, actor, justification, expires)", what, key)
		}
	}) {
		return e, false
	}
	if !hasRules {
		p.errorf(n, "%s: rules is required (rule IDs, or \"*\")", what)
	}
	if e.Justification == "" {
		p.errorf(n, "%s: justification is required: say why these findings are accepted", what)
	}
	return e, len(p.errs) == before
}

// CheckExceptionRules reports, as *ConfigError, every rule ID or glob of
// the exceptions that names no rule of the catalogue: a typo would
// otherwise silently suppress nothing.
func CheckExceptionRules(exceptions []Exception, catalogue []reports.Rule) error {
	var errs []error
	for i := range exceptions {
		e := &exceptions[i]
		for _, id := range e.Rules {
			if !slices.ContainsFunc(catalogue, func(r reports.Rule) bool { return glob(id, r.ID) }) {
				errs = append(errs, &ConfigError{Source: e.Source, Msg: fmt.Sprintf("rules: %q is not a rule of the catalogue (see kubegrant rules)", id)})
			}
		}
	}
	return errors.Join(errs...)
}

// ApplyExceptions suppresses, as "config", the findings an exception
// matches, unless an inline suppression already covers them (see
// Outranks); the first matching exception gives the justification.
// An exception that has expired at now suppresses nothing and yields a
// warning. The clock is injected so that tests and goldens are
// deterministic.
func ApplyExceptions(findings []reports.Finding, exceptions []Exception, now time.Time) []scanner.Diagnostic {
	var diags []scanner.Diagnostic
	live := make([]*exceptionMatcher, 0, len(exceptions))
	for i := range exceptions {
		e, err := exceptions[i].compile()
		if err != nil {
			src := exceptions[i].Source
			diags = append(diags, scanner.Diagnostic{Severity: scanner.DiagWarning, Message: fmt.Sprintf("exception ignored: %v", err), Location: src})
			continue
		}
		if e.expired(now) {
			diags = append(diags, scanner.Diagnostic{
				Severity: scanner.DiagWarning,
				Message:  fmt.Sprintf("exception for %s expired on %s: it no longer suppresses anything (%s)", strings.Join(e.Rules, ","), e.Expires, e.Justification),
				Location: e.Source,
			})
			continue
		}
		live = append(live, e)
	}
	if len(live) == 0 {
		return diags
	}
	matched := make([]bool, len(live))
	detections := false
	for i := range findings {
		f := &findings[i]
		detections = detections || f.Kind == reports.KindDetection
		for j, e := range live {
			if !e.match(f) {
				continue
			}
			// The first matching exception gives the justification: a
			// later one does not outrank it.
			Mark(f, reports.Suppression{Kind: reports.SuppressConfig, Justification: e.Justification, Expires: e.Expires})
			matched[j] = true
		}
	}
	// An exception that matches no finding is most often a selector that
	// does not say what its author meant (a ClusterRoleBinding for a grant
	// that comes through a RoleBinding); one for detections (actor) only
	// matters when audit logs were replayed.
	for j, e := range live {
		if !matched[j] && (e.Actor == "" || detections) {
			diags = append(diags, scanner.Diagnostic{
				Severity: scanner.DiagWarning,
				Message:  fmt.Sprintf("exception for %s matches no finding: it suppresses nothing (check its subject, binding and namespace)", strings.Join(e.Rules, ",")),
				Location: e.Source,
			})
		}
	}
	return diags
}
