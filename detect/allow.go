package detect

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubegrant/kubegrant/detect/audit"
)

// Allow exempts requests from a detection. User is a glob over the
// caller's user name, Group a glob one of its groups must match; Namespace
// (a glob over the object's namespace) and Pod (a glob over the
// "namespace/name" of the pod a bound ServiceAccount token was issued for)
// narrow it to requests there. Empty fields match anything, but an entry
// names a user, a group or a pod.
//
// In .kubegrant.yaml an entry is a user glob, or a mapping:
//
//   - "system:serviceaccount:kube-system:*"
//   - {user: "system:serviceaccount:ci:deployer", pod: "ci/runner-*"}
//   - {group: "system:serviceaccounts:argocd", namespace: "argocd"}
type Allow struct {
	User      string `yaml:"user,omitempty"`
	Group     string `yaml:"group,omitempty"`
	Namespace string `yaml:"namespace,omitempty"`
	Pod       string `yaml:"pod,omitempty"`
}

// AllowList is a detection's allow-list.
type AllowList []Allow

// Users is an allow-list of user-name globs.
func Users(globs ...string) AllowList {
	l := make(AllowList, len(globs))
	for i, g := range globs {
		l[i] = Allow{User: g}
	}
	return l
}

// UnmarshalYAML accepts a user glob or a mapping of user, group, namespace
// and pod.
func (a *Allow) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = Allow{User: n.Value}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: an allow entry is a user glob or a mapping of user, group, namespace, pod", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: %s: want a string", v.Line, k.Value)
		}
		switch k.Value {
		case "user":
			a.User = v.Value
		case "group":
			a.Group = v.Value
		case "namespace":
			a.Namespace = v.Value
		case "pod":
			a.Pod = v.Value
		default:
			return fmt.Errorf("line %d: unknown key %q in an allow entry (want user, group, namespace, pod)", k.Line, k.Value)
		}
	}
	if a.User == "" && a.Group == "" && a.Pod == "" {
		return fmt.Errorf("line %d: an allow entry names a user, a group or a pod", n.Line)
	}
	return nil
}

// match reports whether the entry covers identity u making request e.
func (a *Allow) match(u *audit.User, e *audit.Event) bool {
	if a.User != "" && !globMatch(a.User, u.Name) {
		return false
	}
	if a.Group != "" && !slices.ContainsFunc(u.Groups, func(g string) bool { return globMatch(a.Group, g) }) {
		return false
	}
	if a.Namespace != "" && !globMatch(a.Namespace, e.Object.Namespace) {
		return false
	}
	if a.Pod != "" {
		pod := podName(u)
		if pod == "" || !globMatch(a.Pod, pod) {
			return false
		}
	}
	return true
}

// podName is "namespace/pod" of the pod a bound ServiceAccount token was
// issued for, or "".
func podName(u *audit.User) string {
	if u.PodName == "" {
		return ""
	}
	ns, ok := saNamespace(u.Name)
	if !ok {
		return ""
	}
	return ns + "/" + u.PodName
}

// allows reports whether the request is exempt: an entry covers the real
// caller and, when impersonating, one covers the impersonated identity
// too. Impersonating an allowed identity never exempts a caller.
func (l AllowList) allows(e *audit.Event) bool {
	if !l.covers(&e.User, e) {
		return false
	}
	if e.Impersonated != nil {
		return l.covers(e.Impersonated, e)
	}
	return true
}

// covers reports whether an entry covers identity u making request e.
func (l AllowList) covers(u *audit.User, e *audit.Event) bool {
	for i := range l {
		if l[i].match(u, e) {
			return true
		}
	}
	return false
}

// ParseOptions reads the detections: section of a config file (the value
// node of the key), strictly: an unknown key or a value of the wrong type
// is an error naming the file and line. Lists replace the defaults (an
// empty list means none); durations are Go durations ("6m", "48h").
//
//	detections:
//	  secretBurstThreshold: 5
//	  secretBurstWindow: 10m
//	  tokenRequestAllow:
//	    - "system:serviceaccount:ci:token-broker"
//	    - {user: "system:serviceaccount:ci:deployer", pod: "ci/runner-*"}
func ParseOptions(file string, n *yaml.Node) (DetectOptions, error) {
	var o DetectOptions
	if n == nil || n.Tag == "!!null" {
		return o, nil
	}
	if n.Kind != yaml.MappingNode {
		return o, fmt.Errorf("%s:%d: detections: want a mapping", file, n.Line)
	}
	known := optionKeys()
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !known[k.Value] {
			errs = append(errs, fmt.Errorf("%s:%d: detections: unknown key %q (see docs/detections.md)", file, k.Line, k.Value))
		}
	}
	if len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	if err := n.Decode(&o); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
		return o, fmt.Errorf("%s: detections: %s", file, strings.TrimSpace(msg))
	}
	return o, nil
}

// optionKeys are the yaml keys of DetectOptions.
func optionKeys() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(DetectOptions{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}
