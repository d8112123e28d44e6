package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubegrant/kubegrant/internal/kastest"
	"github.com/kubegrant/kubegrant/scanner"
)

// bootstrapLabel marks the objects of Kubernetes' bootstrap RBAC policy.
const bootstrapLabel = "kubernetes.io/bootstrapping"

// builtinView is what must agree between the embedded bootstrap policy and
// a live cluster: everything but where the object was read from.
type builtinView struct {
	Labels          map[string]string
	Rules           []rbacv1.PolicyRule
	AggregationRule *rbacv1.AggregationRule
	RoleRef         string
	Subjects        []scanner.Ref
}

func roleView(r *scanner.Role) builtinView {
	v := builtinView{Labels: r.Labels, AggregationRule: r.AggregationRule}
	for _, rule := range r.Rules {
		v.Rules = append(v.Rules, rule.PolicyRule)
	}
	return v
}

func bindingView(b *scanner.Binding) builtinView {
	v := builtinView{RoleRef: b.RoleRef.Kind + "/" + b.RoleRef.Name}
	for _, s := range b.Subjects {
		v.Subjects = append(v.Subjects, s.Ref)
	}
	return v
}

// TestE2EBuiltinRBAC checks the embedded bootstrap policy
// (scanner.BuiltinRoles, scanner.BuiltinBindings) against what a real
// kube-apiserver of the same release creates at start-up: the objects
// labelled kubernetes.io/bootstrapping are the same roles and bindings, and,
// read with the loader of `scan --cluster`, have the same labels, rules,
// aggregation rules, role references and subjects. The test cluster runs no
// controller manager, so admin, edit and view hold no aggregated rules there,
// as in the policy.
func TestE2EBuiltinRBAC(t *testing.T) {
	c := kastest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clientset(t, c.Admin())

	// Which objects the apiserver created as its bootstrap policy.
	sel := metav1.ListOptions{LabelSelector: bootstrapLabel}
	bootstrap := map[scanner.Ref]bool{}
	add := func(kind, ns, name string) { bootstrap[scanner.Ref{Kind: kind, Namespace: ns, Name: name}] = true }
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range crs.Items {
		add(scanner.KindClusterRole, "", o.Name)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range crbs.Items {
		add(scanner.KindClusterRoleBinding, "", o.Name)
	}
	rs, err := cs.RbacV1().Roles("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rs.Items {
		add(scanner.KindRole, o.Namespace, o.Name)
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rbs.Items {
		add(scanner.KindRoleBinding, o.Namespace, o.Name)
	}
	if len(bootstrap) < 100 {
		t.Fatalf("the cluster serves %d objects labelled %s, want the bootstrap policy", len(bootstrap), bootstrapLabel)
	}

	// What they hold, read as scan --cluster reads them.
	inv, err := scanner.LoadCluster(ctx, cs, scanner.ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NotEvaluated) > 0 {
		t.Fatalf("admin could not list %v", inv.NotEvaluated)
	}
	live := map[scanner.Ref]builtinView{}
	for _, r := range inv.Roles {
		if bootstrap[r.Ref] {
			live[r.Ref] = roleView(r)
		}
	}
	for _, b := range inv.Bindings {
		if bootstrap[b.Ref] {
			live[b.Ref] = bindingView(b)
		}
	}
	embedded := map[scanner.Ref]builtinView{}
	for _, r := range scanner.BuiltinRoles() {
		embedded[r.Ref] = roleView(r)
	}
	for _, b := range scanner.BuiltinBindings() {
		embedded[b.Ref] = bindingView(b)
	}

	for _, ref := range slices.SortedFunc(maps.Keys(bootstrap), compareRefs) {
		if _, ok := embedded[ref]; !ok {
			t.Errorf("%s: served by kube-apiserver %s, missing from the embedded policy (make bootstrap-rbac)", ref, kastest.Version)
		}
	}
	refs := slices.SortedFunc(maps.Keys(embedded), compareRefs)
	for _, ref := range refs {
		lv, ok := live[ref]
		if !ok {
			t.Errorf("%s: in the embedded policy, not served by kube-apiserver %s", ref, kastest.Version)
			continue
		}
		if diff := cmp.Diff(embedded[ref], lv); diff != "" {
			t.Errorf("%s differs (-embedded +live):\n%s", ref, diff)
		}
	}
	t.Logf("%d built-in roles and bindings compared with kube-apiserver %s", len(refs), kastest.Version)
}

func compareRefs(a, b scanner.Ref) int {
	return strings.Compare(a.String(), b.String())
}
