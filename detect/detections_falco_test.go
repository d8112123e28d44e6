package detect

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubegrant/kubegrant/detect/audit"
	"gopkg.in/yaml.v3"
)

// corporaDir is ../shared/corpora next to the repository root.
func corporaDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpora")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpora not available: %v", err)
	}
	return dir
}

// falcoToKubegrant maps the Falco k8s_audit rules that have a kubegrant
// detection counterpart.
var falcoToKubegrant = map[string]string{
	"Create Privileged Pod":             "KGD17",
	"Create Sensitive Mount Pod":        "KGD17",
	"Create HostNetwork Pod":            "KGD17",
	"Anonymous Request Allowed":         "KGD22",
	"Attach/Exec Pod":                   "KGD07",
	"Attach to cluster-admin Role":      "KGD12",
	"ClusterRole With Wildcard Created": "KGD14",
	"Create NodePort Service":           "KGD25",

	"Create/Modify Configmap With Private Credentials": "KGD27",
	"Pod Created in Kube Namespace":                    "KGD28",
	"Service Account Created in Kube Namespace":        "KGD28",
	"System ClusterRole Modified/Deleted":              "KGD29",
	"ClusterRole With Write Privileges Created":        "KGD30",
	"ClusterRole With Pod Exec Created":                "KGD30",
}

// falcoExpected reads falco_k8s_audit_tests.yaml: trace file → the
// kubegrant rules of the Falco rules it is expected to trigger.
func falcoExpected(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceFiles map[string]struct {
			Detect       bool             `yaml:"detect"`
			DetectCounts []map[string]int `yaml:"detect_counts"`
			Opts         string           `yaml:"addl_cmdline_opts"`
		} `yaml:"trace_files"`
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	// The file tags its top mapping !mux (an Avocado extension).
	var clearTags func(n *yaml.Node)
	clearTags = func(n *yaml.Node) {
		if strings.HasPrefix(n.Tag, "!") && n.Tag != "!!str" {
			n.Tag = ""
		}
		for _, c := range n.Content {
			clearTags(c)
		}
	}
	clearTags(&root)
	if err := root.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, tc := range doc.TraceFiles {
		file := filepath.Base(strings.TrimSpace(tc.Opts[strings.LastIndex(tc.Opts, "=")+1:]))
		if _, ok := want[file]; !ok {
			want[file] = []string{}
		}
		if !tc.Detect {
			continue
		}
		for _, dc := range tc.DetectCounts {
			for rule := range dc {
				if id, ok := falcoToKubegrant[rule]; ok && !slices.Contains(want[file], id) {
					want[file] = append(want[file], id)
				}
			}
		}
	}
	if len(want) < 30 {
		t.Fatalf("read only %d trace files from %s", len(want), path)
	}
	return want
}

func TestFalcoTraces(t *testing.T) {
	base := filepath.Join(corporaDir(t), "audit", "falco-k8s-audit-trace-files", "test")
	want := falcoExpected(t, filepath.Join(base, "falco_k8s_audit_tests.yaml"))
	files, err := filepath.Glob(filepath.Join(base, "trace_files", "k8s_audit", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no trace files: %v", err)
	}
	got := map[string][]string{}
	for _, f := range files {
		name := filepath.Base(f)
		ds := Detectors(DetectOptions{})
		if _, err := audit.Stream(context.Background(), []string{f}, audit.StreamOptions{}, func(e *audit.Event) error {
			for _, d := range ds {
				d.Observe(e)
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = []string{}
		for _, d := range ds {
			for _, fi := range d.Findings() {
				if fi.Location.File == "" || fi.Location.Line == 0 {
					t.Errorf("%s: %s finding without file and line: %+v", name, fi.RuleID, fi.Location)
				}
				if !slices.Contains(got[name], fi.RuleID) {
					got[name] = append(got[name], fi.RuleID)
				}
			}
		}
		sort.Strings(got[name])
		if _, ok := want[name]; !ok {
			want[name] = []string{} // not referenced by the Falco tests
		}
		sort.Strings(want[name])
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if len(got[name]) > 0 {
			t.Logf("%s: %s", name, strings.Join(got[name], " "))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("detections per Falco trace file mismatch (-want +got):\n%s", diff)
	}
}

// TestAudit2RBACDemo runs the catalogue over audit2rbac's demo log, where
// system:admin impersonates an ordinary user and a ServiceAccount: neither
// is a privileged identity, so nothing may fire.
func TestAudit2RBACDemo(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corporaDir(t), "audit", "audit2rbac-demo", "testdata", "*.log"))
	if len(files) == 0 {
		t.Skip("audit2rbac demo log not found")
	}
	ds := Detectors(DetectOptions{})
	stats, err := audit.Stream(context.Background(), files, audit.StreamOptions{}, func(e *audit.Event) error {
		for _, d := range ds {
			d.Observe(e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Events < 30 {
		t.Fatalf("read %d events, want the demo's 37", stats.Events)
	}
	for _, d := range ds {
		for _, f := range d.Findings() {
			t.Errorf("%s fired on the demo log: %s", f.RuleID, f.Message)
		}
	}
}
