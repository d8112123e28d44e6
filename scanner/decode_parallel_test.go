package scanner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseManifestsParallel checks that a file of many documents, parsed
// by several workers, gives the Inventory of a sequential parse: same
// objects, diagnostics and lines, in the same order.
func TestParseManifestsParallel(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r%d\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n", i)
		case 1:
			fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b%d\n  namespace: ns\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: r%d\nsubjects:\n- kind: ServiceAccount\n  name: sa\n", i, i-1)
		case 2:
			fmt.Fprintf(&b, "---\nkind: [unclosed %d\n", i)
		case 3:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n", i)
		default:
			b.WriteString("---\n")
		}
	}
	data := []byte(b.String())
	want := &Inventory{}
	for _, doc := range splitDocuments(data) {
		parseDocument("all.yaml", doc, want)
	}
	got := ParseManifests("all.yaml", data)
	if len(want.Roles) != 600 || len(want.Diagnostics) == 0 {
		t.Fatalf("sequential parse: %d roles, %d diagnostics; the test data is not what it should be", len(want.Roles), len(want.Diagnostics))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseManifests (-sequential +parallel):\n%s", diff)
	}
}
