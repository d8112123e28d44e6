package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/scanner"
)

func TestEventRequest(t *testing.T) {
	ref := func(group, resource, sub, ns, name string) *RawObjectRef {
		return &RawObjectRef{APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	for _, tc := range []struct {
		name string
		ev   RawEvent
		want scanner.Request
	}{
		{"get secret", RawEvent{Verb: "get", RequestURI: "/api/v1/namespaces/apps/secrets/db", ObjectRef: ref("", "secrets", "", "apps", "db")},
			scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "apps", Name: "db"}},
		{"create top-level clears name", RawEvent{Verb: "create", RequestURI: "/api/v1/namespaces/apps/configmaps", ObjectRef: ref("", "configmaps", "", "apps", "cm")},
			scanner.Request{Verb: "create", ResourceRequest: true, Resource: "configmaps", Namespace: "apps"}},
		{"TokenRequest keeps name", RawEvent{Verb: "create", RequestURI: "/api/v1/namespaces/apps/serviceaccounts/builder/token", ObjectRef: ref("", "serviceaccounts", "token", "apps", "builder")},
			scanner.Request{Verb: "create", ResourceRequest: true, Resource: "serviceaccounts", Subresource: "token", Namespace: "apps", Name: "builder"}},
		{"exec keeps name", RawEvent{Verb: "create", RequestURI: "/api/v1/namespaces/apps/pods/web-0/exec?command=sh", ObjectRef: ref("", "pods", "exec", "apps", "web-0")},
			scanner.Request{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Namespace: "apps", Name: "web-0"}},
		{"update keeps name", RawEvent{Verb: "update", RequestURI: "/apis/apps/v1/namespaces/apps/deployments/web", ObjectRef: ref("apps", "deployments", "", "apps", "web")},
			scanner.Request{Verb: "update", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Namespace: "apps", Name: "web"}},
		{"list has no name", RawEvent{Verb: "list", RequestURI: "/api/v1/namespaces/apps/secrets?limit=500", ObjectRef: ref("", "secrets", "", "apps", "")},
			scanner.Request{Verb: "list", ResourceRequest: true, Resource: "secrets", Namespace: "apps"}},
		{"list with metadata.name selector", RawEvent{Verb: "list", RequestURI: "/api/v1/namespaces/apps/secrets?fieldSelector=metadata.name%3Ddb&limit=1", ObjectRef: ref("", "secrets", "", "apps", "db")},
			scanner.Request{Verb: "list", ResourceRequest: true, Resource: "secrets", Namespace: "apps", Name: "db"}},
		{"watch with == and another term", RawEvent{Verb: "watch", RequestURI: "/api/v1/namespaces/apps/configmaps?watch=1&fieldSelector=metadata.name%3D%3Dcfg%2Cmetadata.namespace%3Dapps", ObjectRef: ref("", "configmaps", "", "apps", "cfg")},
			scanner.Request{Verb: "watch", ResourceRequest: true, Resource: "configmaps", Namespace: "apps", Name: "cfg"}},
		{"watch with != selector has no name", RawEvent{Verb: "watch", RequestURI: "/api/v1/pods?fieldSelector=metadata.name%21%3Dx", ObjectRef: ref("", "pods", "", "", "")},
			scanner.Request{Verb: "watch", ResourceRequest: true, Resource: "pods"}},
		{"list ignores a recorded name without selector", RawEvent{Verb: "list", RequestURI: "/api/v1/pods", ObjectRef: ref("", "pods", "", "", "stale")},
			scanner.Request{Verb: "list", ResourceRequest: true, Resource: "pods"}},
		{"get namespace is in that namespace", RawEvent{Verb: "get", RequestURI: "/api/v1/namespaces/team-a", ObjectRef: ref("", "namespaces", "", "", "team-a")},
			scanner.Request{Verb: "get", ResourceRequest: true, Resource: "namespaces", Namespace: "team-a", Name: "team-a"}},
		{"create namespace is cluster-scoped", RawEvent{Verb: "create", RequestURI: "/api/v1/namespaces", ObjectRef: ref("", "namespaces", "", "foo", "foo")},
			scanner.Request{Verb: "create", ResourceRequest: true, Resource: "namespaces"}},
		{"non-resource strips query", RawEvent{Verb: "get", RequestURI: "/healthz?verbose=1"},
			scanner.Request{Verb: "get", Path: "/healthz"}},
		{"impersonate verb as recorded", RawEvent{Verb: "impersonate", RequestURI: "/api/v1/namespaces/default/pods", ObjectRef: ref("", "users", "", "", "admin")},
			scanner.Request{Verb: "impersonate", ResourceRequest: true, Resource: "users", Name: "admin"}},
		{"deletecollection as recorded", RawEvent{Verb: "deletecollection", RequestURI: "/api/v1/namespaces/apps/pods", ObjectRef: ref("", "pods", "", "apps", "")},
			scanner.Request{Verb: "deletecollection", ResourceRequest: true, Resource: "pods", Namespace: "apps"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.ev.Normalize(scanner.Source{}).Attrs); diff != "" {
				t.Errorf("Request() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestTraps checks the mapping against the RBAC matcher.
func TestRequestTraps(t *testing.T) {
	named := rbacv1.PolicyRule{Verbs: []string{"create", "get"}, APIGroups: []string{""}, Resources: []string{"configmaps", "serviceaccounts/token"}, ResourceNames: []string{"cm", "builder"}}
	nsRule := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{"team-a"}}
	for _, tc := range []struct {
		name string
		rule rbacv1.PolicyRule
		ev   RawEvent
		want bool
	}{
		{"create with resourceNames never matches", named, RawEvent{Verb: "create", ObjectRef: &RawObjectRef{Resource: "configmaps", Namespace: "n", Name: "cm"}}, false},
		{"get with resourceNames matches", named, RawEvent{Verb: "get", ObjectRef: &RawObjectRef{Resource: "configmaps", Namespace: "n", Name: "cm"}}, true},
		{"TokenRequest with resourceNames matches", named, RawEvent{Verb: "create", ObjectRef: &RawObjectRef{Resource: "serviceaccounts", Subresource: "token", Namespace: "n", Name: "builder"}}, true},
		{"get own namespace by name", nsRule, RawEvent{Verb: "get", RequestURI: "/api/v1/namespaces/team-a", ObjectRef: &RawObjectRef{Resource: "namespaces", Name: "team-a"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.ev.Normalize(scanner.Source{}).Attrs
			if got := scanner.RuleAllows(&tc.rule, &req); got != tc.want {
				t.Errorf("RuleAllows(%+v) = %v, want %v", req, got, tc.want)
			}
		})
	}
}

func TestEventAllowedIdentity(t *testing.T) {
	user := RawUser{Username: "mallory", Groups: []string{"devs", "system:authenticated"}}
	sa := &RawUser{Username: "system:serviceaccount:prod:db-operator", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:prod", "system:authenticated"}}
	for _, tc := range []struct {
		name       string
		ev         RawEvent
		allowed    bool
		wantUser   string
		wantGroups []string
	}{
		{"allow annotation", RawEvent{User: user, Annotations: map[string]string{AnnotationDecision: "allow"}, ResponseStatus: &RawStatus{Code: 404}}, true, "mallory", user.Groups},
		{"forbid annotation", RawEvent{User: user, Annotations: map[string]string{AnnotationDecision: "forbid"}, ResponseStatus: &RawStatus{Code: 403}}, false, "mallory", user.Groups},
		{"allowed admission denial is still authorized", RawEvent{User: user, Annotations: map[string]string{AnnotationDecision: "allow"}, ResponseStatus: &RawStatus{Code: 403}}, true, "mallory", user.Groups},
		{"impersonated request uses impersonated identity", RawEvent{User: user, ImpersonatedUser: sa, Annotations: map[string]string{AnnotationDecision: "allow"}, ResponseStatus: &RawStatus{Code: 200}}, true, sa.Username, sa.Groups},
		{"denied impersonation has no annotations", RawEvent{User: user, ResponseStatus: &RawStatus{Code: 403}}, false, "mallory", user.Groups},
		{"old log 200", RawEvent{User: user, ResponseStatus: &RawStatus{Code: 200}}, true, "mallory", user.Groups},
		{"old log 101 upgrade", RawEvent{User: user, ResponseStatus: &RawStatus{Code: 101}}, true, "mallory", user.Groups},
		{"old log 404 after authorization", RawEvent{User: user, ResponseStatus: &RawStatus{Code: 404}}, true, "mallory", user.Groups},
		{"old log 401", RawEvent{User: user, ResponseStatus: &RawStatus{Code: 401}}, false, "mallory", user.Groups},
		{"no status", RawEvent{User: user}, false, "mallory", user.Groups},
		{"empty impersonated user ignored", RawEvent{User: user, ImpersonatedUser: &RawUser{}}, false, "mallory", user.Groups},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.ev.Normalize(scanner.Source{})
			if got := e.Allowed(); got != tc.allowed {
				t.Errorf("Allowed() = %v, want %v", got, tc.allowed)
			}
			u, g := e.Actor()
			if diff := cmp.Diff([]any{tc.wantUser, tc.wantGroups}, []any{u, g}); diff != "" {
				t.Errorf("Actor() (-want +got):\n%s", diff)
			}
		})
	}
}
