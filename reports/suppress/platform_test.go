package suppress

import (
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

func TestMarkPlatformDefaults(t *testing.T) {
	ref := func(kind, name, ns string) *scanner.Ref { return &scanner.Ref{Kind: kind, Name: name, Namespace: ns} }
	grant := func(binding, role, subject *scanner.Ref) *scanner.Grant {
		return &scanner.Grant{Binding: *binding, Role: *role, Subject: scanner.Subject{Ref: *subject}}
	}
	kcm := ref("ClusterRoleBinding", "system:kube-controller-manager", "")
	kcmRole := ref("ClusterRole", "system:kube-controller-manager", "")
	kcmUser := ref("User", "system:kube-controller-manager", "")
	controller := func(name string) *scanner.Grant {
		return grant(ref("ClusterRoleBinding", "system:controller:"+name, ""), ref("ClusterRole", "system:controller:"+name, ""),
			ref("ServiceAccount", name, "kube-system"))
	}
	for _, tc := range []struct {
		name    string
		finding reports.Finding
		want    bool
	}{
		{"bootstrap binding, role and subject", reports.Finding{Binding: kcm, Role: kcmRole, Subject: kcmUser}, true},
		{"controller SA in kube-system", reports.Finding{Binding: ref("ClusterRoleBinding", "system:controller:clusterrole-aggregation-controller", ""),
			Role:    ref("ClusterRole", "system:controller:clusterrole-aggregation-controller", ""),
			Subject: ref("ServiceAccount", "clusterrole-aggregation-controller", "kube-system")}, true},
		// Controllers the bootstrap policy gained after the hand-kept
		// list this preset replaced.
		{"legacy-service-account-token-cleaner", reports.Finding{Grants: []*scanner.Grant{controller("legacy-service-account-token-cleaner")}}, true},
		{"endpointslicemirroring-controller", reports.Finding{Grants: []*scanner.Grant{controller("endpointslicemirroring-controller")}}, true},
		{"ttl-after-finished-controller", reports.Finding{Grants: []*scanner.Grant{controller("ttl-after-finished-controller")}}, true},
		{"RoleBinding to a Role in kube-system", reports.Finding{Grants: []*scanner.Grant{grant(
			ref("RoleBinding", "system::extension-apiserver-authentication-reader", "kube-system"),
			ref("Role", "extension-apiserver-authentication-reader", "kube-system"), ref("User", "system:kube-scheduler", ""))}}, true},
		{"every grant a default", reports.Finding{Grants: []*scanner.Grant{controller("job-controller"), controller("cronjob-controller")}}, true},
		{"one grant not a default", reports.Finding{Grants: []*scanner.Grant{controller("job-controller"),
			grant(ref("ClusterRoleBinding", "ci", ""), ref("ClusterRole", "system:controller:job-controller", ""), ref("ServiceAccount", "job-controller", "kube-system"))}}, false},
		{"subject added to a default binding", reports.Finding{Binding: kcm, Role: kcmRole, Subject: ref("User", "mallory", "")}, false},
		{"default name bound to another role", reports.Finding{Binding: kcm, Role: ref("ClusterRole", "cluster-admin", ""), Subject: kcmUser}, false},
		{"same SA name in another namespace", reports.Finding{Grants: []*scanner.Grant{grant(
			ref("ClusterRoleBinding", "system:controller:clusterrole-aggregation-controller", ""),
			ref("ClusterRole", "system:controller:clusterrole-aggregation-controller", ""),
			ref("ServiceAccount", "clusterrole-aggregation-controller", "default"))}}, false},
		{"Role of the same name in another namespace", reports.Finding{Binding: ref("RoleBinding", "system::extension-apiserver-authentication-reader", "kube-system"),
			Role: ref("Role", "extension-apiserver-authentication-reader", "default"), Subject: ref("User", "system:kube-scheduler", "")}, false},
		{"user binding", reports.Finding{Binding: ref("ClusterRoleBinding", "admins", ""),
			Role: ref("ClusterRole", "cluster-admin", ""), Subject: ref("Group", "admins", "")}, false},
		{"detection without binding", reports.Finding{Kind: reports.KindDetection}, false},
		// A detection reports a request, not a grant: the platform's
		// binding that allowed it does not suppress it.
		{"detection allowed by a default", reports.Finding{Kind: reports.KindDetection, Binding: kcm, Role: kcmRole, Subject: kcmUser}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := []reports.Finding{tc.finding}
			MarkPlatformDefaults(fs)
			s := fs[0].Suppression
			if got := s != nil && s.Kind == reports.SuppressPlatformDefault; got != tc.want {
				t.Errorf("suppressed = %v, want %v (%+v)", got, tc.want, s)
			}
			if s != nil && !strings.HasPrefix(s.Justification, "kubernetes v1.34") {
				t.Errorf("justification %q", s.Justification)
			}
		})
	}

	// An existing suppression is kept.
	fs := []reports.Finding{{Binding: kcm, Role: kcmRole, Subject: kcmUser, Suppression: &reports.Suppression{Kind: reports.SuppressInline}}}
	MarkPlatformDefaults(fs)
	if fs[0].Suppression.Kind != reports.SuppressInline {
		t.Errorf("suppression %+v replaced", fs[0].Suppression)
	}
}
