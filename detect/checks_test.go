package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/scanner"
)

func TestRBACChecks(t *testing.T) {
	get := scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "a", Name: "s"}
	roleWrite := scanner.Request{Verb: "update", ResourceRequest: true, APIGroup: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "a", Name: "r"}
	for _, tc := range []struct {
		name string
		e    audit.Event
		want []Check
	}{
		{"allowed by RBAC", audit.Event{User: audit.User{Name: "alice", Groups: []string{"dev"}}, Attrs: get,
			Decision: audit.Allow, Annotated: true, Reason: `RBAC: allowed by RoleBinding "x/a" of Role "y" to User "alice"`},
			[]Check{{User: "alice", Groups: []string{"dev"}, Request: get}}},
		{"forbidden", audit.Event{User: audit.User{Name: "alice"}, Attrs: get, Decision: audit.Forbid, Annotated: true}, nil},
		{"system:masters is not RBAC", audit.Event{User: audit.User{Name: "admin", Groups: []string{"system:masters"}}, Attrs: get,
			Decision: audit.Allow, Annotated: true, Reason: ""}, nil},
		{"impersonation: the caller's checks, then the request as the impersonated user",
			audit.Event{User: audit.User{Name: "support"}, Impersonated: &audit.User{Name: "bob", Groups: []string{"devs"}}, Attrs: get,
				Decision: audit.Allow, Annotated: true, Reason: `RBAC: allowed by RoleBinding "x/a" of Role "y" to User "bob"`},
			[]Check{
				{User: "support", Request: scanner.Request{Verb: "impersonate", ResourceRequest: true, Resource: "users", Name: "bob"}},
				{User: "support", Request: scanner.Request{Verb: "impersonate", ResourceRequest: true, Resource: "groups", Name: "devs"}},
				{User: "bob", Groups: []string{"devs"}, Request: get},
			}},
		{"a role write also checks escalate", audit.Event{User: audit.User{Name: "op"}, Attrs: roleWrite,
			Decision: audit.Allow, Annotated: true, Reason: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "op"`},
			[]Check{{User: "op", Request: roleWrite}, {User: "op", Request: func() scanner.Request { r := roleWrite; r.Verb = "escalate"; return r }()}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RBACChecks(&tc.e)); diff != "" {
				t.Errorf("RBACChecks (-want +got):\n%s", diff)
			}
		})
	}
}
