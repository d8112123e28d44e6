package scanner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// content renders what an inventory holds, without where it came from, in
// a stable order: what a chart renders to must equal, object for object,
// what parsing the same chart rendered by hand gives.
func content(inv *Inventory) []string {
	var out []string
	for _, r := range inv.Roles {
		s := r.Ref.String()
		for _, rule := range r.Rules {
			s += " [" + ruleString(rule.PolicyRule) + "]"
		}
		out = append(out, s)
	}
	for _, b := range inv.Bindings {
		s := fmt.Sprintf("%s -> %s/%s", b.Ref, b.RoleRef.Kind, b.RoleRef.Name)
		for _, sub := range b.Subjects {
			s += " " + sub.Ref.String()
		}
		out = append(out, s)
	}
	for _, o := range inv.Objects {
		out = append(out, fmt.Sprintf("%s labels=%v", o.Ref, o.Labels))
	}
	for _, d := range inv.Diagnostics {
		out = append(out, d.Severity+" "+d.Location.String()+": "+d.Message)
	}
	slices.Sort(out)
	return out
}

// sources lists where each object, rule and subject of inv points.
func sources(inv *Inventory) []string {
	var out []string
	for _, r := range inv.Roles {
		out = append(out, fmt.Sprintf("%s @%s", r.Ref, r.Source))
		for _, rule := range r.Rules {
			out = append(out, fmt.Sprintf("  rules[%d] @%s", rule.Index, rule.Source))
		}
	}
	for _, b := range inv.Bindings {
		out = append(out, fmt.Sprintf("%s @%s", b.Ref, b.Source))
		for _, s := range b.Subjects {
			out = append(out, fmt.Sprintf("  %s @%s", s.Ref, s.Source))
		}
	}
	for _, o := range inv.Objects {
		out = append(out, fmt.Sprintf("%s @%s", o.Ref, o.Source))
	}
	return out
}

func TestRenderedDirectories(t *testing.T) {
	const dir = "testdata/render"
	tests := []struct {
		name     string
		path     string
		helm     HelmOptions
		expected string // rendered by hand
		sources  []string
	}{{
		name:     "chart with defaults and a vendored subchart",
		path:     "webapp",
		expected: "webapp.default.expected.yaml",
		sources: []string{
			"ClusterRole/release-name-metrics @webapp/charts/metrics/templates/clusterrole.yaml:1",
			"  rules[0] @webapp/charts/metrics/templates/clusterrole.yaml:6",
			"Role/default/release-name-webapp-secrets @webapp/templates/rbac.yaml:2",
			"  rules[0] @webapp/templates/rbac.yaml:8",
			"ClusterRoleBinding/release-name-metrics @webapp/charts/metrics/templates/clusterrole.yaml:10",
			"  ServiceAccount/default/release-name-metrics @webapp/charts/metrics/templates/clusterrole.yaml:19",
			"RoleBinding/default/release-name-webapp-secrets @webapp/templates/rbac.yaml:17",
			"  ServiceAccount/default/release-name-webapp @webapp/templates/rbac.yaml:27",
			"ServiceAccount/default/release-name-webapp @webapp/templates/serviceaccount.yaml:1",
		},
	}, {
		name:     "chart with a values file, --set, release and namespace",
		path:     "webapp",
		helm:     HelmOptions{ValueFiles: []string{dir + "/values-prod.yaml"}, Set: []string{"metrics.enabled=false"}, Release: "shop", Namespace: "apps"},
		expected: "webapp.prod.expected.yaml",
		sources: []string{
			"Role/apps/shop-webapp-secrets @webapp/templates/rbac.yaml:2",
			"  rules[0] @webapp/templates/rbac.yaml:8",
			// The rule a {{ range }} printed: its template line, but
			// not written literally there.
			"  rules[1] @webapp/templates/rbac.yaml:12 (approximate line)",
			"RoleBinding/apps/shop-webapp-secrets @webapp/templates/rbac.yaml:17",
			"  ServiceAccount/apps/shop-webapp @webapp/templates/rbac.yaml:27",
			"ServiceAccount/apps/shop-webapp @webapp/templates/serviceaccount.yaml:1",
		},
	}, {
		name:     "kustomize overlay over a base",
		path:     "shop/overlays/prod",
		expected: "shop.prod.expected.yaml",
		sources: []string{
			// Names and namespaces are the overlay's; lines are the
			// base's, approximate where kustomize rewrote them.
			"Role/prod/p-secrets @shop/base/rbac.yaml:1",
			"  rules[0] @shop/base/rbac.yaml:6 (approximate line)",
			"RoleBinding/prod/p-secrets @shop/base/rbac.yaml:10",
			"  ServiceAccount/prod/p-app @shop/base/rbac.yaml:19",
			"ServiceAccount/prod/p-app @shop/base/serviceaccount.yaml:1",
		},
	}, {
		name:     "a directory holding a base and its overlay renders the overlay only",
		path:     "shop",
		expected: "shop.prod.expected.yaml",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := LoadManifests([]string{filepath.Join(dir, tt.path)}, LoadOptions{Root: dir, Helm: tt.helm})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, tt.expected))
			if err != nil {
				t.Fatal(err)
			}
			want := ParseManifests(tt.expected, data)
			if diff := cmp.Diff(content(want), content(inv)); diff != "" {
				t.Errorf("rendered objects differ from %s (-by hand +kubegrant):\n%s", tt.expected, diff)
			}
			if tt.sources != nil {
				if diff := cmp.Diff(tt.sources, sources(inv)); diff != "" {
					t.Errorf("sources (-want +got):\n%s", diff)
				}
			}
			for _, s := range sources(inv) {
				if strings.Contains(s, os.TempDir()) || strings.Contains(s, "#") {
					t.Errorf("a source names no file of the repository: %s", s)
				}
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		helm  HelmOptions
		want  []string // substrings of the one error diagnostic
	}{{
		name: "dependency not vendored",
		files: map[string]string{
			"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 18.0.0\n    repository: oci://registry.example.com/charts\n",
			"c/templates/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n",
		},
		want: []string{"c/Chart.yaml: Helm chart dependencies not vendored: redis (oci://registry.example.com/charts 18.0.0) in c/charts", "helm dependency build c", "fetches nothing"},
	}, {
		name: "template error",
		files: map[string]string{
			"c/Chart.yaml":         "apiVersion: v2\nname: c\nversion: 1.0.0\n",
			"c/templates/bad.yaml": "kind: Role\nmetadata:\n  name: {{ .Values.missing.name }}\n",
		},
		want: []string{"c/Chart.yaml: rendering Helm chart:", "bad.yaml"},
	}, {
		name: "bad --helm-set",
		files: map[string]string{
			"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
		},
		helm: HelmOptions{Set: []string{"rbac"}},
		want: []string{"c/Chart.yaml: --helm-set rbac: key \"rbac\" has no value"},
	}, {
		name: "remote kustomize base",
		files: map[string]string{
			"k/kustomization.yaml": "resources:\n  - https://github.com/example/repo//deploy?ref=v1\n  - sa.yaml\n",
			"k/sa.yaml":            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n",
		},
		want: []string{"k/kustomization.yaml: Kustomize remote resources are not fetched (no network): https://github.com/example/repo//deploy?ref=v1"},
	}, {
		name: "kustomize error",
		files: map[string]string{
			"k/kustomization.yaml": "resources:\n  - missing.yaml\n",
		},
		want: []string{"k/kustomization.yaml: kustomize build:", "missing.yaml"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			inv, err := LoadManifests([]string{root}, LoadOptions{Root: root, Helm: tt.helm})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Roles)+len(inv.Bindings)+len(inv.Objects) != 0 || len(inv.Diagnostics) != 1 {
				t.Fatalf("want one diagnostic and nothing loaded, got %q", summary(inv))
			}
			d := inv.Diagnostics[0]
			if d.Severity != DiagError {
				t.Errorf("severity %s", d.Severity)
			}
			for _, w := range tt.want {
				if !strings.Contains(d.Location.String()+": "+d.Message, w) {
					t.Errorf("diagnostic %q lacks %q", d.Message, w)
				}
			}
		})
	}
}

func TestTraceLines(t *testing.T) {
	src := []string{
		"{{- if .Values.on }}", // 1
		"kind: Role",           // 2
		"rules:",               // 3
		"  - verbs: [get]",     // 4
		"  {{- range .Values.extra }}",
		"  - verbs: {{ toJson .verbs }}", // 6
		"  {{- end }}",
		"  - verbs: [list]", // 8
		"{{- end }}",
	}
	out := []string{
		"",
		"kind: Role",
		"rules:",
		"  - verbs: [get]",
		"  - verbs: [\"watch\"]",
		"  - verbs: [\"create\"]",
		"  - verbs: [list]",
	}
	got := traceLines(out, src, 1)
	want := []tracedLine{{2, false}, {2, true}, {3, true}, {4, true}, {6, false}, {6, false}, {8, true}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(tracedLine{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
