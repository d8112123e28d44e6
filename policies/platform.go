package policies

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sync"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// The platform defaults are the bindings a platform creates by itself:
// Kubernetes' bootstrap policy (system:kube-controller-manager,
// system:node-proxier…). Their grants are risky on paper but are not the
// cluster owner's to remove, so findings on them are suppressed as
// "platform-default": still in JSON and SARIF, hidden from text, never
// counted for --fail-on. A finding is a default only when its binding, role
// and subject all match the platform's own binding: a subject added to a
// default binding, or a default name bound to another role, is reported.
//
//go:embed platform/*.json
var platformFS embed.FS

type platformBinding struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	RoleRef   struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Subjects []scanner.Ref `json:"subjects"`
}

type platformDefaults struct {
	// byBinding maps a binding to its platform and definition.
	byBinding map[scanner.Ref]platformEntry
}

type platformEntry struct {
	platform string
	binding  platformBinding
}

var (
	defaultsOnce sync.Once
	defaults     *platformDefaults
	defaultsErr  error
)

func loadPlatformDefaults() (*platformDefaults, error) {
	defaultsOnce.Do(func() {
		defaults = &platformDefaults{byBinding: map[scanner.Ref]platformEntry{}}
		files, err := platformFS.ReadDir("platform")
		if err != nil {
			defaultsErr = err
			return
		}
		for _, f := range files {
			data, err := platformFS.ReadFile(path.Join("platform", f.Name()))
			if err != nil {
				defaultsErr = err
				return
			}
			var doc struct {
				Platform string            `json:"platform"`
				Bindings []platformBinding `json:"bindings"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				defaultsErr = fmt.Errorf("reading platform defaults %s: %w", f.Name(), err)
				return
			}
			for _, b := range doc.Bindings {
				ref := scanner.Ref{Kind: b.Kind, Name: b.Name, Namespace: b.Namespace}
				defaults.byBinding[ref] = platformEntry{platform: doc.Platform, binding: b}
			}
		}
	})
	return defaults, defaultsErr
}

// MarkPlatformDefaults suppresses, as "platform-default", the findings on
// bindings the platform itself creates (see platform/*.json). Findings that
// are already suppressed keep their suppression.
func MarkPlatformDefaults(findings []reports.Finding) error {
	d, err := loadPlatformDefaults()
	if err != nil {
		return err
	}
	for i := range findings {
		f := &findings[i]
		if f.Suppression != nil || f.Binding == nil || f.Role == nil || f.Subject == nil {
			continue
		}
		e, ok := d.byBinding[*f.Binding]
		if !ok || e.binding.RoleRef.Kind != f.Role.Kind || e.binding.RoleRef.Name != f.Role.Name {
			continue
		}
		for _, s := range e.binding.Subjects {
			if s == *f.Subject {
				f.Suppression = &reports.Suppression{
					Kind:          "platform-default",
					Justification: fmt.Sprintf("%s default: %s %q binds %s %q to %s", e.platform, f.Binding.Kind, f.Binding.Name, f.Role.Kind, f.Role.Name, s),
				}
				break
			}
		}
	}
	return nil
}
