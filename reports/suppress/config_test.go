package suppress

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// now is the injected clock of these tests.
var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func grantFinding(rule, subject, binding, scope string) reports.Finding {
	parse := func(s string) *scanner.Ref {
		kind, rest, _ := strings.Cut(s, ":")
		ns, name, ok := strings.Cut(rest, "/")
		if !ok {
			ns, name = "", rest
		}
		return &scanner.Ref{Kind: kind, Name: name, Namespace: ns}
	}
	return reports.Finding{RuleID: rule, Severity: reports.High, Kind: reports.KindGrant, Subject: parse(subject), Binding: parse(binding),
		Role: &scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"}, Scope: scope}
}

func detection(rule, user string) reports.Finding {
	return reports.Finding{RuleID: rule, Severity: reports.High, Kind: reports.KindDetection, Actor: &reports.Actor{User: user}}
}

// parseOne parses a config of one exception given as YAML lines.
func parseOne(t *testing.T, lines ...string) []Exception {
	t.Helper()
	data := "exceptions:\n  - " + strings.Join(lines, "\n    ") + "\n"
	ex, err := ParseExceptions("kubegrant.yaml", []byte(data))
	if err != nil {
		t.Fatalf("parsing %q: %v", data, err)
	}
	return ex
}

func TestApplyExceptions(t *testing.T) {
	sa := grantFinding("KG011", "ServiceAccount:cert-manager/cert-manager", "ClusterRoleBinding:cert-manager-tokens", "")
	nsGrant := grantFinding("KG008", "ServiceAccount:payments/app", "RoleBinding:payments/app-secrets", "payments")
	group := grantFinding("KG052", "Group:system:authenticated", "ClusterRoleBinding:public", "")
	flux := detection("KG101", "system:serviceaccount:flux-system:kustomize-controller")
	for _, tc := range []struct {
		name    string
		yaml    []string
		finding reports.Finding
		want    bool
	}{
		{"rule and exact subject", []string{"rules: [KG011]", "subject: ServiceAccount:cert-manager/cert-manager", "justification: j"}, sa, true},
		{"other rule", []string{"rules: [KG008]", "subject: ServiceAccount:cert-manager/cert-manager", "justification: j"}, sa, false},
		{"all rules", []string{`rules: ["*"]`, "justification: j"}, sa, true},
		{"rule glob", []string{`rules: ["KG01*"]`, "justification: j"}, sa, true},
		{"rules as one string", []string{"rules: KG011", "justification: j"}, sa, true},
		{"subject glob on name", []string{"rules: [KG011]", "subject: ServiceAccount:cert-manager/*", "justification: j"}, sa, true},
		{"subject glob on namespace", []string{"rules: [KG011]", "subject: ServiceAccount:*/cert-manager", "justification: j"}, sa, true},
		{"subject any ServiceAccount", []string{"rules: [KG011]", `subject: "ServiceAccount:*"`, "justification: j"}, sa, true},
		{"subject any", []string{"rules: [KG011]", `subject: "*"`, "justification: j"}, sa, true},
		{"subject other namespace", []string{"rules: [KG011]", "subject: ServiceAccount:kube-system/cert-manager", "justification: j"}, sa, false},
		{"subject kind differs", []string{"rules: [KG011]", "subject: User:cert-manager/cert-manager", "justification: j"}, sa, false},
		{"subject kind glob", []string{"rules: [KG011]", `subject: "*:cert-manager/cert-manager"`, "justification: j"}, sa, true},
		{"group name with colons", []string{"rules: [KG052]", "subject: Group:system:authenticated", "justification: j"}, group, true},
		{"group glob", []string{"rules: [KG052]", `subject: "Group:system:*"`, "justification: j"}, group, true},
		{"binding cluster", []string{"rules: [KG011]", "binding: ClusterRoleBinding:cert-manager-*", "justification: j"}, sa, true},
		{"binding kind differs", []string{"rules: [KG011]", "binding: RoleBinding:*/cert-manager-tokens", "justification: j"}, sa, false},
		{"binding namespaced", []string{"rules: [KG008]", "binding: RoleBinding:payments/app-*", "justification: j"}, nsGrant, true},
		{"binding any", []string{"rules: [KG008]", `binding: "*"`, "justification: j"}, nsGrant, true},
		{"namespace matches scope", []string{"rules: [KG008]", "namespace: payments", "justification: j"}, nsGrant, true},
		{"namespace glob", []string{"rules: [KG008]", "namespace: pay*", "justification: j"}, nsGrant, true},
		{"namespace other", []string{"rules: [KG008]", "namespace: billing", "justification: j"}, nsGrant, false},
		{"cluster-wide only: namespaced finding", []string{"rules: [KG008]", `namespace: ""`, "justification: j"}, nsGrant, false},
		{"cluster-wide only: cluster finding", []string{"rules: [KG011]", `namespace: ""`, "justification: j"}, sa, true},
		{"namespace star is not cluster-wide", []string{"rules: [KG011]", `namespace: "*"`, "justification: j"}, sa, false},
		{"actor glob", []string{"rules: [KG101]", `actor: "system:serviceaccount:flux-system:*"`, "justification: j"}, flux, true},
		{"actor other", []string{"rules: [KG101]", `actor: "system:serviceaccount:argocd:*"`, "justification: j"}, flux, false},
		{"actor on a grant finding", []string{"rules: [KG011]", `actor: "*"`, "justification: j"}, sa, false},
		{"subject on a detection without one", []string{"rules: [KG101]", `subject: "*"`, "justification: j"}, flux, false},
		{"valid through the whole day", []string{"rules: [KG011]", "justification: j", "expires: 2026-06-15"}, sa, true},
		{"expired yesterday", []string{"rules: [KG011]", "justification: j", "expires: 2026-06-14"}, sa, false},
		{"expires at an instant", []string{"rules: [KG011]", "justification: j", "expires: 2026-06-15T12:00:01Z"}, sa, true},
		{"expired at an instant", []string{"rules: [KG011]", "justification: j", "expires: 2026-06-15T12:00:00Z"}, sa, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := parseOne(t, tc.yaml...)
			f := []reports.Finding{tc.finding}
			diags := ApplyExceptions(f, ex, now)
			if got := f[0].Suppression != nil; got != tc.want {
				t.Fatalf("suppressed = %v, want %v (%+v)", got, tc.want, f[0].Suppression)
			}
			if tc.want {
				want := &reports.Suppression{Kind: reports.SuppressConfig, Justification: "j", Expires: ex[0].Expires}
				if diff := cmp.Diff(want, f[0].Suppression); diff != "" {
					t.Errorf("suppression (-want +got):\n%s", diff)
				}
			}
			expired := strings.HasPrefix(tc.name, "expired")
			// A live exception that suppresses nothing says so (a
			// detection's, only when there are detections).
			unmatched := !expired && !tc.want && (ex[0].Actor == "" || tc.finding.Kind == reports.KindDetection)
			if (len(diags) > 0) != (expired || unmatched) {
				t.Errorf("diagnostics = %v, want a warning only when expired or unmatched", diags)
			}
			if unmatched && (len(diags) != 1 || diags[0].Location != (scanner.Source{File: "kubegrant.yaml", Line: 2}) ||
				!strings.HasSuffix(diags[0].Message, "matches no finding: it suppresses nothing (check its subject, binding and namespace)")) {
				t.Errorf("unmatched warning = %+v", diags)
			}
			if expired && (diags[0].Severity != scanner.DiagWarning || diags[0].Location != (scanner.Source{File: "kubegrant.yaml", Line: 2}) ||
				strings.Contains(diags[0].Message, "kubegrant.yaml")) {
				t.Errorf("expiry warning = %+v, want a warning at kubegrant.yaml:2", diags[0])
			}
		})
	}
}

// TestApplyExceptionsFirstWins: the first matching exception gives the
// justification; an expired one is skipped, with one warning however many
// findings it would have matched.
func TestApplyExceptionsFirstWins(t *testing.T) {
	ex, err := ParseExceptions("c.yaml", []byte(`exceptions:
  - rules: ["*"]
    justification: old
    expires: 2020-01-01
  - rules: [KG011]
    justification: first
  - rules: ["*"]
    justification: second
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := []reports.Finding{
		grantFinding("KG011", "User:a", "ClusterRoleBinding:b", ""),
		grantFinding("KG008", "User:a", "ClusterRoleBinding:b", ""),
		grantFinding("KG009", "User:a", "ClusterRoleBinding:b", ""),
	}
	diags := ApplyExceptions(fs, ex, now)
	var got []string
	for _, f := range fs {
		got = append(got, f.Suppression.Justification)
	}
	if diff := cmp.Diff([]string{"first", "second", "second"}, got); diff != "" {
		t.Errorf("justifications (-want +got):\n%s", diff)
	}
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "expired on 2020-01-01") {
		t.Errorf("diagnostics = %v, want one expiry warning", diags)
	}
}

// TestParseExceptionsErrors: every mistake is reported with its file and
// line, all of them at once, as a *ConfigError.
func TestParseExceptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "exceptions: []\nrules: [KG011]\n", []string{`c.yaml:2: unknown key "rules"`}},
		{"unknown key", "exceptions:\n  - rules: [KG011]\n    justification: j\n    expire: 2027-01-01\n",
			[]string{`c.yaml:4: exceptions[0]: unknown key "expire"`}},
		{"missing justification", "exceptions:\n  - rules: [KG011]\n    subject: User:alice\n",
			[]string{"c.yaml:2: exceptions[0]: justification is required"}},
		{"blank justification", "exceptions:\n  - rules: [KG011]\n    justification: '  '\n",
			[]string{"c.yaml:2: exceptions[0]: justification is required"}},
		{"missing rules", "exceptions:\n  - justification: j\n", []string{"c.yaml:2: exceptions[0]: rules is required"}},
		{"empty rules", "exceptions:\n  - rules: []\n    justification: j\n", []string{"c.yaml:2: exceptions[0].rules: list at least one"}},
		{"bad date", "exceptions:\n  - rules: [KG011]\n    justification: j\n    expires: 31/12/2027\n",
			[]string{`c.yaml:4: exceptions[0].expires: "31/12/2027" is not a date`}},
		{"impossible date", "exceptions:\n  - rules: [KG011]\n    justification: j\n    expires: 2027-02-30\n",
			[]string{`c.yaml:4: exceptions[0].expires: "2027-02-30" is not a date`}},
		{"subject without kind", "exceptions:\n  - rules: [KG011]\n    justification: j\n    subject: alice\n",
			[]string{`c.yaml:4: exceptions[0].subject: "alice": want Kind:namespace/name`}},
		{"subject unknown kind", "exceptions:\n  - rules: [KG011]\n    justification: j\n    subject: Robot:alice\n",
			[]string{`c.yaml:4: exceptions[0].subject: "Robot:alice": unknown kind "Robot"`}},
		{"ServiceAccount without namespace", "exceptions:\n  - rules: [KG011]\n    justification: j\n    subject: ServiceAccount:default\n",
			[]string{`c.yaml:4: exceptions[0].subject: "ServiceAccount:default": a ServiceAccount is namespaced`}},
		{"binding kind", "exceptions:\n  - rules: [KG011]\n    justification: j\n    binding: ClusterRole:admin\n",
			[]string{`c.yaml:4: exceptions[0].binding: "ClusterRole:admin": unknown kind`}},
		{"subject as a list", "exceptions:\n  - rules: [KG011]\n    justification: j\n    subject: [User:a]\n",
			[]string{"c.yaml:4: exceptions[0].subject: want a string"}},
		{"duplicate key", "exceptions:\n  - rules: [KG011]\n    justification: j\n    justification: k\n",
			[]string{`c.yaml:4: exceptions[0]: duplicate key "justification"`}},
		{"exceptions not a list", "exceptions:\n  rules: [KG011]\n", []string{"c.yaml:2: exceptions: want a list"}},
		{"item not a mapping", "exceptions:\n  - KG011\n", []string{"c.yaml:2: exceptions[0]: want a mapping"}},
		{"not yaml", "exceptions: [\n", []string{"c.yaml: yaml: line"}},
		{"several at once", "exceptions:\n  - rules: [KG011]\n  - rules: [KG011]\n    justification: j\n    expires: soon\n",
			[]string{"c.yaml:2: exceptions[0]: justification is required", `c.yaml:5: exceptions[1].expires: "soon"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := ParseExceptions("c.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error; exceptions %+v", ex)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *ConfigError", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("errors:\n%v\nwant %d", err, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestLoadExceptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".kubegrant.yaml")
	data := `# team exceptions
exceptions:
  - rules: [KG011]                # ids, "*" allowed
    subject: "ServiceAccount:cert-manager/cert-manager"
    binding: "*"
    namespace: ""
    justification: "cert-manager mints its own token"
    expires: 2027-01-01
  - rules: [KG101]
    actor: "system:serviceaccount:flux-system:*"
    justification: flux applies manifests
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadExceptions(path)
	if err != nil {
		t.Fatal(err)
	}
	empty := ""
	want := []Exception{
		{Rules: []string{"KG011"}, Subject: "ServiceAccount:cert-manager/cert-manager", Binding: "*", Namespace: &empty,
			Justification: "cert-manager mints its own token", Expires: "2027-01-01", Source: scanner.Source{File: path, Line: 3}},
		{Rules: []string{"KG101"}, Actor: "system:serviceaccount:flux-system:*", Justification: "flux applies manifests",
			Source: scanner.Source{File: path, Line: 9}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}

	for _, empty := range []string{"", "# nothing yet\n", "exceptions:\n"} {
		if ex, err := ParseExceptions("c.yaml", []byte(empty)); err != nil || len(ex) != 0 {
			t.Errorf("ParseExceptions(%q) = %v, %v; want none", empty, ex, err)
		}
	}
	if _, err := LoadExceptions(filepath.Join(dir, "missing.yaml")); err == nil || errors.As(err, new(*ConfigError)) {
		t.Errorf("a missing file: %v, want a plain read error", err)
	}
}

func TestCheckExceptionRules(t *testing.T) {
	ex, err := ParseExceptions("c.yaml", []byte("exceptions:\n  - rules: [KG011, \"KG1*\"]\n    justification: j\n  - rules: [KG999, \"*\", \"XX*\"]\n    justification: j\n"))
	if err != nil {
		t.Fatal(err)
	}
	catalogue := []reports.Rule{{ID: "KG011"}, {ID: "KG101"}}
	err = CheckExceptionRules(ex, catalogue)
	want := "c.yaml:4: rules: \"KG999\" is not a rule of the catalogue (see kubegrant rules)\n" +
		"c.yaml:4: rules: \"XX*\" is not a rule of the catalogue (see kubegrant rules)"
	if err == nil || err.Error() != want {
		t.Errorf("CheckExceptionRules = %v, want\n%s", err, want)
	}
	if err := CheckExceptionRules(ex[:1], catalogue); err != nil {
		t.Errorf("known rules: %v", err)
	}
}

// TestApplyExceptionsHandBuilt: an Exception built in Go, not parsed,
// matches the same way; a bad pattern in it is a warning, not a panic.
func TestApplyExceptionsHandBuilt(t *testing.T) {
	fs := []reports.Finding{grantFinding("KG011", "ServiceAccount:build/ci", "ClusterRoleBinding:ci", "")}
	diags := ApplyExceptions(fs, []Exception{
		{Rules: []string{"KG011"}, Subject: "ServiceAccount:ci", Justification: "bad"},
		{Rules: []string{"KG011"}, Subject: "ServiceAccount:other/ci", Justification: "other"},
		{Rules: []string{"KG011"}, Subject: "ServiceAccount:build/*", Justification: "good"},
	}, now)
	if fs[0].Suppression == nil || fs[0].Suppression.Justification != "good" {
		t.Errorf("suppression = %+v, want the third exception's", fs[0].Suppression)
	}
	if len(diags) != 2 || !strings.Contains(diags[0].Message, "is namespaced") || !strings.Contains(diags[1].Message, "matches no finding") {
		t.Errorf("diagnostics = %v, want one warning for the bad pattern and one for other/ci, which matches nothing", diags)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "a/b:c", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*b*", "aaabaaa", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxcyyb", false},
		{"system:serviceaccount:flux-system:*", "system:serviceaccount:flux-system:helm", true},
		{"system:serviceaccount:flux-system:*", "system:serviceaccount:flux:helm", false},
		{"**", "x", true},
		{"?", "x", false}, // only * is special
	} {
		if got := glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestApplyInline(t *testing.T) {
	src := func(line int) scanner.Source { return scanner.Source{File: "rbac.yaml", Line: line} }
	ref := func(kind, ns, name string) scanner.Ref { return scanner.Ref{Kind: kind, Name: name, Namespace: ns} }
	ignore := func(ids, reason, until string) map[string]string {
		a := map[string]string{AnnotationIgnore: ids}
		if reason != "" {
			a[AnnotationIgnoreReason] = reason
		}
		if until != "" {
			a[AnnotationIgnoreUntil] = until
		}
		return a
	}
	g := &scanner.Graph{
		Roles: []*scanner.Role{
			{Ref: ref(scanner.KindClusterRole, "", "all"), Annotations: ignore("*", "role reason", ""), Source: src(1)},
			{Ref: ref(scanner.KindClusterRole, "", "aggregated-part"), Annotations: ignore("KG020", "part reason", ""), Source: src(2)},
			{Ref: ref(scanner.KindClusterRole, "", "no-reason"), Annotations: ignore("KG011", "", ""), Source: src(3)},
			{Ref: ref(scanner.KindClusterRole, "", "expired"), Annotations: ignore("KG011", "old", "2026-06-14"), Source: src(4)},
			{Ref: ref(scanner.KindClusterRole, "", "bad-date"), Annotations: ignore("KG011", "r", "someday"), Source: src(5)},
			{Ref: ref(scanner.KindClusterRole, "", "plain"), Source: src(6)},
			{Ref: ref(scanner.KindClusterRole, "", "unknown-id"), Annotations: ignore("KG011, KG998", "typo", ""), Source: src(7)},
			{Ref: ref(scanner.KindClusterRole, "", "empty"), Annotations: ignore(" , ", "r", ""), Source: src(8)},
		},
		Bindings: []*scanner.Binding{
			{Ref: ref(scanner.KindRoleBinding, "payments", "b"), Annotations: ignore("KG008,KG009", "binding reason", "2026-06-15"), Source: src(10)},
		},
	}
	finding := func(rule, binding, role string, aggregatedFrom string) reports.Finding {
		b := ref(scanner.KindClusterRoleBinding, "", binding)
		if binding == "b" {
			b = ref(scanner.KindRoleBinding, "payments", "b")
		}
		r := ref(scanner.KindClusterRole, "", role)
		f := reports.Finding{RuleID: rule, Binding: &b, Role: &r, Grants: []*scanner.Grant{{Binding: b, Role: r}}}
		if aggregatedFrom != "" {
			a := ref(scanner.KindClusterRole, "", aggregatedFrom)
			f.Grants[0].AggregatedFrom = &a
		}
		return f
	}
	fs := []reports.Finding{
		finding("KG011", "x", "all", ""),                  // role "*"
		finding("KG008", "b", "plain", ""),                // binding lists KG008, valid through today
		finding("KG011", "b", "plain", ""),                // binding does not list KG011
		finding("KG020", "x", "admin", "aggregated-part"), // from the aggregated ClusterRole
		finding("KG021", "x", "admin", "aggregated-part"), // another rule
		finding("KG011", "x", "no-reason", ""),
		finding("KG011", "x", "expired", ""),
		finding("KG011", "x", "bad-date", ""),
		finding("KG011", "x", "unknown-id", ""),
		// A role-only finding, and a detection without RBAC attribution.
		{RuleID: "KG011", Role: &scanner.Ref{Kind: scanner.KindClusterRole, Name: "all"}},
		{RuleID: "KG101", Kind: reports.KindDetection},
	}
	fs[0].Suppression = &reports.Suppression{Kind: reports.SuppressPlatformDefault} // inline wins
	diags := ApplyInline(fs, g, []reports.Rule{{ID: "KG008"}, {ID: "KG009"}, {ID: "KG011"}, {ID: "KG020"}}, now)
	var got []string
	for _, f := range fs {
		s := "-"
		if f.Suppression != nil {
			s = f.Suppression.Kind + ": " + f.Suppression.Justification
			if f.Suppression.Expires != "" {
				s += " until " + f.Suppression.Expires
			}
		}
		got = append(got, s)
	}
	want := []string{
		"inline: role reason",
		"inline: binding reason until 2026-06-15",
		"-",
		"inline: part reason",
		"-",
		"-",
		"-",
		"-",
		"inline: typo",
		"inline: role reason",
		"-",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, d := range diags {
		if d.Severity != scanner.DiagWarning {
			t.Errorf("diagnostic %+v is not a warning", d)
		}
		msgs = append(msgs, d.Location.String()+": "+d.Message)
	}
	wantMsgs := []string{
		`rbac.yaml:3: ClusterRole "no-reason": kubegrant.io/ignore without kubegrant.io/ignore-reason suppresses nothing: say why these findings are accepted`,
		`rbac.yaml:4: ClusterRole "expired": kubegrant.io/ignore expired on 2026-06-14: the annotation no longer suppresses anything (old)`,
		`rbac.yaml:5: ClusterRole "bad-date": kubegrant.io/ignore-until: "someday" is not a date (YYYY-MM-DD) or an RFC 3339 time; the annotation suppresses nothing`,
		`rbac.yaml:7: ClusterRole "unknown-id": kubegrant.io/ignore names "KG998", which is not a rule of the catalogue`,
		`rbac.yaml:8: ClusterRole "empty": kubegrant.io/ignore lists no rule IDs; it suppresses nothing`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	// Inline beats config; config does not replace inline.
	ex := parseOne(t, `rules: ["*"]`, "justification: config")
	ApplyExceptions(fs, ex, now)
	if fs[0].Suppression.Kind != reports.SuppressInline || fs[2].Suppression == nil || fs[2].Suppression.Kind != reports.SuppressConfig {
		t.Errorf("after config: %+v, %+v; want inline kept, config added", fs[0].Suppression, fs[2].Suppression)
	}
	if ApplyInline(fs, nil, nil, now) != nil {
		t.Error("no graph: want no diagnostics")
	}
}
