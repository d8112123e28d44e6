package scanner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRBACAnnotations: roles and bindings keep their kubegrant.io/
// annotations (inline suppressions) and nothing else, from manifests and
// from the API alike.
func TestRBACAnnotations(t *testing.T) {
	in := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
  annotations:
    kubegrant.io/ignore: KG011
    kubegrant.io/ignore-reason: why
    meta.helm.sh/release-name: x
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: b
  namespace: ns
  annotations: {kubegrant.io/ignore: "*", kubectl.kubernetes.io/last-applied-configuration: "{}"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: plain, namespace: ns, annotations: {a: b}}
`
	inv := ParseManifests("f.yaml", []byte(in))
	if len(inv.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", inv.Diagnostics)
	}
	want := map[string]string{"kubegrant.io/ignore": "KG011", "kubegrant.io/ignore-reason": "why"}
	if diff := cmp.Diff(want, inv.Roles[0].Annotations); diff != "" {
		t.Errorf("ClusterRole annotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"kubegrant.io/ignore": "*"}, inv.Bindings[0].Annotations); diff != "" {
		t.Errorf("RoleBinding annotations (-want +got):\n%s", diff)
	}
	if inv.Roles[1].Annotations != nil {
		t.Errorf("Role without kubegrant.io/ annotations: %v, want nil", inv.Roles[1].Annotations)
	}

	m := metav1.ObjectMeta{Name: "r", Annotations: map[string]string{"kubegrant.io/ignore": "KG011", "kubegrant.io/ignore-reason": "why", "other": "x"}}
	if diff := cmp.Diff(want, roleFromAPI(KindClusterRole, &m, nil, nil).Annotations); diff != "" {
		t.Errorf("API ClusterRole annotations (-want +got):\n%s", diff)
	}
	api := &Inventory{}
	bindingFromAPI(KindClusterRoleBinding, &m, rbacv1.RoleRef{Kind: KindClusterRole, Name: "r"}, nil, api)
	if diff := cmp.Diff(want, api.Bindings[0].Annotations); diff != "" {
		t.Errorf("API ClusterRoleBinding annotations (-want +got):\n%s", diff)
	}
	if got := KubegrantAnnotations(map[string]string{"kubegrant.iox": "y"}); got != nil {
		t.Errorf("KubegrantAnnotations kept %v", got)
	}
}
