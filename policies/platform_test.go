package policies

import (
	"testing"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

func TestMarkPlatformDefaults(t *testing.T) {
	ref := func(kind, name, ns string) *scanner.Ref { return &scanner.Ref{Kind: kind, Name: name, Namespace: ns} }
	kcm := ref("ClusterRoleBinding", "system:kube-controller-manager", "")
	for _, tc := range []struct {
		name    string
		finding reports.Finding
		want    bool
	}{
		{"bootstrap binding, role and subject", reports.Finding{Binding: kcm,
			Role: ref("ClusterRole", "system:kube-controller-manager", ""), Subject: ref("User", "system:kube-controller-manager", "")}, true},
		{"controller SA in kube-system", reports.Finding{Binding: ref("ClusterRoleBinding", "system:controller:clusterrole-aggregation-controller", ""),
			Role:    ref("ClusterRole", "system:controller:clusterrole-aggregation-controller", ""),
			Subject: ref("ServiceAccount", "clusterrole-aggregation-controller", "kube-system")}, true},
		{"subject added to a default binding", reports.Finding{Binding: kcm,
			Role: ref("ClusterRole", "system:kube-controller-manager", ""), Subject: ref("User", "mallory", "")}, false},
		{"default name bound to another role", reports.Finding{Binding: kcm,
			Role: ref("ClusterRole", "cluster-admin", ""), Subject: ref("User", "system:kube-controller-manager", "")}, false},
		{"same SA name in another namespace", reports.Finding{Binding: ref("ClusterRoleBinding", "system:controller:clusterrole-aggregation-controller", ""),
			Role:    ref("ClusterRole", "system:controller:clusterrole-aggregation-controller", ""),
			Subject: ref("ServiceAccount", "clusterrole-aggregation-controller", "default")}, false},
		{"user binding", reports.Finding{Binding: ref("ClusterRoleBinding", "admins", ""),
			Role: ref("ClusterRole", "cluster-admin", ""), Subject: ref("Group", "admins", "")}, false},
		{"detection without binding", reports.Finding{Kind: reports.KindDetection}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := []reports.Finding{tc.finding}
			if err := MarkPlatformDefaults(fs); err != nil {
				t.Fatal(err)
			}
			if got := fs[0].Suppression != nil && fs[0].Suppression.Kind == "platform-default"; got != tc.want {
				t.Errorf("suppressed = %v, want %v (%+v)", got, tc.want, fs[0].Suppression)
			}
		})
	}
	d, err := loadPlatformDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.byBinding); n < 40 {
		t.Errorf("%d platform default bindings loaded, want the whole bootstrap policy (≥40)", n)
	}
}
