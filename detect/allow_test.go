package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/kubegrant/kubegrant/detect/audit"
)

func TestAllowList(t *testing.T) {
	podSA := evo{user: "system:serviceaccount:ci:deployer", groups: []string{"system:serviceaccounts:ci"},
		extra: map[string][]string{audit.ExtraPodName: {"runner-7d9f"}}, verb: "get", res: "secrets", ns: "apps", name: "db"}
	noPod := podSA
	noPod.extra = nil
	for _, tc := range []struct {
		name string
		l    AllowList
		e    evo
		want bool
	}{
		{"user glob", Users("system:serviceaccount:ci:*"), podSA, true},
		{"other user", Users("alice"), podSA, false},
		{"group", AllowList{{Group: "system:serviceaccounts:ci"}}, podSA, true},
		{"namespace scope matches", AllowList{{User: "system:serviceaccount:ci:deployer", Namespace: "apps"}}, podSA, true},
		{"namespace scope elsewhere", AllowList{{User: "system:serviceaccount:ci:deployer", Namespace: "kube-system"}}, podSA, false},
		{"pod scope matches", AllowList{{User: "system:serviceaccount:ci:deployer", Pod: "ci/runner-*"}}, podSA, true},
		{"pod scope, token from no pod", AllowList{{User: "system:serviceaccount:ci:deployer", Pod: "ci/runner-*"}}, noPod, false},
		{"impersonating an allowed identity does not exempt", Users("system:kube-controller-manager"),
			evo{user: "mallory", imp: &audit.RawUser{Username: "system:kube-controller-manager"}, verb: "get", res: "secrets"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.allows(ev(tc.e)); got != tc.want {
				t.Errorf("allows = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	parse := func(src string) (DetectOptions, error) {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		return ParseOptions(".kubegrant.yaml", doc.Content[0].Content[1])
	}
	o, err := parse(`detections:
  secretBurstThreshold: 5
  secretBurstWindow: 10m
  secretNameAllow: []
  tokenRequestAllow:
    - "system:serviceaccount:ci:token-broker"
    - {user: "system:serviceaccount:ci:deployer", pod: "ci/runner-*"}
    - {group: "system:serviceaccounts:argocd", namespace: argocd}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DetectOptions{
		SecretBurstThreshold: 5, SecretBurstWindow: 10 * time.Minute, SecretNameAllow: []string{},
		TokenRequestAllow: AllowList{{User: "system:serviceaccount:ci:token-broker"}, {User: "system:serviceaccount:ci:deployer", Pod: "ci/runner-*"},
			{Group: "system:serviceaccounts:argocd", Namespace: "argocd"}},
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ src, err string }{
		{"detections:\n  secretBurstTreshold: 5\n", `.kubegrant.yaml:2: detections: unknown key "secretBurstTreshold"`},
		{"detections:\n  secretBurstWindow: soon\n", "line 2"},
		{"detections:\n  secretBurstThreshold: many\n", "line 2"},
		{"detections:\n  execAllow:\n    - {namespace: apps}\n", "names a user, a group or a pod"},
		{"detections:\n  execAllow:\n    - {usr: alice}\n", `unknown key "usr"`},
		{"detections: [1]\n", "want a mapping"},
	} {
		if _, err := parse(tc.src); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.src, err, tc.err)
		}
	}
}
