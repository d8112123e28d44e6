package detect

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// replayCase builds a one-grant graph with one static finding and replays
// the given events against it.
func replayOne(t *testing.T, subject scanner.Ref, scope string, rule rbacv1.PolicyRule, exercisedBy []reports.PolicyRule, events ...string) *reports.Finding {
	t.Helper()
	bindingKind := scanner.KindClusterRoleBinding
	if scope != "" {
		bindingKind = scanner.KindRoleBinding
	}
	binding := scanner.Ref{Kind: bindingKind, Name: "b", Namespace: scope}
	g := &scanner.Graph{Grants: []scanner.Grant{{
		Subject: scanner.Subject{Ref: subject}, Binding: binding,
		Role: scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"}, Scope: scope, Rule: rule,
	}}}
	static := []reports.Finding{{RuleID: "KGX", Grants: []*scanner.Grant{&g.Grants[0]}, Binding: &binding, Subject: &subject}}
	rules := []reports.Rule{{ID: "KGX", ExercisedBy: exercisedBy}}
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, []byte(strings.Join(events, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), []string{log}, g, static, rules, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Errors != 0 {
		t.Fatalf("bad test events: %v", res.Stats.Diagnostics)
	}
	return &static[0]
}

// event renders audit event "1"; fields override the defaults.
func event(fields map[string]any) string {
	e := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "1", "stage": "ResponseComplete",
		"verb": "get", "requestURI": "/api/v1/namespaces/ns/secrets/s1",
		"user":           map[string]any{"username": "alice", "groups": []string{"dev", "system:authenticated"}},
		"objectRef":      map[string]any{"resource": "secrets", "namespace": "ns", "name": "s1", "apiVersion": "v1"},
		"responseStatus": map[string]any{"code": 200},
		"stageTimestamp": "2026-11-20T10:00:00Z",
		"annotations":    map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "alice"`},
	}
	for k, v := range fields {
		if v == nil {
			delete(e, k)
		} else {
			e[k] = v
		}
	}
	b, _ := json.Marshal(e)
	return string(b)
}

func TestReplayExercised(t *testing.T) {
	alice := scanner.Ref{Kind: scanner.KindUser, Name: "alice"}
	dev := scanner.Ref{Kind: scanner.KindGroup, Name: "dev"}
	secretsRead := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}
	getSecrets := []reports.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}
	node := map[string]any{"username": "system:node:n1", "groups": []string{"system:nodes", "system:authenticated"}}
	masters := map[string]any{"username": "admin", "groups": []string{"system:masters", "system:authenticated"}}
	noReason := map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
	reason := func(r string) map[string]any {
		return map[string]any{"annotations": map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed by " + r}}
	}
	viaDev := reason(`ClusterRoleBinding "b" of ClusterRole "r" to Group "dev"`)
	noGroups := reason(`ClusterRoleBinding "b" of ClusterRole "r" to Group "dev"`)
	noGroups["user"] = map[string]any{"username": "alice"}
	for _, tc := range []struct {
		name        string
		subject     scanner.Ref
		scope       string
		rule        rbacv1.PolicyRule
		exercisedBy []reports.PolicyRule
		events      []string
		want        int
	}{
		{name: "allowed get by the user", subject: alice, rule: secretsRead, exercisedBy: getSecrets, events: []string{event(nil)}, want: 1},
		{name: "through group membership", subject: dev, rule: secretsRead, events: []string{event(viaDev)}, want: 1},
		{name: "the reason names another binding", subject: alice, rule: secretsRead,
			events: []string{event(reason(`ClusterRoleBinding "b2" of ClusterRole "r" to User "alice"`))}, want: 0},
		{name: "the reason names the group, not the user", subject: alice, rule: secretsRead, events: []string{event(viaDev)}, want: 0},
		{name: "groups not logged (GKE): the reason names the group", subject: dev, rule: secretsRead, events: []string{event(noGroups)}, want: 1},
		{name: "no annotations (old log): matched by identity", subject: dev, rule: secretsRead, events: []string{event(map[string]any{"annotations": nil})}, want: 1},
		{name: "list does not exercise a get finding", subject: alice, rule: secretsRead, exercisedBy: getSecrets,
			events: []string{event(map[string]any{"verb": "list"})}, want: 0},
		{name: "forbidden attempt", subject: alice, rule: secretsRead, events: []string{event(map[string]any{
			"responseStatus": map[string]any{"code": 403}, "annotations": map[string]any{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}})}, want: 0},
		{name: "node authorizer read is never RBAC", subject: scanner.Ref{Kind: scanner.KindGroup, Name: "system:nodes"}, rule: secretsRead,
			events: []string{event(map[string]any{"user": node, "annotations": noReason})}, want: 0},
		{name: "system:masters is never RBAC", subject: scanner.Ref{Kind: scanner.KindGroup, Name: "system:masters"}, rule: secretsRead,
			events: []string{event(map[string]any{"user": masters, "annotations": noReason})}, want: 0},
		{name: "out of the RoleBinding's namespace", subject: alice, scope: "other", rule: secretsRead, events: []string{event(nil)}, want: 0},
		{name: "in the RoleBinding's namespace", subject: alice, scope: "ns", rule: secretsRead,
			events: []string{event(reason(`RoleBinding "b/ns" of ClusterRole "r" to User "alice"`))}, want: 1},
		{name: "stage duplicates count once", subject: alice, rule: secretsRead, events: []string{
			event(map[string]any{"stage": "RequestReceived", "annotations": nil}), event(nil)}, want: 1},
		{name: "impersonated request uses the impersonated identity", subject: alice, rule: secretsRead, events: []string{event(map[string]any{
			"user":             map[string]any{"username": "support", "groups": []string{"system:authenticated"}},
			"impersonatedUser": map[string]any{"username": "alice", "groups": []string{"system:authenticated"}}})}, want: 1},
		{name: "impersonation check exercises the impersonator's grant",
			subject: scanner.Ref{Kind: scanner.KindUser, Name: "support"},
			rule:    rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"alice"}},
			events: []string{event(map[string]any{
				"user":             map[string]any{"username": "support", "groups": []string{"system:authenticated"}},
				"impersonatedUser": map[string]any{"username": "alice", "groups": []string{"system:authenticated"}}})}, want: 1},
		{name: "impersonation of someone else is not this grant",
			subject: scanner.Ref{Kind: scanner.KindUser, Name: "support"},
			rule:    rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"bob"}},
			events: []string{event(map[string]any{
				"user":             map[string]any{"username": "support", "groups": []string{"system:authenticated"}},
				"impersonatedUser": map[string]any{"username": "alice"}})}, want: 0},
		{name: "bind derived from the roleRef of a binding write", subject: alice,
			rule:        rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"cluster-admin"}},
			exercisedBy: []reports.PolicyRule{{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "clusterroles"}, Verbs: []string{"bind"}}},
			events: []string{event(map[string]any{"verb": "create", "level": "RequestResponse",
				"objectRef":     map[string]any{"resource": "clusterrolebindings", "apiGroup": "rbac.authorization.k8s.io", "name": "x"},
				"requestObject": map[string]any{"roleRef": map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}})}, want: 1},
		{name: "bind needs the roleRef (Metadata level)", subject: alice,
			rule:   rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}},
			events: []string{event(map[string]any{"verb": "create", "objectRef": map[string]any{"resource": "clusterrolebindings", "apiGroup": "rbac.authorization.k8s.io", "name": "x"}})}, want: 0},
		{name: "escalate derived from a role write", subject: alice,
			rule:   rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles"}, Verbs: []string{"escalate"}},
			events: []string{event(map[string]any{"verb": "update", "objectRef": map[string]any{"resource": "roles", "apiGroup": "rbac.authorization.k8s.io", "namespace": "ns", "name": "x"}})}, want: 1},
		{name: "create on a collection never matches resourceNames", subject: alice,
			rule:   rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}, ResourceNames: []string{"s1"}},
			events: []string{event(map[string]any{"verb": "create"})}, want: 0},
		{name: "subresource create keeps the name", subject: alice,
			rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}, ResourceNames: []string{"sa1"}},
			events: []string{event(map[string]any{"verb": "create",
				"objectRef": map[string]any{"resource": "serviceaccounts", "subresource": "token", "namespace": "ns", "name": "sa1"}})}, want: 1},
		{name: "pods/* is a literal", subject: alice,
			rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/*"}, Verbs: []string{"create"}},
			events: []string{event(map[string]any{"verb": "create",
				"objectRef": map[string]any{"resource": "pods", "subresource": "exec", "namespace": "ns", "name": "p"}})}, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := replayOne(t, tc.subject, tc.scope, tc.rule, tc.exercisedBy, tc.events...)
			if f.Exercised == nil {
				t.Fatal("exercised not set after a replay")
			}
			if f.ExerciseCount != tc.want || *f.Exercised != (tc.want > 0) {
				t.Errorf("exercised=%v count=%d, want count %d", *f.Exercised, f.ExerciseCount, tc.want)
			}
			if tc.want > 0 && (len(f.Evidence) == 0 || f.Evidence[0].AuditID != "1" || f.FirstSeen == "") {
				t.Errorf("evidence %+v, first seen %q", f.Evidence, f.FirstSeen)
			}
		})
	}
}

// TestReplayMismatch: a reason naming a binding whose rules do not allow the
// request means the scanned RBAC is not what the apiserver used.
func TestReplayMismatch(t *testing.T) {
	alice := scanner.Ref{Kind: scanner.KindUser, Name: "alice"}
	binding := scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "b"}
	g := &scanner.Graph{Grants: []scanner.Grant{{Subject: scanner.Subject{Ref: alice}, Binding: binding, Role: scanner.Ref{Kind: "ClusterRole", Name: "r"},
		Rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}}}
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, []byte(event(nil)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), []string{log}, g, nil, nil, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributed != 1 || res.Mismatches != 1 || len(res.Diagnostics) != 1 || !strings.Contains(res.Diagnostics[0].Message, "audit.log:1") {
		t.Errorf("attributed=%d mismatches=%d diagnostics=%v", res.Attributed, res.Mismatches, res.Diagnostics)
	}
}

// TestReplayAuditOnly: without scanned RBAC there is nothing for a reason
// to disagree with, so no mismatch is reported.
func TestReplayAuditOnly(t *testing.T) {
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, []byte(event(nil)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), []string{log}, &scanner.Graph{}, nil, nil, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mismatches != 0 || len(res.Diagnostics) != 0 {
		t.Errorf("mismatches=%d diagnostics=%v", res.Mismatches, res.Diagnostics)
	}
}

// TestReplayRejectedLog: a log none of whose lines is an audit event is an
// error, not an empty run.
func TestReplayRejectedLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, []byte("<html>not a log</html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Replay(context.Background(), []string{log}, &scanner.Graph{}, nil, nil, ReplayOptions{})
	if err == nil || !strings.Contains(err.Error(), "no record is a readable audit event") {
		t.Errorf("err = %v", err)
	}
}
