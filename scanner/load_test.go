package scanner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// summary renders an inventory as one line per object, rule, subject and
// diagnostic, so table tests can state exact lines compactly.
func summary(inv *Inventory) []string {
	var out []string
	for _, r := range inv.Roles {
		s := fmt.Sprintf("%s @%s", r.Ref, r.Source)
		if r.AggregationRule != nil {
			s += fmt.Sprintf(" aggregation=%d", len(r.AggregationRule.ClusterRoleSelectors))
		}
		out = append(out, s)
		for _, rule := range r.Rules {
			out = append(out, fmt.Sprintf("  rules[%d] @%d %s", rule.Index, rule.Source.Line, ruleString(rule.PolicyRule)))
		}
	}
	for _, b := range inv.Bindings {
		out = append(out, fmt.Sprintf("%s @%s -> %s/%s", b.Ref, b.Source, b.RoleRef.Kind, b.RoleRef.Name))
		for _, s := range b.Subjects {
			out = append(out, fmt.Sprintf("  %s @%d", s.Ref, s.Source.Line))
		}
	}
	for _, o := range inv.Objects {
		s := fmt.Sprintf("%s @%s", o.Ref, o.Source)
		if o.ServiceAccountName != "" {
			s += " sa=" + o.ServiceAccountName
		}
		if o.Type != "" {
			s += " type=" + o.Type
		}
		out = append(out, s)
	}
	for _, d := range inv.Diagnostics {
		out = append(out, d.Severity+" "+d.Location.String()+": "+d.Message)
	}
	if inv.Skipped > 0 {
		out = append(out, fmt.Sprintf("skipped %d", inv.Skipped))
	}
	return out
}

func ruleString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, l []string) {
		if l != nil {
			parts = append(parts, name+"="+strings.Join(l, ","))
		}
	}
	add("groups", r.APIGroups)
	add("resources", r.Resources)
	add("verbs", r.Verbs)
	add("names", r.ResourceNames)
	add("urls", r.NonResourceURLs)
	return strings.Join(parts, " ")
}

func TestParseManifests(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "multi-document YAML with comments and empty documents",
			in: `# leading comment
---
---
# only a comment
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: ns1
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list"]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [one]
  verbs: [get]
--- # a comment after the marker
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: ns1}
subjects:
  - kind: ServiceAccount
    name: app
  - kind: ServiceAccount
    name: other
    namespace: ns2
  - kind: User
    name: alice
    namespace: ignored
  - kind: Group
    name: system:serviceaccounts:ns1
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
...
`,
			want: []string{
				"Role/ns1/reader @f.yaml:6",
				`  rules[0] @12 groups= resources=pods,pods/log verbs=get,list`,
				`  rules[1] @15 groups= resources=secrets verbs=get names=one`,
				"RoleBinding/ns1/reader @f.yaml:20 -> Role/reader",
				"  ServiceAccount/ns1/app @24",
				"  ServiceAccount/ns2/other @26",
				"  User/alice @29",
				"  Group/system:serviceaccounts:ns1 @32",
			},
		},
		{
			name: "JSON object",
			in: `{
  "apiVersion": "rbac.authorization.k8s.io/v1",
  "kind": "ClusterRole",
  "metadata": {"name": "nonres", "labels": {"a": "b"}},
  "rules": [
    {"nonResourceURLs": ["/healthz", "/api/*"], "verbs": ["get"]}
  ]
}`,
			want: []string{
				"ClusterRole/nonres @f.yaml:1",
				"  rules[0] @6 verbs=get urls=/healthz,/api/*",
			},
		},
		{
			name: "kind List, nested List, typed list without item kinds",
			in: `apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: admin
  aggregationRule:
    clusterRoleSelectors:
    - matchLabels:
        rbac.authorization.k8s.io/aggregate-to-admin: "true"
    - matchExpressions:
      - {key: team, operator: In, values: [a, b]}
  rules: null
- apiVersion: v1
  kind: List
  items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: nested
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
    subjects:
    - {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items:
- metadata: {name: r1, namespace: a}
  rules:
  - {apiGroups: [apps], resources: [deployments], verbs: ["*"]}
- metadata: {name: r2, namespace: b}
`,
			want: []string{
				"ClusterRole/admin @f.yaml:4 aggregation=2",
				"Role/a/r1 @f.yaml:29",
				"  rules[0] @31 groups=apps resources=deployments verbs=*",
				"Role/b/r2 @f.yaml:32",
				"ClusterRoleBinding/nested @f.yaml:18 -> ClusterRole/admin",
				"  Group/devs @24",
			},
		},
		{
			name: "objects kept without data",
			in: `apiVersion: v1
kind: Secret
metadata:
  name: token
  namespace: ns1
  annotations:
    kubernetes.io/service-account.name: app
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"token":"c2VjcmV0"}}'
type: kubernetes.io/service-account-token
data:
  token: c2VjcmV0
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns1}
spec:
  template:
    spec:
      serviceAccountName: web-sa
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ns1}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccount: legacy
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: []
---
apiVersion: v1
kind: Namespace
metadata: {name: ns1, namespace: ignored}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: x.example.com}
---
apiVersion: iam.example.com/v1
kind: Role
metadata: {name: not-rbac}
---
just a string
---
- a
- list
---
values: {no: kind}
`,
			want: []string{
				"Secret/ns1/token @f.yaml:1 type=kubernetes.io/service-account-token",
				"Deployment/ns1/web @f.yaml:15 sa=web-sa",
				"CronJob/ns1/nightly @f.yaml:23 sa=legacy",
				"Pod/default/p @f.yaml:33 sa=default",
				"Namespace/ns1 @f.yaml:39",
				"skipped 6",
			},
		},
		{
			name: "bad documents lose only themselves",
			in: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ok1, namespace: ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: bad-verbs
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: get
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .Release.Name }}
roleRef: {kind: ClusterRole, name: x}
---
this: is: not: yaml
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  labels: {a: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: no-ref, namespace: ns}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bad-labels, labels: [a]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ok2, namespace: ns}
`,
			want: []string{
				"Role/ns/ok1 @f.yaml:1",
				"Role/ns/ok2 @f.yaml:36",
				`error f.yaml:12: ClusterRole "bad-verbs": rules[0].verbs: expected a list, found a string; object skipped`,
				`error f.yaml:17: ClusterRoleBinding: metadata.name: expected a string, found a mapping (an unrendered {{ }} template?); object skipped`,
				`error f.yaml:20: parsing YAML: mapping values are not allowed in this context`,
				`error f.yaml:22: ClusterRole: metadata.name: ClusterRole has no name; object skipped`,
				`error f.yaml:27: RoleBinding "no-ref": roleRef: missing; object skipped`,
				`error f.yaml:34: ClusterRole "bad-labels": metadata.labels: expected a mapping, found a list; object skipped`,
			},
		},
		{
			name: "namespace defaults and subject warnings",
			in: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {kind: Role, name: r}
subjects:
- {kind: ServiceAccount, name: sa}
---
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: nowhere}
- {kind: Robot, name: r2d2}
- {kind: User}
`,
			want: []string{
				"Role/default/r @f.yaml:1",
				"RoleBinding/default/rb @f.yaml:5 -> Role/r",
				"  ServiceAccount/default/sa @10",
				`warning f.yaml:1: Role "r" has no namespace; kubectl would apply it to the current namespace; assumed "default"`,
				`warning f.yaml:5: RoleBinding "rb" has no namespace; kubectl would apply it to the current namespace; assumed "default"`,
				`warning f.yaml:12: ClusterRoleBinding has no apiVersion; assumed rbac.authorization.k8s.io/v1`,
				`warning f.yaml:16: ClusterRoleBinding "crb": subjects[0]: ServiceAccount "nowhere" has no namespace; in a ClusterRoleBinding it applies to nobody`,
				`warning f.yaml:17: ClusterRoleBinding "crb": subjects[1]: unknown subject kind "Robot"; it applies to nobody`,
				`error f.yaml:18: ClusterRoleBinding "crb": subjects[2].name: missing; object skipped`,
			},
		},
		{
			name: "anchors, merge keys and tabs in JSON",
			in: "{\n\t\"kind\": \"ClusterRole\",\n\t\"apiVersion\": \"rbac.authorization.k8s.io/v1\",\n\t\"metadata\": {\"name\": \"tabbed\"}\n}\n---\n" +
				`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: anchored}
rules:
- &read
  apiGroups: [""]
  resources: &res [pods]
  verbs: [get]
- <<: *read
  resources: *res
  verbs: [list]
`,
			want: []string{
				"ClusterRole/tabbed @f.yaml:1",
				"ClusterRole/anchored @f.yaml:7",
				"  rules[0] @11 groups= resources=pods verbs=get",
				"  rules[1] @15 groups= resources=pods verbs=list",
			},
		},
		{
			name: "not UTF-8",
			in:   "kind: Role\nmetadata:\n  name: \xff\xfe\n",
			want: []string{"error f.yaml:3: not UTF-8 text; file skipped"},
		},
		{
			name: "NUL bytes",
			in:   "kind: Role\x00\n",
			want: []string{"error f.yaml:1: not UTF-8 text; file skipped"},
		},
		{
			name: "byte order mark and CRLF",
			in:   "\xef\xbb\xbfapiVersion: rbac.authorization.k8s.io/v1\r\nkind: ClusterRole\r\nmetadata:\r\n  name: crlf\r\n---\r\nkind: Namespace\r\napiVersion: v1\r\nmetadata: {name: n}\r\n",
			want: []string{"ClusterRole/crlf @f.yaml:1", "Namespace/n @f.yaml:6"},
		},
		{
			name: "a block scalar cannot hide a document marker",
			in: `apiVersion: v1
kind: Namespace
metadata:
  name: a
  annotations:
    note: |
      text
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
`,
			want: []string{"Namespace/a @f.yaml:1", "Namespace/b @f.yaml:9"},
		},
		{
			name: "aliased list items are refused",
			in: `kind: List
apiVersion: v1
x: &ns {apiVersion: v1, kind: Namespace, metadata: {name: a}}
items:
- *ns
- *ns
`,
			want: []string{
				"error f.yaml:5: List item: aliases are not supported here; item skipped",
				"error f.yaml:6: List item: aliases are not supported here; item skipped",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(ParseManifests("f.yaml", []byte(tc.in)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseManifests summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseManifestsFields checks whole structs once, beyond the summary.
func TestParseManifestsFields(t *testing.T) {
	in := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agg
  labels: {team: a}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {x: "true"}
    matchExpressions:
    - {key: tier, operator: NotIn, values: [db]}
    - {key: owner, operator: Exists}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
  nonResourceURLs: ["*"]
`
	inv := ParseManifests("dir/f.yaml", []byte(in))
	want := &Inventory{Roles: []*Role{{
		Ref:    Ref{Kind: KindClusterRole, Name: "agg"},
		Labels: map[string]string{"team": "a"},
		Rules: []Rule{{
			PolicyRule: rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
			Index:      0,
			Source:     Source{File: "dir/f.yaml", Line: 13},
		}},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
			MatchLabels: map[string]string{"x": "true"},
			MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: "NotIn", Values: []string{"db"}},
				{Key: "owner", Operator: "Exists"},
			},
		}}},
		Source: Source{File: "dir/f.yaml", Line: 1},
	}}}
	if diff := cmp.Diff(want, inv); diff != "" {
		t.Errorf("ParseManifests mismatch (-want +got):\n%s", diff)
	}
}

// writeTree creates files under a temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ns(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"
}

func TestLoadManifests(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"b/z.yaml":          ns("bz"),
		"b/a.yml":           ns("ba"),
		"a.json":            `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}`,
		"c/deep/d.YAML":     ns("deep"),
		".git/x.yaml":       ns("hidden-dir"),
		"c/.hidden/x.yaml":  ns("hidden-subdir"),
		"notes.txt":         ns("txt"),
		"README.md":         "# not yaml",
		"explicit/file.txt": ns("explicit"),
	})
	stdin := strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: from-stdin}\n")

	inv, err := LoadManifests([]string{dir, "-", filepath.Join(dir, "explicit", "file.txt"), filepath.Join(dir, "a.json")},
		LoadOptions{Stdin: stdin, Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Namespace/a @a.json:1",
		"Namespace/ba @b/a.yml:1",
		"Namespace/bz @b/z.yaml:1",
		"Namespace/deep @c/deep/d.YAML:1",
		"Namespace/from-stdin @<stdin>:1",
		"Namespace/explicit @explicit/file.txt:1",
	}
	if diff := cmp.Diff(want, summary(inv)); diff != "" {
		t.Errorf("LoadManifests mismatch (-want +got):\n%s", diff)
	}

	// Outside the root, paths are kept as given, cleaned and slash-separated.
	inv, err = LoadManifests([]string{filepath.Join(dir, "b", ".", "a.yml")}, LoadOptions{Root: filepath.Join(dir, "c")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inv.Objects[0].Source.File, filepath.ToSlash(filepath.Join(dir, "b", "a.yml")); got != want {
		t.Errorf("Source.File outside root = %q, want %q", got, want)
	}

	// A path that does not exist is an error, not a diagnostic.
	_, err = LoadManifests([]string{dir, filepath.Join(dir, "missing.yaml")}, LoadOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "stat ") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("LoadManifests(missing) error = %v, want stat …missing.yaml…", err)
	}
}

func TestLoadManifestsUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	dir := writeTree(t, map[string]string{"a.yaml": ns("a"), "b.yaml": ns("b")})
	if err := os.Chmod(filepath.Join(dir, "a.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	inv, err := LoadManifests([]string{dir}, LoadOptions{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Namespace/b @b.yaml:1", "error a.yaml: reading: permission denied"}
	if diff := cmp.Diff(want, summary(inv)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = ".."

// corporaDir is ../shared/corpora next to the repository root; tests that
// need it skip when it is absent.
func corporaDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot, "..", "shared", "corpora")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpora not available: %v", err)
	}
	return dir
}

// TestLoadCorpora loads every real-world manifest: no panic, objects in
// every project, and the one unrendered Helm template reported exactly once.
func TestLoadCorpora(t *testing.T) {
	rbacDir := filepath.Join(corporaDir(t), "rbac")
	inv, err := LoadManifests([]string{rbacDir}, LoadOptions{Root: rbacDir})
	if err != nil {
		t.Fatal(err)
	}
	perProject := map[string]int{}
	project := func(file string) string {
		parts := strings.Split(file, "/")
		if parts[0] == "labeled" && len(parts) > 1 {
			return parts[0] + "/" + parts[1]
		}
		return parts[0]
	}
	for _, r := range inv.Roles {
		perProject[project(r.Source.File)]++
	}
	for _, b := range inv.Bindings {
		perProject[project(b.Source.File)]++
	}
	entries, err := os.ReadDir(rbacDir)
	if err != nil {
		t.Fatal(err)
	}
	var projects []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if e.Name() != "labeled" {
			projects = append(projects, e.Name())
			continue
		}
		sub, err := os.ReadDir(filepath.Join(rbacDir, "labeled"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sub {
			if s.IsDir() {
				projects = append(projects, "labeled/"+s.Name())
			}
		}
	}
	if len(projects) < 10 {
		t.Errorf("found %d corpus projects, want at least 10", len(projects))
	}
	for _, p := range projects {
		if perProject[p] == 0 {
			t.Errorf("project %s: no RBAC objects loaded", p)
		}
	}

	var errs []Diagnostic
	for _, d := range inv.Diagnostics {
		if d.Severity == DiagError {
			errs = append(errs, d)
		}
	}
	const tmpl = "labeled/kubernetes-goat/infrastructure/helm-tiller/pwnchart/templates/clusterrolebinding.yaml"
	if len(errs) != 1 || errs[0].Location.File != tmpl || errs[0].Location.Line == 0 ||
		strings.Contains(errs[0].Message, tmpl) {
		t.Errorf("error diagnostics = %v, want exactly one for %s with a line", errs, tmpl)
	}
	// The ClusterRole next to the template parses.
	if !slices.ContainsFunc(inv.Roles, func(r *Role) bool { return r.Name == "all-your-base" }) {
		t.Errorf("ClusterRole all-your-base not loaded")
	}
	// Secrets are kept without data: the goat secrets' values never
	// appear in any kept field.
	for _, o := range inv.Objects {
		if o.Kind != "Secret" {
			continue
		}
		for k, v := range o.Annotations {
			if strings.Contains(v, "azhzLWdvYXQ") || k == lastApplied {
				t.Errorf("secret %s keeps data in annotation %s", o.Ref, k)
			}
		}
	}
	kinds := map[string]int{}
	for _, o := range inv.Objects {
		kinds[o.Kind]++
	}
	t.Logf("corpora: %d roles, %d bindings, %d objects %v, %d skipped, %d diagnostics",
		len(inv.Roles), len(inv.Bindings), len(inv.Objects), sortedCounts(kinds), inv.Skipped, len(inv.Diagnostics))
}

func sortedCounts(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

// FuzzLoadManifests checks that no input makes the parser panic, and that
// every diagnostic names the file.
func FuzzLoadManifests(f *testing.F) {
	seeds := []string{
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: a, namespace: b}\nrules:\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n",
		"kind: List\napiVersion: v1\nitems:\n- kind: List\n  items: [{kind: RoleList, apiVersion: rbac.authorization.k8s.io/v1, items: [{metadata: {name: x}}]}]\n",
		"kind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: x}\nroleRef: {kind: ClusterRole, name: y}\nsubjects:\n- kind: ServiceAccount\n  namespace: {{ .Values.ns }}\n",
		"{\"kind\": \"ClusterRole\", \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"metadata\": {\"name\": \"j\"}, \"aggregationRule\": {\"clusterRoleSelectors\": [{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"In\", \"values\": [\"b\"]}]}]}}",
		"a: &a [x]\nb: *a\n---\n...\n--- |\n  text\n",
		"kind: CronJob\napiVersion: batch/v1\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {spec: {serviceAccountName: s}}}}}\n",
		"\xef\xbb\xbf---\r\nkind: Secret\r\napiVersion: v1\r\nmetadata: {name: s}\r\ndata: {a: b}\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if dir, err := filepath.Abs(filepath.Join(repoRoot, "..", "shared", "corpora", "rbac", "labeled")); err == nil {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".json")) {
				if data, err := os.ReadFile(path); err == nil && len(data) < 8<<10 {
					f.Add(data)
				}
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv := ParseManifests("fuzz.yaml", data)
		for _, d := range inv.Diagnostics {
			if d.Location.File != "fuzz.yaml" || strings.Contains(d.Message, "fuzz.yaml") {
				t.Errorf("diagnostic does not name the file in its location, and there only: %+v", d)
			}
		}
		for _, r := range inv.Roles {
			if r.Name == "" || (r.Kind == KindRole && r.Namespace == "") {
				t.Errorf("role without name or namespace: %+v", r.Ref)
			}
		}
		Resolve(inv)
	})
}

// TestLoadCountsFiles: Inventory.Files counts what was read (manifest
// files and standard input), so that an input of nothing can be told apart.
func TestLoadCountsFiles(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"a.yaml": "", "sub/b.yml": "kind: ConfigMap\n", "README.md": "# no", ".hidden/c.yaml": ""} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := LoadManifests([]string{dir, "-", filepath.Join(dir, "a.yaml")}, LoadOptions{Stdin: strings.NewReader("")})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Files != 3 {
		t.Errorf("Files = %d, want 3 (a.yaml once, sub/b.yml, stdin)", inv.Files)
	}
	total := &Inventory{}
	total.Add(inv)
	total.Add(inv)
	if total.Files != 6 {
		t.Errorf("Add: Files = %d, want 6", total.Files)
	}
	empty, err := LoadManifests([]string{filepath.Join(dir, "sub", "..", ".hidden")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Files != 1 {
		t.Errorf("a hidden directory named explicitly: Files = %d, want 1", empty.Files)
	}
}
