package scanner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// namesCRDs defines a CRD group for the name checks: cert-manager's
// certificates (namespaced, status subresource).
const namesCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {plural: certificates, singular: certificate, kind: Certificate, shortNames: [cert, certs]}
  versions:
  - name: v1
    subresources: {status: {}}
`

func TestCheckNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule string // the rules list entry, as YAML flow
		want []string
	}{
		// Trap 13's examples.
		{"singular resource", `{apiGroups: [""], resources: [secret], verbs: [get]}`,
			[]string{`resource "secret" does not exist in API group ""; did you mean "secrets"?`}},
		{"capitalised verb", `{apiGroups: [""], resources: [secrets], verbs: [Get, list]}`,
			[]string{`verb "Get" does not exist (verbs are case-sensitive); did you mean "get"?`}},
		{"kube-linter's cronjob", `{apiGroups: [batch], resources: [cronjob], verbs: [create]}`,
			[]string{`resource "cronjob" does not exist in API group "batch"; did you mean "cronjobs"?`}},
		{"kind instead of resource", `{apiGroups: [apps], resources: [Deployment], verbs: [get]}`,
			[]string{`resource "Deployment" does not exist in API group "apps"; did you mean "deployments"?`}},
		{"short name", `{apiGroups: [""], resources: [cm], verbs: [get]}`,
			[]string{`resource "cm" does not exist in API group ""; did you mean "configmaps"?`}},
		{"misspelt", `{apiGroups: [apps], resources: [deploymnets], verbs: [get]}`,
			[]string{`resource "deploymnets" does not exist in API group "apps"; did you mean "deployments"?`}},
		{"misspelt subresource", `{apiGroups: [""], resources: [pods/exce], verbs: [create]}`,
			[]string{`resource "pods/exce" does not exist in API group ""; did you mean "pods/exec"?`}},
		{"wrong group", `{apiGroups: [""], resources: [deployments], verbs: [get]}`,
			[]string{`resource "deployments" is not in API group ""; it is in API group "apps"`}},
		{"unknown built-in name", `{apiGroups: [""], resources: [widgets], verbs: [get]}`,
			[]string{`resource "widgets" does not exist in API group ""; it matches nothing`}},
		{"group with a version", `{apiGroups: [apps/v1], resources: [deployments], verbs: [get]}`,
			[]string{`API group "apps/v1" includes a version; apiGroups take the group alone: "apps"`}},
		{"core spelt out", `{apiGroups: [core], resources: [pods], verbs: [get]}`,
			[]string{`API group "core" does not exist: the core group is written ""`}},
		{"misspelt group", `{apiGroups: [rbac.authorisation.k8s.io], resources: [roles], verbs: [get]}`,
			[]string{`API group "rbac.authorisation.k8s.io" does not exist; did you mean "rbac.authorization.k8s.io"?`}},
		{"bind on bindings (trap 1)", `{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [bind]}`,
			[]string{`verb "bind" has no effect on rolebindings.rbac.authorization.k8s.io; the apiserver checks it on clusterroles.rbac.authorization.k8s.io, roles.rbac.authorization.k8s.io`}},
		{"made-up verb on built-ins", `{apiGroups: [""], resources: [secrets], verbs: [read]}`,
			[]string{`verb "read" is not a verb of secrets; it grants nothing`}},
		{"resource verb on a URL", `{nonResourceURLs: [/metrics], verbs: [get, list]}`,
			[]string{`verb "list" is a resource verb; a non-resource request's verb is its HTTP method (get, head, post, put, patch, delete, options), so it matches nothing`}},
		{"any group, singular", `{apiGroups: ["*"], resources: [secret], verbs: [get]}`,
			[]string{`resource "secret" does not exist in any known API group; did you mean "secrets"?`}},
		{"CRD singular", `{apiGroups: [cert-manager.io], resources: [certificate], verbs: [get]}`,
			[]string{`resource "certificate" does not exist in API group "cert-manager.io"; did you mean "certificates"?`}},

		// What is right, or cannot be judged, is silent.
		{"plain", `{apiGroups: ["", apps], resources: [pods, deployments, pods/log], verbs: [get, list, watch]}`, nil},
		{"wildcards", `{apiGroups: ["*"], resources: ["*", "*/scale"], verbs: ["*"]}`, nil},
		{"escalate and bind on roles", `{apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [bind, escalate]}`, nil},
		{"impersonation", `{apiGroups: [""], resources: [users, groups, serviceaccounts, uids], verbs: [impersonate]}`, nil},
		{"user extras", `{apiGroups: [authentication.k8s.io], resources: [userextras/scopes], verbs: [impersonate]}`, nil},
		{"signers", `{apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client], verbs: [approve, sign]}`, nil},
		{"kubelet subresources", `{apiGroups: [""], resources: [nodes/metrics, nodes/stats, nodes/proxy, nodes/log], verbs: [get]}`, nil},
		{"finalizers of any resource", `{apiGroups: [apps, cert-manager.io], resources: [deployments/finalizers, certificates/finalizers], verbs: [update]}`, nil},
		{"legacy PSP use", `{apiGroups: [policy, extensions], resources: [podsecuritypolicies], verbs: [use]}`, nil},
		{"legacy extensions", `{apiGroups: [extensions, apps], resources: [deployments, ingresses], verbs: [get]}`, nil},
		{"CRD resources", `{apiGroups: [cert-manager.io], resources: [certificates, certificates/status], verbs: [get, update]}`, nil},
		{"a CRD group may hold other CRDs", `{apiGroups: [cert-manager.io], resources: [signers, issuers], verbs: [approve]}`, nil},
		{"unknown group", `{apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list]}`, nil},
		{"any group, unknown name", `{apiGroups: ["*"], resources: [widgets], verbs: [get]}`, nil},
		{"legacy proxy verb", `{apiGroups: [""], resources: [nodes], verbs: [proxy]}`, nil},
		{"custom verb on a CRD", `{apiGroups: [cert-manager.io], resources: [certificates], verbs: [reissue]}`, nil},
		{"structured verb", `{apiGroups: [""], resources: [users], verbs: ["impersonate:user-info"]}`, nil},
		{"URL verbs", `{nonResourceURLs: ["/healthz", "/api/*"], verbs: [get, head, post]}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifest := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- " + tc.rule + "\n---\n" + namesCRDs
			inv := ParseManifests("f.yaml", []byte(manifest))
			if len(inv.Diagnostics) > 0 || len(inv.Roles) != 1 || len(inv.CRDs) != 1 {
				t.Fatalf("bad fixture: %v", inv.Diagnostics)
			}
			var got []string
			for _, d := range CheckNames(inv.Roles, NewAPIs(inv.CRDs)) {
				if d.Severity != DiagWarning || d.Location != (Source{File: "f.yaml", Line: 5}) {
					t.Errorf("diagnostic %+v: want a warning at f.yaml:5", d)
				}
				if !strings.HasPrefix(d.Message, `ClusterRole "r" rule 1: `) {
					t.Errorf("message %q does not start with the rule it is about (and must not repeat the location)", d.Message)
				}
				got = append(got, strings.TrimPrefix(d.Message, `ClusterRole "r" rule 1: `))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckNames (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckNamesCorpus: the rendered manifests of real projects name no
// resource or verb that does not exist, except the mistakes they really
// make (each checked by hand).
func TestCheckNamesCorpus(t *testing.T) {
	dir := filepath.Join(corporaDir(t), "rbac")
	inv, err := LoadManifests([]string{dir}, LoadOptions{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	g := Resolve(inv)
	var got []string
	for _, d := range CheckNames(g.Roles, NewAPIs(g.CRDs)) {
		got = append(got, d.Location.String()+": "+d.Message)
	}
	want := []string{
		// ConfigMaps have no status subresource.
		`flux2/manifests/rbac/controller.yaml:55: ClusterRole "crd-controller" rule 10: resource "configmaps/status" does not exist in API group ""; it matches nothing`,
		// list and watch never match a non-resource request.
		`labeled/rbac-tool-testdata/testdata/whocan/nonresourceurl-reader.yaml:20: ClusterRole "nonresourceurl-reader" rule 1: verb "watch" is a resource verb; a non-resource request's verb is its HTTP method (get, head, post, put, patch, delete, options), so it matches nothing`,
		`labeled/rbac-tool-testdata/testdata/whocan/nonresourceurl-reader.yaml:20: ClusterRole "nonresourceurl-reader" rule 1: verb "list" is a resource verb; a non-resource request's verb is its HTTP method (get, head, post, put, patch, delete, options), so it matches nothing`,
		// The sample moves endpoints into apps (the real aggregate-to-edit has them in "").
		`labeled/gatekeeper-library-samples/library/general/block-endpoint-edit-default-role/samples/block-endpoint-edit-default-role/example_disallowed.yaml:62: ClusterRole "system:aggregate-to-edit" rule 5: resource "endpoints" is not in API group "apps"; it is in API group ""`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckNames on the corpus (-want +got):\n%s", diff)
	}
}

// TestBuiltinAPIs: the embedded table parses and knows what the checks and
// who-can rely on.
func TestBuiltinAPIs(t *testing.T) {
	a := BuiltinAPIs()
	if len(a.Releases) == 0 {
		t.Error("no release recorded")
	}
	for _, c := range []struct {
		group, resource string
		namespaced      bool
		verb            string
	}{
		{"", "pods", true, "create"},
		{"", "pods/exec", true, "get"},
		{"", "serviceaccounts/token", true, "create"},
		{"", "nodes/proxy", false, "get"},
		{"", "users", false, "impersonate"},
		{"apps", "deployments", true, "patch"},
		{"batch", "cronjobs", true, "create"},
		{"rbac.authorization.k8s.io", "clusterroles", false, "escalate"},
		{"certificates.k8s.io", "signers", false, "approve"},
		{"storage.k8s.io", "csinodes", false, "get"},
	} {
		r := a.Lookup(c.group, c.resource)
		if r == nil {
			t.Errorf("%s in %q: missing", c.resource, c.group)
			continue
		}
		if r.Namespaced != c.namespaced || !strings.Contains(strings.Join(r.Verbs, ","), c.verb) {
			t.Errorf("%s in %q: namespaced %v verbs %v", c.resource, c.group, r.Namespaced, r.Verbs)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "internal", "apigen", "main.go")); err != nil {
		t.Errorf("the generator of apis.json is missing: %v", err)
	}
}

func TestFindResource(t *testing.T) {
	inv := ParseManifests("f.yaml", []byte(namesCRDs))
	a := NewAPIs(inv.CRDs)
	for _, tc := range []struct{ in, want string }{
		{"pods", "pods"},
		{"po", "pods"},
		{"pod", "pods"},
		{"Pod", "pods"},
		{"pods/exec", "pods/exec"},
		{"deployments", "deployments.apps"},
		{"deploy", "deployments.apps"},
		{"deployments.apps/scale", "deployments.apps/scale"},
		{"events", "events"},                             // core wins, as in kubectl
		{"events.events.k8s.io", "events.events.k8s.io"}, // unless the group is named
		{"ingresses", "ingresses.networking.k8s.io"},     // served wins over removed
		{"certs", "certificates.cert-manager.io"},
		{"certificates/status", "certificates.cert-manager.io/status"},
		{"widgets", ""},
		{"pods/nope", ""},
	} {
		var got []string
		for _, r := range a.Find(tc.in) {
			got = append(got, r.GroupResource())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Find(%q) = %v, want %q", tc.in, got, tc.want)
		}
	}
}
