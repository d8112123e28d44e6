package scanner

import (
	"fmt"
	"slices"
	"strings"
)

// The names checks catch what RBAC silently accepts and never matches: a
// rule naming an API group, resource or verb that no API has ("secret",
// "cronjob", "Get", apiGroups ["apps/v1"]) grants nothing, and the author
// believes it does (catalogue trap 13). Each becomes a warning at the rule's
// line with the likely intended name.
//
// What is checked against what:
//   - Built-in groups are a closed set: a resource that is not in the
//     table of built-in APIs (apis.json) is a mistake, whatever its name.
//   - A group defined by a CRD of the input may hold other CRDs that are not
//     in the input, so only a near miss of a known name (a singular, a
//     kind, a short name, another case) is reported there.
//   - A group nobody defines (an aggregated API, a CRD not in the input)
//     is not judged, unless its name is a near miss of a built-in group or
//     carries a version ("apps/v1").
//   - A verb no built-in API has is reported when the rule's resources are
//     all known, or when it is a near miss of a real verb; the verbs the
//     apiserver checks on a few resources only (bind, escalate,
//     impersonate, approve, sign, attest, use) are reported when none of
//     the rule's resources has them: bind on rolebindings grants nothing.

// specialVerbs are verbs only a few resources have.
var specialVerbs = map[string]bool{"bind": true, "escalate": true, "impersonate": true, "approve": true, "sign": true, "attest": true, "use": true}

// nonResourceVerbs are the verbs of non-resource requests: the request's
// HTTP method, lower-cased.
var nonResourceVerbs = []string{"get", "head", "post", "put", "patch", "delete", "options"}

// CheckNames returns a warning for every rule of the roles that names an
// API group, resource or verb that does not exist in apis.
func CheckNames(roles []*Role, apis *APIs) []Diagnostic {
	memo := map[string][]string{}
	var out []Diagnostic
	for _, role := range roles {
		for i := range role.Rules {
			rule := &role.Rules[i]
			key := ruleKey(rule)
			msgs, ok := memo[key]
			if !ok {
				msgs = checkRule(rule, apis)
				memo[key] = msgs
			}
			for _, m := range msgs {
				src := rule.Source
				if src == (Source{}) {
					src = role.Source
				}
				// The location is the diagnostic's own: printing and
				// reports prefix it, so the message does not repeat it.
				msg := fmt.Sprintf("%s %q rule %d: %s", role.Kind, role.Name, rule.Index+1, m)
				out = append(out, Diagnostic{Severity: DiagWarning, Message: msg, Location: src})
			}
		}
	}
	return out
}

func checkRule(rule *Rule, apis *APIs) []string {
	var msgs []string
	if len(rule.NonResourceURLs) > 0 {
		for _, v := range rule.Verbs {
			if v == "*" || slices.Contains(nonResourceVerbs, v) {
				continue
			}
			if apis.KnownVerb(v) {
				msgs = append(msgs, fmt.Sprintf("verb %q is a resource verb; a non-resource request's verb is its HTTP method (%s), so it matches nothing", v, strings.Join(nonResourceVerbs, ", ")))
			} else if s := closest(v, nonResourceVerbs); s != "" {
				msgs = append(msgs, fmt.Sprintf("verb %q is not an HTTP method of a non-resource request; did you mean %q?", v, s))
			} else {
				msgs = append(msgs, fmt.Sprintf("verb %q is not an HTTP method of a non-resource request (%s); it matches nothing", v, strings.Join(nonResourceVerbs, ", ")))
			}
		}
		return msgs
	}

	// The groups the rule's resources are looked up in. judged says the
	// rule's resources are all known, so their verbs are known too.
	anyGroup, judged := false, true
	var groups []string // known groups named by the rule
	for _, g := range rule.APIGroups {
		switch {
		case g == "*":
			anyGroup = true
		case apis.KnownGroup(g):
			groups = append(groups, g)
		default:
			judged = false
			if m := groupMistake(g, apis); m != "" {
				msgs = append(msgs, m)
			}
		}
	}
	if anyGroup {
		groups = apis.Groups()
	}
	var resolved []*APIResource
	for _, res := range rule.Resources {
		if res == "*" || strings.HasPrefix(res, "*/") {
			judged = false
			continue
		}
		found := false
		for _, g := range groups {
			if r := apis.Lookup(g, res); r != nil {
				resolved = append(resolved, r)
				found = true
				// A CRD's controller may check verbs of its own.
				judged = judged && r.CRD == nil
			}
		}
		if found {
			continue
		}
		judged = false
		if len(groups) > 0 {
			if m := resourceMistake(res, rule.APIGroups, groups, anyGroup, apis); m != "" {
				msgs = append(msgs, m)
			}
		}
	}
	judged = judged && len(resolved) > 0

	for _, v := range rule.Verbs {
		if v == "*" {
			continue
		}
		if strings.Contains(v, ":") {
			continue // a structured verb (constrained impersonation) is not judged
		}
		if !apis.KnownVerb(v) {
			s := closestVerb(v, apis)
			switch {
			case s != "":
				msgs = append(msgs, fmt.Sprintf("verb %q does not exist (verbs are case-sensitive); did you mean %q?", v, s))
			case judged:
				msgs = append(msgs, fmt.Sprintf("verb %q is not a verb of %s; it grants nothing", v, describeResources(resolved)))
			}
			continue
		}
		if !specialVerbs[v] || !judged {
			continue
		}
		has := false
		for _, r := range resolved {
			if slices.Contains(r.Verbs, v) {
				has = true
				break
			}
		}
		if !has {
			msg := fmt.Sprintf("verb %q has no effect on %s", v, describeResources(resolved))
			if where := resourcesWithVerb(v, apis); where != "" {
				msg += "; the apiserver checks it on " + where
			}
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

// groupMistake explains an unknown group that is a near miss of a known one.
func groupMistake(g string, apis *APIs) string {
	if g == "core" || g == "v1" {
		return fmt.Sprintf("API group %q does not exist: the core group is written \"\"", g)
	}
	if base, _, ok := strings.Cut(g, "/"); ok {
		if base == "" || base == "api" {
			base = ""
		}
		if apis.KnownGroup(base) || base == "" {
			return fmt.Sprintf("API group %q includes a version; apiGroups take the group alone: %q", g, base)
		}
		return fmt.Sprintf("API group %q includes a version; apiGroups take the group alone", g)
	}
	var builtin []string
	for _, k := range apis.Groups() {
		if apis.BuiltinGroup(k) && k != "" {
			builtin = append(builtin, k)
		}
	}
	if s := closest(g, builtin); s != "" {
		return fmt.Sprintf("API group %q does not exist; did you mean %q?", g, s)
	}
	return ""
}

// resourceMistake explains a resource found in none of the rule's known
// groups, or returns "" when nothing says it is a mistake.
func resourceMistake(res string, written, groups []string, anyGroup bool, apis *APIs) string {
	base, sub, hasSub := strings.Cut(res, "/")
	where := "any known API group"
	if !anyGroup {
		where = describeGroups(groups)
	}
	// A near miss in the rule's groups: case, singular, kind, short name,
	// a misspelt subresource, or an edit of one or two letters.
	for _, g := range groups {
		if s := nearResource(base, sub, hasSub, g, apis); s != "" {
			return fmt.Sprintf("resource %q does not exist in %s; did you mean %q?", res, where, s)
		}
	}
	if anyGroup {
		return ""
	}
	// The right name in the wrong group.
	var elsewhere []string
	for _, g := range apis.Groups() {
		if r := apis.Lookup(g, res); r != nil && !r.Removed() {
			elsewhere = append(elsewhere, fmt.Sprintf("%q", g))
		}
	}
	// A CRD group may hold resources the input does not define: only a
	// group of Kubernetes' own is known to lack one.
	for _, g := range groups {
		if !apis.BuiltinGroup(g) {
			return ""
		}
	}
	switch {
	case len(elsewhere) > 0:
		return fmt.Sprintf("resource %q is not in %s; it is in API group %s", res, where, strings.Join(elsewhere, ", "))
	case len(groups) == len(written):
		return fmt.Sprintf("resource %q does not exist in %s; it matches nothing", res, where)
	}
	return ""
}

// nearResource finds the name the author probably meant in group.
func nearResource(base, sub string, hasSub bool, g string, apis *APIs) string {
	lower := strings.ToLower(base)
	var names []string
	target := ""
	for _, r := range apis.Resources(g) {
		if strings.Contains(r.Resource, "/") {
			continue
		}
		names = append(names, r.Resource)
		if r.Resource == lower || r.Singular == lower || strings.ToLower(r.Kind) == lower || slices.Contains(r.ShortNames, lower) {
			target = r.Resource
		}
	}
	builtin := apis.BuiltinGroup(g)
	if target == "" && builtin {
		target = closest(base, names)
	}
	if target == "" {
		return ""
	}
	if !hasSub {
		if target == base {
			return ""
		}
		return target
	}
	if apis.Lookup(g, target+"/"+sub) != nil {
		if target == base {
			return ""
		}
		return target + "/" + sub
	}
	var subs []string
	for _, r := range apis.Resources(g) {
		if b, s, ok := strings.Cut(r.Resource, "/"); ok && b == target {
			subs = append(subs, s)
		}
	}
	if s := closest(sub, subs); s != "" {
		return target + "/" + s
	}
	return ""
}

func closestVerb(v string, apis *APIs) string {
	var verbs []string
	for k := range apis.verbs {
		verbs = append(verbs, k)
	}
	slices.Sort(verbs)
	return closest(v, verbs)
}

// resourcesWithVerb lists the built-in resources that have a special verb.
func resourcesWithVerb(v string, apis *APIs) string {
	var out []string
	for _, g := range apis.Groups() {
		if !apis.BuiltinGroup(g) {
			continue
		}
		for _, r := range apis.Resources(g) {
			if slices.Contains(r.Verbs, v) && !r.Removed() {
				out = append(out, r.GroupResource())
			}
		}
	}
	return strings.Join(out, ", ")
}

func describeResources(rs []*APIResource) string {
	var names []string
	for _, r := range rs {
		n := r.GroupResource()
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func describeGroups(groups []string) string {
	q := make([]string, len(groups))
	for i, g := range groups {
		q[i] = fmt.Sprintf("%q", g)
	}
	if len(q) == 1 {
		return "API group " + q[0]
	}
	return "API groups " + strings.Join(q, ", ")
}

// closest returns the candidate within a small edit distance of s (the same
// word in another case, or one or two edits away for words of five letters
// or more), or "" when none or several are equally close.
func closest(s string, candidates []string) string {
	for _, c := range candidates {
		if c != s && strings.EqualFold(c, s) {
			return c
		}
	}
	maxDist := 1
	if len(s) >= 8 {
		maxDist = 2
	}
	if len(s) < 4 {
		return ""
	}
	best, bestDist, ties := "", maxDist+1, 0
	for _, c := range candidates {
		if c == s {
			return ""
		}
		d := editDistance(strings.ToLower(s), c)
		switch {
		case d < bestDist:
			best, bestDist, ties = c, d, 0
		case d == bestDist:
			ties++
		}
	}
	if bestDist > maxDist || ties > 0 {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// letters ("exce" is one edit from "exec").
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
