package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"
)

func om(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func podSpec(sa string) corev1.PodSpec { return corev1.PodSpec{ServiceAccountName: sa} }

// clusterFixture is a small cluster with one object of every listed kind,
// an aggregated ClusterRole as the controller leaves it (its rules already
// filled in), and bindings of every shape.
func clusterFixture() []runtime.Object {
	readPods := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}
	readSecrets := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}
	return []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: om("", "pod-reader", map[string]string{"agg": "true"}), Rules: []rbacv1.PolicyRule{readPods}},
		&rbacv1.ClusterRole{ObjectMeta: om("", "secret-reader", map[string]string{"agg": "true"}), Rules: []rbacv1.PolicyRule{readSecrets}},
		&rbacv1.ClusterRole{
			ObjectMeta: om("", "aggregate", nil),
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{"agg": "true"}},
			}},
			// As the aggregation controller writes them.
			Rules: []rbacv1.PolicyRule{readPods, readSecrets},
		},
		&rbacv1.Role{ObjectMeta: om("team", "exec", nil), Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}},
		}},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: om("", "ops-aggregate", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindClusterRole, Name: "aggregate"},
			Subjects: []rbacv1.Subject{
				{Kind: KindGroup, APIGroup: rbacv1.GroupName, Name: "ops"},
				{Kind: KindServiceAccount, Name: "orphan"}, // no namespace: applies to nobody
			},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: om("team", "dev-exec", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindRole, Name: "exec"},
			Subjects: []rbacv1.Subject{
				{Kind: KindServiceAccount, Name: "builder"}, // defaults to "team"
				{Kind: KindUser, APIGroup: rbacv1.GroupName, Name: "alice", Namespace: "ignored"},
			},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: om("team", "read-pods", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindClusterRole, Name: "pod-reader"},
			Subjects:   []rbacv1.Subject{{Kind: KindServiceAccount, Name: "ci", Namespace: "tools"}},
		},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "builder", Annotations: map[string]string{
			lastApplied: `{"secret":"never kept"}`, "owner": "team",
		}}},
		&corev1.Namespace{ObjectMeta: om("", "team", map[string]string{"env": "prod"})},
		&corev1.Node{ObjectMeta: om("", "node-1", nil)},
		&corev1.Secret{ObjectMeta: om("team", "token", nil), Data: map[string][]byte{"token": []byte("s3cr3t")}},
		&corev1.Pod{ObjectMeta: om("team", "pod-1", nil), Spec: corev1.PodSpec{DeprecatedServiceAccount: "legacy"}},
		&corev1.ReplicationController{ObjectMeta: om("team", "rc-1", nil)},
		&appsv1.Deployment{ObjectMeta: om("team", "web", nil), Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("web")}}},
		&appsv1.DaemonSet{ObjectMeta: om("team", "agent", nil), Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("agent")}}},
		&appsv1.StatefulSet{ObjectMeta: om("team", "db", nil), Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("db")}}},
		&appsv1.ReplicaSet{ObjectMeta: om("team", "web-1", nil), Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("")}}},
		&batchv1.Job{ObjectMeta: om("team", "migrate", nil), Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("migrator")}}},
		&batchv1.CronJob{ObjectMeta: om("team", "backup", nil), Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("backup")}}}}},
	}
}

func loadFake(t *testing.T, client kubernetes.Interface, opts ClusterOptions) *Inventory {
	t.Helper()
	inv, err := LoadCluster(context.Background(), client, opts)
	if err != nil {
		t.Fatalf("LoadCluster: %v", err)
	}
	return inv
}

func TestLoadCluster(t *testing.T) {
	inv := loadFake(t, fake.NewClientset(clusterFixture()...), ClusterOptions{})

	var got []string
	for _, r := range inv.Roles {
		line := fmt.Sprintf("%s @%s", r.Ref, r.Source)
		for _, rule := range r.Rules {
			line += fmt.Sprintf(" | %d %s @%s", rule.Index, ruleString(rule.PolicyRule), rule.Source)
		}
		if r.AggregationRule != nil {
			line += " | aggregationRule"
		}
		got = append(got, line)
	}
	for _, b := range inv.Bindings {
		line := fmt.Sprintf("%s @%s -> %s/%s", b.Ref, b.Source, b.RoleRef.Kind, b.RoleRef.Name)
		for _, s := range b.Subjects {
			line += fmt.Sprintf(" | %s @%s", s.Ref, s.Source)
		}
		got = append(got, line)
	}
	for _, o := range inv.Objects {
		line := fmt.Sprintf("%s %s @%s", o.APIVersion, o.Ref, o.Source)
		if o.ServiceAccountName != "" {
			line += " sa=" + o.ServiceAccountName
		}
		if len(o.Labels) > 0 {
			line += fmt.Sprintf(" labels=%v", o.Labels)
		}
		if len(o.Annotations) > 0 {
			line += fmt.Sprintf(" annotations=%v", o.Annotations)
		}
		got = append(got, line)
	}
	for _, d := range inv.Diagnostics {
		got = append(got, fmt.Sprintf("%s: %s @%s", d.Severity, d.Message, d.Location))
	}
	want := []string{
		"ClusterRole/aggregate @ClusterRole/aggregate" +
			" | 0 groups= resources=pods verbs=get,list @ClusterRole/aggregate | 1 groups= resources=secrets verbs=get @ClusterRole/aggregate | aggregationRule",
		"ClusterRole/pod-reader @ClusterRole/pod-reader | 0 groups= resources=pods verbs=get,list @ClusterRole/pod-reader",
		"ClusterRole/secret-reader @ClusterRole/secret-reader | 0 groups= resources=secrets verbs=get @ClusterRole/secret-reader",
		"Role/team/exec @Role/team/exec | 0 groups= resources=pods/exec verbs=create @Role/team/exec",
		"ClusterRoleBinding/ops-aggregate @ClusterRoleBinding/ops-aggregate -> ClusterRole/aggregate" +
			" | Group/ops @ClusterRoleBinding/ops-aggregate | ServiceAccount/orphan @ClusterRoleBinding/ops-aggregate",
		"RoleBinding/team/dev-exec @RoleBinding/team/dev-exec -> Role/exec" +
			" | ServiceAccount/team/builder @RoleBinding/team/dev-exec | User/alice @RoleBinding/team/dev-exec",
		"RoleBinding/team/read-pods @RoleBinding/team/read-pods -> ClusterRole/pod-reader" +
			" | ServiceAccount/tools/ci @RoleBinding/team/read-pods",
		"v1 ServiceAccount/team/builder @ServiceAccount/team/builder annotations=map[owner:team]",
		"v1 Namespace/team @Namespace/team labels=map[env:prod]",
		"v1 Node/node-1 @Node/node-1",
		"v1 Pod/team/pod-1 @Pod/team/pod-1 sa=legacy",
		"v1 ReplicationController/team/rc-1 @ReplicationController/team/rc-1 sa=default",
		"apps/v1 Deployment/team/web @Deployment/team/web sa=web",
		"apps/v1 DaemonSet/team/agent @DaemonSet/team/agent sa=agent",
		"apps/v1 StatefulSet/team/db @StatefulSet/team/db sa=db",
		"apps/v1 ReplicaSet/team/web-1 @ReplicaSet/team/web-1 sa=default",
		"batch/v1 Job/team/migrate @Job/team/migrate sa=migrator",
		"batch/v1 CronJob/team/backup @CronJob/team/backup sa=backup",
		`warning: ClusterRoleBinding "ops-aggregate": subjects[1]: ServiceAccount "orphan" has no namespace; in a ClusterRoleBinding it applies to nobody @ClusterRoleBinding/ops-aggregate`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	if len(inv.NotEvaluated) != 0 {
		t.Errorf("NotEvaluated = %v, want none", inv.NotEvaluated)
	}
}

// TestLoadClusterNoSecrets checks that Secrets are never requested, so
// their data never reaches memory.
func TestLoadClusterNoSecrets(t *testing.T) {
	client := fake.NewClientset(clusterFixture()...)
	loadFake(t, client, ClusterOptions{})
	var resources []string
	for _, a := range client.Actions() {
		if a.GetVerb() != "list" {
			t.Errorf("unexpected %s %s", a.GetVerb(), a.GetResource().Resource)
		}
		resources = append(resources, a.GetResource().Resource)
	}
	if diff := cmp.Diff(ClusterResources(), resources); diff != "" {
		t.Errorf("listed resources (-want +got):\n%s", diff)
	}
	if slices.Contains(resources, "secrets") {
		t.Error("secrets were listed")
	}
}

// pager makes resource answer in pages of one object, each with a continue
// token naming the next, and records the options of every request.
type pager struct {
	pages [][]runtime.Object
	opts  []metav1.ListOptions
}

func (p *pager) react(list func(items []runtime.Object, cont string) runtime.Object) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		o := a.(k8stesting.ListActionImpl).GetListOptions()
		p.opts = append(p.opts, o)
		i := len(p.opts) - 1
		if o.Continue != "" {
			if _, err := fmt.Sscanf(o.Continue, "page-%d", &i); err != nil {
				return true, nil, apierrors.NewBadRequest("bad continue token " + o.Continue)
			}
		}
		cont := ""
		if i+1 < len(p.pages) {
			cont = fmt.Sprintf("page-%d", i+1)
		}
		return true, list(p.pages[i], cont), nil
	}
}

func TestLoadClusterPagination(t *testing.T) {
	client := fake.NewClientset()
	roles := &pager{}
	for i := range 3 {
		roles.pages = append(roles.pages, []runtime.Object{&rbacv1.Role{ObjectMeta: om("ns", fmt.Sprintf("r%d", i), nil)}})
	}
	client.PrependReactor("list", "roles", roles.react(func(items []runtime.Object, cont string) runtime.Object {
		l := &rbacv1.RoleList{ListMeta: metav1.ListMeta{Continue: cont}}
		for _, it := range items {
			l.Items = append(l.Items, *it.(*rbacv1.Role))
		}
		return l
	}))
	crbs := &pager{}
	for i := range 2 {
		crbs.pages = append(crbs.pages, []runtime.Object{&rbacv1.ClusterRoleBinding{ObjectMeta: om("", fmt.Sprintf("b%d", i), nil)}})
	}
	client.PrependReactor("list", "clusterrolebindings", crbs.react(func(items []runtime.Object, cont string) runtime.Object {
		l := &rbacv1.ClusterRoleBindingList{ListMeta: metav1.ListMeta{Continue: cont}}
		for _, it := range items {
			l.Items = append(l.Items, *it.(*rbacv1.ClusterRoleBinding))
		}
		return l
	}))

	inv := loadFake(t, client, ClusterOptions{PageSize: 1})
	var names []string
	for _, r := range inv.Roles {
		names = append(names, r.Name)
	}
	for _, b := range inv.Bindings {
		names = append(names, b.Name)
	}
	if diff := cmp.Diff([]string{"r0", "r1", "r2", "b0", "b1"}, names); diff != "" {
		t.Errorf("objects from all pages (-want +got):\n%s", diff)
	}
	if len(roles.opts) != 3 || len(crbs.opts) != 2 {
		t.Fatalf("requests: roles %d, clusterrolebindings %d; want 3 and 2", len(roles.opts), len(crbs.opts))
	}
	// The fake keeps Limit and Continue for namespaced lists only.
	for i, o := range roles.opts {
		want := metav1.ListOptions{Limit: 1}
		if i > 0 {
			want.Continue = fmt.Sprintf("page-%d", i)
		}
		if o.Limit != want.Limit || o.Continue != want.Continue {
			t.Errorf("roles request %d: limit %d continue %q; want %d %q", i, o.Limit, o.Continue, want.Limit, want.Continue)
		}
	}
}

func TestLoadClusterDefaultPageSize(t *testing.T) {
	client := fake.NewClientset()
	var limit int64
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		limit = a.(k8stesting.ListActionImpl).GetListOptions().Limit
		return false, nil, nil
	})
	loadFake(t, client, ClusterOptions{})
	if limit != DefaultPageSize {
		t.Errorf("limit = %d, want %d", limit, DefaultPageSize)
	}
}

func TestLoadClusterExpiredContinue(t *testing.T) {
	client := fake.NewClientset(&rbacv1.Role{ObjectMeta: om("ns", "r", nil)})
	calls := 0
	client.PrependReactor("list", "roles", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		switch calls {
		case 1:
			return true, &rbacv1.RoleList{ListMeta: metav1.ListMeta{Continue: "stale"},
				Items: []rbacv1.Role{{ObjectMeta: om("ns", "partial", nil)}}}, nil
		case 2:
			return true, nil, apierrors.NewResourceExpired("continue token expired")
		}
		return false, nil, nil // the tracker's full list
	})
	inv := loadFake(t, client, ClusterOptions{})
	if len(inv.Roles) != 1 || inv.Roles[0].Name != "r" {
		t.Errorf("roles = %v, want only r from the restarted list", inv.Roles)
	}
}

var gr = func(resource string) schema.GroupResource {
	return schema.GroupResource{Group: rbacv1.GroupName, Resource: resource}
}

func forbid(client *fake.Clientset, resource string) {
	client.PrependReactor("list", resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gr(resource), "",
			fmt.Errorf("User \"system:serviceaccount:kubegrant:kubegrant\" cannot list resource %q in API group %q at the cluster scope", resource, rbacv1.GroupName))
	})
}

func TestLoadClusterForbidden(t *testing.T) {
	client := fake.NewClientset(clusterFixture()...)
	forbid(client, "rolebindings")
	client.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewUnauthorized("token expired")
	})
	inv := loadFake(t, client, ClusterOptions{})

	if diff := cmp.Diff([]string{"rolebindings", "nodes"}, inv.NotEvaluated); diff != "" {
		t.Errorf("NotEvaluated (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, d := range inv.Diagnostics {
		if d.Severity == DiagError {
			msgs = append(msgs, d.Message)
		}
	}
	want := []string{
		`not evaluated: cannot list rolebindings (forbidden): User "system:serviceaccount:kubegrant:kubegrant" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope`,
		`not evaluated: cannot list nodes (unauthorized): token expired`,
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("error diagnostics (-want +got):\n%s", diff)
	}
	// The rest still loads.
	kinds := map[string]int{}
	for _, b := range inv.Bindings {
		kinds[b.Kind]++
	}
	for _, o := range inv.Objects {
		kinds[o.Kind]++
	}
	if kinds[KindRoleBinding] != 0 || kinds[KindClusterRoleBinding] != 1 || kinds["Node"] != 0 || kinds["Deployment"] != 1 || len(inv.Roles) != 4 {
		t.Errorf("loaded %v and %d roles; want the ClusterRoleBinding, no RoleBinding or Node, the rest", kinds, len(inv.Roles))
	}
}

func TestLoadClusterErrors(t *testing.T) {
	allRBAC := []string{"clusterroles", "roles", "clusterrolebindings", "rolebindings"}
	t.Run("all RBAC forbidden", func(t *testing.T) {
		client := fake.NewClientset(clusterFixture()...)
		for _, r := range allRBAC {
			forbid(client, r)
		}
		_, err := LoadCluster(context.Background(), client, ClusterOptions{})
		if err == nil {
			t.Fatal("no error")
		}
		for _, r := range allRBAC {
			if !strings.Contains(err.Error(), "cannot list "+r+" (forbidden)") {
				t.Errorf("error %q does not name %s", err, r)
			}
		}
		if n := len(client.Actions()); n != len(allRBAC) {
			t.Errorf("%d requests; want the %d RBAC lists only", n, len(allRBAC))
		}
	})
	t.Run("three RBAC kinds forbidden", func(t *testing.T) {
		client := fake.NewClientset(clusterFixture()...)
		for _, r := range allRBAC[1:] {
			forbid(client, r)
		}
		inv, err := LoadCluster(context.Background(), client, ClusterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allRBAC[1:], inv.NotEvaluated); diff != "" {
			t.Errorf("NotEvaluated (-want +got):\n%s", diff)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		client := fake.NewClientset()
		dialErr := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
		client.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, dialErr
		})
		_, err := LoadCluster(context.Background(), client, ClusterOptions{})
		if !errors.Is(err, dialErr) {
			t.Errorf("err = %v, want the dial error", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		client := fake.NewClientset(clusterFixture()...)
		client.PrependReactor("list", "cronjobs", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "batch", Resource: "cronjobs"}, "")
		})
		inv, err := LoadCluster(context.Background(), client, ClusterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"cronjobs"}, inv.NotEvaluated); diff != "" {
			t.Errorf("NotEvaluated (-want +got):\n%s", diff)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		client := fake.NewClientset(clusterFixture()...)
		client.PrependReactor("list", "roles", func(k8stesting.Action) (bool, runtime.Object, error) {
			cancel()
			return false, nil, nil
		})
		_, err := LoadCluster(ctx, client, ClusterOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := len(client.Actions()); n != 2 {
			t.Errorf("%d requests after cancel; want listing to stop after roles", n)
		}
	})
}

// TestLoadClusterAggregated checks that a live aggregated ClusterRole,
// which already carries the rules the controller copied into it, does not
// give each rule twice.
func TestLoadClusterAggregated(t *testing.T) {
	inv := loadFake(t, fake.NewClientset(clusterFixture()...), ClusterOptions{})
	g := Resolve(inv)
	var got []string
	for _, gr := range g.Grants {
		if gr.Binding.Name == "ops-aggregate" {
			got = append(got, fmt.Sprintf("%s %s from=%v @%s", gr.Subject.Ref, ruleString(gr.Rule), gr.AggregatedFrom, gr.RuleSource))
		}
	}
	want := []string{
		"Group/ops groups= resources=pods verbs=get,list from=<nil> @ClusterRole/aggregate",
		"Group/ops groups= resources=secrets verbs=get from=<nil> @ClusterRole/aggregate",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grants of ops-aggregate (-want +got):\n%s", diff)
	}
	for _, d := range g.Diagnostics {
		if strings.Contains(d.Message, "aggregationRule") {
			t.Errorf("unexpected diagnostic for a live aggregated role: %s", d.Message)
		}
	}
}

// grantKeys renders grants without their sources, so that a cluster and a
// manifest inventory of the same objects can be compared.
func grantKeys(g *Graph) []string {
	var out []string
	for _, gr := range g.Grants {
		out = append(out, fmt.Sprintf("%s <- %s -> %s [%s] %s", gr.Subject.Ref, gr.Binding, gr.Role, gr.Scope, ruleString(gr.Rule)))
	}
	slices.Sort(out)
	return out
}

// TestLoadClusterMatchesManifests checks that the same objects resolve to
// the same grants whether listed from a cluster or read from manifests.
func TestLoadClusterMatchesManifests(t *testing.T) {
	objs := clusterFixture()
	var docs []string
	for _, o := range objs {
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		o = o.DeepCopyObject()
		o.GetObjectKind().SetGroupVersionKind(gvks[0])
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(data))
	}
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, []byte(strings.Join(docs, "---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFiles, err := LoadManifests([]string{file}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromCluster := loadFake(t, fake.NewClientset(objs...), ClusterOptions{})

	want, got := Resolve(fromFiles), Resolve(fromCluster)
	if len(want.Grants) == 0 {
		t.Fatal("no grants from manifests")
	}
	if diff := cmp.Diff(grantKeys(want), grantKeys(got)); diff != "" {
		t.Errorf("grants (-manifests +cluster):\n%s", diff)
	}
	refs := func(g *Graph) []string {
		var out []string
		for _, o := range g.Objects {
			if o.Kind != "Secret" { // never listed from a cluster
				out = append(out, fmt.Sprintf("%s %s sa=%s", o.APIVersion, o.Ref, o.ServiceAccountName))
			}
		}
		return out
	}
	if diff := cmp.Diff(refs(want), refs(got)); diff != "" {
		t.Errorf("objects (-manifests +cluster):\n%s", diff)
	}
}

const testKubeconfig = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: "https://dev.example.com:6443"}
- name: prod-cluster
  cluster: {server: "https://prod.example.com:6443"}
users:
- name: reader
  user: {token: "not-a-real-token"}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: reader}
- name: prod
  context: {cluster: prod-cluster, user: reader}
`

func TestClusterClient(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(file, []byte(testKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		context, wantHost, wantName string
	}{
		{"", "dev.example.com:6443", "dev-cluster"},
		{"prod", "prod.example.com:6443", "prod-cluster"},
	} {
		t.Run("context="+tc.context, func(t *testing.T) {
			opts := ClusterOptions{Kubeconfig: file, Context: tc.context}
			cfg, name, err := restConfig(opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != "https://"+tc.wantHost || name != tc.wantName {
				t.Errorf("restConfig = %s %q, want https://%s %q", cfg.Host, name, tc.wantHost, tc.wantName)
			}
			client, name, err := ClusterClient(opts)
			if err != nil {
				t.Fatal(err)
			}
			host := client.(*kubernetes.Clientset).CoreV1().RESTClient().Get().URL().Host
			if host != tc.wantHost || name != tc.wantName {
				t.Errorf("ClusterClient = %s %q, want %s %q", host, name, tc.wantHost, tc.wantName)
			}
		})
	}
	t.Run("unknown context", func(t *testing.T) {
		if _, _, err := ClusterClient(ClusterOptions{Kubeconfig: file, Context: "nope"}); err == nil {
			t.Error("no error for an unknown context")
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, _, err := ClusterClient(ClusterOptions{Kubeconfig: filepath.Join(t.TempDir(), "none")}); err == nil {
			t.Error("no error for a missing kubeconfig")
		}
	})
}

// TestReaderRole checks that deploy/kubegrant-reader.yaml grants list, and
// nothing else, on exactly the resources LoadCluster lists.
func TestReaderRole(t *testing.T) {
	// The plain manifest and the Helm chart of the posture job.
	for _, tc := range []struct{ path, role string }{
		{filepath.Join("..", "deploy", "kubegrant-reader.yaml"), "kubegrant-reader"},
		{filepath.Join("..", "deploy", "helm", "kubegrant"), "release-name-kubegrant-reader"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			inv, err := LoadManifests([]string{tc.path}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Diagnostics) != 0 {
				t.Errorf("diagnostics: %v", inv.Diagnostics)
			}
			var granted []string
			for _, r := range inv.Roles {
				if r.Ref != (Ref{Kind: KindClusterRole, Name: tc.role}) {
					t.Errorf("unexpected role %s", r.Ref)
					continue
				}
				for _, rule := range r.Rules {
					if !slices.Equal(rule.Verbs, []string{"list"}) || len(rule.ResourceNames) > 0 || len(rule.NonResourceURLs) > 0 {
						t.Errorf("rule %d: %s; want verbs [list] only", rule.Index, ruleString(rule.PolicyRule))
					}
					granted = append(granted, rule.Resources...)
				}
			}
			want := ClusterResources()
			slices.Sort(want)
			slices.Sort(granted)
			if diff := cmp.Diff(want, granted); diff != "" {
				t.Errorf("resources granted (-listed +granted):\n%s", diff)
			}
		})
	}
}
