// Command apigen writes scanner/apis.json, the table of Kubernetes' built-in
// API resources that the scanner checks rules against (a resource or verb no
// API has is a typo) and that who-can resolves resource names with.
//
// It reads the static discovery documents Kubernetes keeps in its source tree
// (api/discovery/api__v1.json and apis__<group>__<version>.json, one
// APIResourceList per group version, generated with every API enabled) of one
// or more releases and merges them: a resource of any of the releases is
// built-in. To them it adds the names RBAC knows that no discovery document
// lists (extras below): the resources that exist only for authorization
// checks, and the legacy ones old manifests still name.
//
// Usage (see `make apis`):
//
//	go run ./internal/apigen -o scanner/apis.json DIR...
//
// where each DIR is a kubernetes/kubernetes api/discovery directory, e.g.
// $(go env GOMODCACHE)/k8s.io/kubernetes@v1.34.4/api/discovery.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// resource is one entry of the table, as scanner/apis.go reads it.
type resource struct {
	Group      string   `json:"group"`
	Resource   string   `json:"resource"`
	Kind       string   `json:"kind,omitempty"`
	Singular   string   `json:"singular,omitempty"`
	ShortNames []string `json:"shortNames,omitempty"`
	Namespaced bool     `json:"namespaced"`
	Verbs      []string `json:"verbs"`
	Versions   []string `json:"versions,omitempty"`
	// Note says why a resource that is not in discovery is in the table.
	Note string `json:"note,omitempty"`
}

type table struct {
	Comment   string     `json:"comment"`
	Releases  []string   `json:"releases"`
	Resources []resource `json:"resources"`
}

// extras are the names RBAC rules legitimately use that the discovery
// documents do not list. Verbs add to a discovered resource's verbs.
var extras = []resource{
	// Impersonation (k8s.io/apiserver pkg/endpoints/filters/impersonation.go).
	{Group: "", Resource: "users", Verbs: []string{"impersonate"}, Note: "authorization only: impersonation"},
	{Group: "", Resource: "groups", Verbs: []string{"impersonate"}, Note: "authorization only: impersonation"},
	{Group: "", Resource: "uids", Verbs: []string{"impersonate"}, Note: "authorization only: impersonation"},
	{Group: "", Resource: "serviceaccounts", Namespaced: true, Verbs: []string{"impersonate"}},
	{Group: "authentication.k8s.io", Resource: "userextras", Verbs: []string{"impersonate"}, Note: "authorization only: impersonation of user.extra keys, checked as userextras/<key>"},
	// RBAC's own checks (pkg/registry/rbac/escalation_check.go).
	{Group: "rbac.authorization.k8s.io", Resource: "roles", Namespaced: true, Verbs: []string{"bind", "escalate"}},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Verbs: []string{"bind", "escalate"}},
	// CSR signers (pkg/registry/certificates/certificates/strategy.go) and
	// ClusterTrustBundle signers (plugin/pkg/admission/certificates/ctbattest).
	{Group: "certificates.k8s.io", Resource: "signers", Verbs: []string{"approve", "sign", "attest"}, Note: "authorization only: CSR and ClusterTrustBundle signer names"},
	// Kubelet authorization (pkg/kubelet/server/auth.go): the kubelet asks
	// for nodes/<subresource> with the verb of the HTTP method.
	{Group: "", Resource: "nodes/proxy", Verbs: []string{"get", "create", "update", "patch", "delete"}},
	{Group: "", Resource: "nodes/stats", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/metrics", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/log", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/spec", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/checkpoint", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/configz", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/healthz", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	{Group: "", Resource: "nodes/pods", Verbs: []string{"get", "create", "update", "patch", "delete"}, Note: "authorization only: kubelet API"},
	// Other checks the apiserver and the controllers make on names that
	// are not served: the CSR approver's (pkg/controller/certificates/
	// approver), restricted endpoint addresses (pkg/registry/core/endpoint)
	// and DRA's binding of claims allocated outside the scheduler.
	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests/nodeclient", Verbs: []string{"create"}, Note: "authorization only: CSR auto-approval"},
	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests/selfnodeclient", Verbs: []string{"create"}, Note: "authorization only: CSR auto-approval"},
	{Group: "", Resource: "endpoints/restricted", Namespaced: true, Verbs: []string{"create", "update", "patch"}, Note: "authorization only: restricted endpoint addresses"},
	{Group: "resource.k8s.io", Resource: "resourceclaims/binding", Namespaced: true, Verbs: []string{"update", "patch"}, Note: "authorization only: DRA"},
	// The legacy proxy verb, still in the bootstrap policy.
	{Group: "", Resource: "nodes", Verbs: []string{"proxy"}},
	{Group: "", Resource: "services", Namespaced: true, Verbs: []string{"proxy"}},
	{Group: "", Resource: "pods", Namespaced: true, Verbs: []string{"proxy"}},
	// Removed APIs that RBAC in older manifests still names.
	{Group: "policy", Resource: "podsecuritypolicies", Kind: "PodSecurityPolicy", Singular: "podsecuritypolicy", ShortNames: []string{"psp"}, Verbs: []string{"use", "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}, Note: "removed in 1.25"},
	{Group: "extensions", Resource: "podsecuritypolicies", Kind: "PodSecurityPolicy", Singular: "podsecuritypolicy", ShortNames: []string{"psp"}, Verbs: []string{"use", "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "daemonsets", Namespaced: true, Kind: "DaemonSet", Singular: "daemonset", Verbs: standard, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "daemonsets/status", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "deployments", Namespaced: true, Kind: "Deployment", Singular: "deployment", Verbs: standard, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "deployments/rollback", Namespaced: true, Verbs: []string{"create"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "deployments/scale", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "deployments/status", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "ingresses", Namespaced: true, Kind: "Ingress", Singular: "ingress", Verbs: standard, Note: "removed in 1.22"},
	{Group: "extensions", Resource: "ingresses/status", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.22"},
	{Group: "extensions", Resource: "networkpolicies", Namespaced: true, Kind: "NetworkPolicy", Singular: "networkpolicy", Verbs: standard, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "replicasets", Namespaced: true, Kind: "ReplicaSet", Singular: "replicaset", Verbs: standard, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "replicasets/scale", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "replicasets/status", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "extensions", Resource: "replicationcontrollers/scale", Namespaced: true, Verbs: []string{"get", "patch", "update"}, Note: "removed in 1.16"},
	{Group: "apps", Resource: "deployments/rollback", Namespaced: true, Verbs: []string{"create"}, Note: "removed in 1.16"},
}

var standard = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

var gvFile = regexp.MustCompile(`^(api|apis__(.+))__(v[0-9a-z]+)\.json$`)

type apiResourceList struct {
	GroupVersion string `json:"groupVersion"`
	Resources    []struct {
		Name         string   `json:"name"`
		SingularName string   `json:"singularName"`
		Namespaced   bool     `json:"namespaced"`
		Kind         string   `json:"kind"`
		Verbs        []string `json:"verbs"`
		ShortNames   []string `json:"shortNames"`
	} `json:"resources"`
}

func main() {
	out := flag.String("o", "scanner/apis.json", "output file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: apigen [-o FILE] DISCOVERY_DIR...")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
}

// release names a discovery directory by its module version
// (…/k8s.io/kubernetes@v1.34.4/api/discovery → v1.34.4).
func release(dir string) string {
	for d := filepath.Clean(dir); d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, v, ok := strings.Cut(filepath.Base(d), "@"); ok {
			return v
		}
	}
	return filepath.Clean(dir)
}

func run(out string, dirs []string) error {
	byKey := map[[2]string]*resource{}
	var releases []string
	for _, dir := range dirs {
		releases = append(releases, release(dir))
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		n := 0
		for _, e := range entries {
			m := gvFile.FindStringSubmatch(e.Name())
			if m == nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			var list apiResourceList
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
			group, version := "", list.GroupVersion
			if g, v, ok := strings.Cut(list.GroupVersion, "/"); ok {
				group, version = g, v
			}
			for _, r := range list.Resources {
				k := [2]string{group, r.Name}
				cur := byKey[k]
				if cur == nil {
					cur = &resource{Group: group, Resource: r.Name, Namespaced: r.Namespaced}
					byKey[k] = cur
				}
				if !strings.Contains(r.Name, "/") {
					cur.Kind = r.Kind
					cur.Singular = r.SingularName
					if cur.Singular == "" {
						cur.Singular = strings.ToLower(r.Kind)
					}
				}
				cur.ShortNames = union(cur.ShortNames, r.ShortNames)
				cur.Verbs = union(cur.Verbs, r.Verbs)
				cur.Versions = union(cur.Versions, []string{version})
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("%s: no discovery document (api__v1.json, apis__<group>__<version>.json)", dir)
		}
	}
	for _, x := range extras {
		k := [2]string{x.Group, x.Resource}
		if cur := byKey[k]; cur != nil {
			cur.Verbs = union(cur.Verbs, x.Verbs)
			continue
		}
		x.Verbs = union(nil, x.Verbs)
		byKey[k] = &x
	}
	t := table{
		Comment:  "Generated by internal/apigen (make apis) from the api/discovery documents of the Kubernetes releases below, plus the authorization-only and removed names listed in internal/apigen/main.go. Do not edit.",
		Releases: releases,
	}
	for _, r := range byKey {
		t.Resources = append(t.Resources, *r)
	}
	sort.Slice(t.Resources, func(i, j int) bool {
		a, b := t.Resources[i], t.Resources[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Resource < b.Resource
	})
	data, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(data, '\n'), 0o644)
}

// union returns the sorted union of a and b without duplicates.
func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
