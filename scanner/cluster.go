package scanner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ClusterOptions select the cluster and how it is read.
type ClusterOptions struct {
	// Kubeconfig is the kubeconfig file; "" uses the default loading
	// rules: $KUBECONFIG, ~/.kube/config, or the in-cluster config when
	// running in a pod.
	Kubeconfig string
	// Context is the kubeconfig context; "" uses the current one.
	Context string
	// PageSize is the number of objects asked for per List request;
	// 0 or less means DefaultPageSize.
	PageSize int64
}

// DefaultPageSize is the List page size when ClusterOptions.PageSize is not
// set: the size kubectl uses (--chunk-size).
const DefaultPageSize = 500

// inClusterName is the cluster name ClusterClient returns when the config
// comes from the pod's service account rather than a kubeconfig.
const inClusterName = "in-cluster"

// ClusterClient builds a client for the cluster opts select, and returns the
// name of the cluster (the kubeconfig context's cluster, or "in-cluster")
// for reports. It reads configuration only and makes no request, so an
// unreachable server is reported by LoadCluster.
func ClusterClient(opts ClusterOptions) (kubernetes.Interface, string, error) {
	cfg, name, err := restConfig(opts)
	if err != nil {
		return nil, "", err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("creating cluster client: %w", err)
	}
	return client, name, nil
}

// noClusterConfig explains, in kubegrant's terms, that no cluster
// configuration was found: what was tried, in kubectl's order, and how to
// fix it (client-go's own message is about KUBERNETES_MASTER).
func noClusterConfig(opts ClusterOptions) error {
	var tried []string
	switch env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); {
	case opts.Kubeconfig != "":
		tried = append(tried, fmt.Sprintf("--kubeconfig %s (no cluster in it)", opts.Kubeconfig))
	case env != "":
		tried = append(tried, fmt.Sprintf("$KUBECONFIG=%s (no cluster in it)", env))
	default:
		tried = append(tried, "--kubeconfig (not given)", "$KUBECONFIG (not set)")
		home := clientcmd.RecommendedHomeFile
		if _, err := os.Stat(home); err != nil {
			tried = append(tried, home+" (not found)")
		} else {
			tried = append(tried, home+" (no cluster in it)")
		}
	}
	tried = append(tried, "in-cluster config (not in a pod: KUBERNETES_SERVICE_HOST is not set)")
	return fmt.Errorf("no cluster configuration found; tried %s. Pass --kubeconfig FILE (and --context NAME), "+
		"set $KUBECONFIG, or run kubegrant in a pod with a ServiceAccount (deploy/kubegrant-reader.yaml)", strings.Join(tried, ", "))
}

// restConfig loads the client configuration as kubectl does.
func restConfig(opts ClusterOptions) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, "", noClusterConfig(opts)
		}
		return nil, "", fmt.Errorf("loading cluster config: %w", err)
	}
	name := inClusterName
	if raw, err := cc.RawConfig(); err == nil {
		ctxName := opts.Context
		if ctxName == "" {
			ctxName = raw.CurrentContext
		}
		if c, ok := raw.Contexts[ctxName]; ok && c.Cluster != "" {
			name = c.Cluster
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "kubegrant"
	// The default 5 requests per second would make paging through a
	// large cluster's pods take minutes; a scan is a short burst of reads.
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst == 0 {
		cfg.Burst = 100
	}
	return cfg, name, nil
}

// clusterKind is one kind LoadCluster lists.
type clusterKind struct {
	// resource is the plural resource name, as RBAC and messages name it.
	resource string
	rbac     bool
	// list fetches one page, converts its items into inv and returns the
	// continue token.
	list func(ctx context.Context, c kubernetes.Interface, opts metav1.ListOptions, inv *Inventory) (string, error)
}

// clusterKinds are listed in this order. Secrets are not listed: RBAC
// cannot grant a metadata-only list, and "list secrets" would let the
// scanner read every Secret's data, the very grant kubegrant flags.
var clusterKinds = []clusterKind{
	{resource: "clusterroles", rbac: true, list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.RbacV1().ClusterRoles().List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Roles = append(inv.Roles, roleFromAPI(KindClusterRole, &x.ObjectMeta, x.Rules, x.AggregationRule))
		}
		return l.Continue, nil
	}},
	{resource: "roles", rbac: true, list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.RbacV1().Roles(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Roles = append(inv.Roles, roleFromAPI(KindRole, &x.ObjectMeta, x.Rules, nil))
		}
		return l.Continue, nil
	}},
	{resource: "clusterrolebindings", rbac: true, list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.RbacV1().ClusterRoleBindings().List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			bindingFromAPI(KindClusterRoleBinding, &x.ObjectMeta, x.RoleRef, x.Subjects, inv)
		}
		return l.Continue, nil
	}},
	{resource: "rolebindings", rbac: true, list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.RbacV1().RoleBindings(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			bindingFromAPI(KindRoleBinding, &x.ObjectMeta, x.RoleRef, x.Subjects, inv)
		}
		return l.Continue, nil
	}},
	{resource: "serviceaccounts", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.CoreV1().ServiceAccounts(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			o := objectFromAPI("ServiceAccount", "v1", &l.Items[i].ObjectMeta, nil)
			o.AutomountToken = l.Items[i].AutomountServiceAccountToken
			inv.Objects = append(inv.Objects, o)
		}
		return l.Continue, nil
	}},
	{resource: "namespaces", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.CoreV1().Namespaces().List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			inv.Objects = append(inv.Objects, objectFromAPI("Namespace", "v1", &l.Items[i].ObjectMeta, nil))
		}
		return l.Continue, nil
	}},
	{resource: "nodes", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.CoreV1().Nodes().List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			inv.Objects = append(inv.Objects, objectFromAPI("Node", "v1", &l.Items[i].ObjectMeta, nil))
		}
		return l.Continue, nil
	}},
	{resource: "pods", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.CoreV1().Pods(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("Pod", "v1", &x.ObjectMeta, &x.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "replicationcontrollers", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.CoreV1().ReplicationControllers(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			var spec *corev1.PodSpec
			if x.Spec.Template != nil {
				spec = &x.Spec.Template.Spec
			}
			inv.Objects = append(inv.Objects, objectFromAPI("ReplicationController", "v1", &x.ObjectMeta, orEmpty(spec)))
		}
		return l.Continue, nil
	}},
	{resource: "deployments", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.AppsV1().Deployments(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("Deployment", appsv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "daemonsets", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("DaemonSet", appsv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "statefulsets", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.AppsV1().StatefulSets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("StatefulSet", appsv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "replicasets", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.AppsV1().ReplicaSets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("ReplicaSet", appsv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "jobs", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.BatchV1().Jobs(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("Job", batchv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
	{resource: "cronjobs", list: func(ctx context.Context, c kubernetes.Interface, o metav1.ListOptions, inv *Inventory) (string, error) {
		l, err := c.BatchV1().CronJobs(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			x := &l.Items[i]
			inv.Objects = append(inv.Objects, objectFromAPI("CronJob", batchv1.SchemeGroupVersion.String(), &x.ObjectMeta, &x.Spec.JobTemplate.Spec.Template.Spec))
		}
		return l.Continue, nil
	}},
}

// ClusterResources returns the resources LoadCluster lists (plural names,
// in listing order); the read-only ClusterRole in deploy/ grants exactly
// these.
func ClusterResources() []string {
	out := make([]string, len(clusterKinds))
	for i, k := range clusterKinds {
		out[i] = k.resource
	}
	return out
}

// LoadCluster lists the RBAC objects and the objects kept for analysis from
// a live cluster, page by page, and converts them to the same model as
// LoadManifests. Every object, rule and subject gets Source{Cluster:
// "Kind/namespace/name"} of its object. Secrets are not read at all.
//
// A kind the credentials may not list (401/403), or that the server does
// not serve, is not fatal: it becomes an error Diagnostic "not evaluated:
// cannot list <kind> (forbidden): <reason>" and an entry of
// Inventory.NotEvaluated, and the other kinds are still listed; nothing
// that depends on it may be reported as passing. LoadCluster returns an
// error when the server cannot be reached, when none of the four RBAC kinds
// can be listed, or when ctx is done.
func LoadCluster(ctx context.Context, client kubernetes.Interface, opts ClusterOptions) (*Inventory, error) {
	pageSize := opts.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	inv := &Inventory{}
	rbacLoaded := false
	var rbacErrs []string
	for _, k := range clusterKinds {
		if !k.rbac && !rbacLoaded {
			// The RBAC kinds come first: without any of them there is
			// nothing to resolve, and no point listing the rest.
			return nil, fmt.Errorf("cannot list any RBAC object: %s", strings.Join(rbacErrs, "; "))
		}
		part, err := listKind(ctx, client, k, pageSize)
		if err == nil {
			inv.Add(part)
			rbacLoaded = rbacLoaded || k.rbac
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("listing %s: %w", k.resource, ctxErr)
		}
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			// No answer from the API server at all: connection
			// refused, DNS, TLS, timeouts.
			return nil, fmt.Errorf("listing %s: %w", k.resource, err)
		}
		msg := fmt.Sprintf("cannot list %s (%s): %s", k.resource, errorClass(err), shortReason(err))
		if k.rbac {
			rbacErrs = append(rbacErrs, msg)
		}
		inv.NotEvaluated = append(inv.NotEvaluated, k.resource)
		inv.Diagnostics = append(inv.Diagnostics, Diagnostic{Severity: DiagError, Message: "not evaluated: " + msg})
	}
	return inv, nil
}

// listKind lists every page of one kind. The kind's objects are only kept
// when every page was read, so a kind is either complete or not evaluated.
func listKind(ctx context.Context, client kubernetes.Interface, k clusterKind, pageSize int64) (*Inventory, error) {
	restarted := false
	for {
		part := &Inventory{}
		cont := ""
		var err error
		for {
			if err = ctx.Err(); err != nil {
				return nil, err
			}
			cont, err = k.list(ctx, client, metav1.ListOptions{Limit: pageSize, Continue: cont}, part)
			if err != nil || cont == "" {
				break
			}
		}
		if err == nil {
			return part, nil
		}
		// A continue token expires after a few minutes (410 Gone); a
		// very large kind is listed again from the start, once.
		if apierrors.IsResourceExpired(err) && !restarted {
			restarted = true
			continue
		}
		return nil, err
	}
}

// errorClass names the kind of API error for the diagnostic.
func errorClass(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsUnauthorized(err):
		return "unauthorized"
	case apierrors.IsNotFound(err):
		return "not served"
	default:
		return strings.ToLower(string(apierrors.ReasonForError(err)))
	}
}

// shortReason is the server's message without the "<resource> is
// forbidden: " prefix the class already says.
func shortReason(err error) string {
	msg := err.Error()
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		msg = status.Status().Message
	}
	for _, sep := range []string{" is forbidden: ", "Unauthorized: "} {
		if _, rest, ok := strings.Cut(msg, sep); ok && rest != "" {
			return rest
		}
	}
	return msg
}

// clusterSource is the Source of an object listed from the cluster.
func clusterSource(ref Ref) Source {
	return Source{Cluster: ref.String()}
}

// keptAnnotations copies an object's annotations without kubectl's
// last-applied copy of the object, as the manifest loader does.
func keptAnnotations(a map[string]string) map[string]string {
	if len(a) == 0 {
		return nil
	}
	out := maps.Clone(a)
	delete(out, lastApplied)
	if len(out) == 0 {
		return nil
	}
	return out
}

// roleFromAPI converts a Role or ClusterRole read from the API.
func roleFromAPI(kind string, m *metav1.ObjectMeta, rules []rbacv1.PolicyRule, agg *rbacv1.AggregationRule) *Role {
	ref := Ref{Kind: kind, Name: m.Name, Namespace: m.Namespace}
	if kind == KindClusterRole {
		ref.Namespace = ""
	}
	src := clusterSource(ref)
	r := &Role{Ref: ref, Labels: maps.Clone(m.Labels), Annotations: KubegrantAnnotations(m.Annotations), Source: src, Rules: make([]Rule, len(rules))}
	for i, pr := range rules {
		r.Rules[i] = Rule{PolicyRule: *pr.DeepCopy(), Index: i, Source: src}
	}
	if agg != nil {
		r.AggregationRule = agg.DeepCopy()
	}
	return r
}

// bindingFromAPI converts a RoleBinding or ClusterRoleBinding read from the
// API, with the subject defaults and warnings of the manifest loader.
func bindingFromAPI(kind string, m *metav1.ObjectMeta, rr rbacv1.RoleRef, subjects []rbacv1.Subject, inv *Inventory) {
	ref := Ref{Kind: kind, Name: m.Name, Namespace: m.Namespace}
	if kind == KindClusterRoleBinding {
		ref.Namespace = ""
	}
	src := clusterSource(ref)
	b := &Binding{Ref: ref, RoleRef: rr, Annotations: KubegrantAnnotations(m.Annotations), Source: src, Subjects: make([]Subject, 0, len(subjects))}
	for i, s := range subjects {
		sub := Subject{Ref: Ref{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}, Source: src}
		if msg := defaultSubject(b, &sub, fmt.Sprintf("subjects[%d]", i)); msg != "" {
			inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
				Severity: DiagWarning,
				Message:  msg,
				Location: src,
			})
		}
		b.Subjects = append(b.Subjects, sub)
	}
	inv.Bindings = append(inv.Bindings, b)
}

// objectFromAPI converts an object kept for analysis; spec is the pod spec
// of pods and workloads, nil for other kinds.
func objectFromAPI(kind, apiVersion string, m *metav1.ObjectMeta, spec *corev1.PodSpec) *Object {
	ref := Ref{Kind: kind, Name: m.Name, Namespace: m.Namespace}
	if clusterScoped[kind] {
		ref.Namespace = ""
	}
	o := &Object{
		Ref:         ref,
		APIVersion:  apiVersion,
		Labels:      maps.Clone(m.Labels),
		Annotations: keptAnnotations(m.Annotations),
		Source:      clusterSource(ref),
	}
	if spec != nil {
		o.ServiceAccountName = podServiceAccount(spec)
		o.AutomountToken = spec.AutomountServiceAccountToken
	}
	return o
}

// podServiceAccount is the pod spec's service account, with the defaults
// of the manifest loader: serviceAccountName, else the deprecated
// serviceAccount, else "default" as the admission controller sets it.
func podServiceAccount(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}

// orEmpty returns spec, or an empty pod spec (whose service account
// defaults to "default") when a workload has no template.
func orEmpty(spec *corev1.PodSpec) *corev1.PodSpec {
	if spec == nil {
		return &corev1.PodSpec{}
	}
	return spec
}
