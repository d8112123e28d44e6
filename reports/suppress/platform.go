package suppress

import (
	"fmt"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// The platform defaults are the bindings a platform creates by itself:
// Kubernetes' bootstrap policy (cluster-admin to system:masters,
// system:kube-controller-manager, system:controller:* for the controllers'
// ServiceAccounts in kube-system, system:node-proxier…), taken from the
// policy embedded in package scanner (scanner.IsBuiltinGrant), never from a
// hand-kept list. Their grants are risky on paper but are not the cluster
// owner's to remove, so findings on them are suppressed as
// "platform-default": still in JSON and SARIF, hidden from text, never
// counted for --fail-on. A grant is a default only when its binding, role
// and subject all match the platform's own binding: a subject added to a
// default binding, or a default name bound to another role, is reported.
// Detections are never platform defaults: they report what a request did,
// not what a grant allows.

// platformName names the platform in suppression justifications.
const platformName = "kubernetes " + scanner.BuiltinVersion

// MarkPlatformDefaults suppresses, as "platform-default", the findings that
// only the platform's own bindings give: a finding with grants when every
// one of them is a default grant, a finding on a binding when its binding,
// role and subject are a default's.
func MarkPlatformDefaults(findings []reports.Finding) {
	for i := range findings {
		f := &findings[i]
		if f.Kind == reports.KindDetection {
			continue
		}
		var first scanner.Ref
		switch {
		case len(f.Grants) > 0:
			all := true
			for _, g := range f.Grants {
				if g == nil || !scanner.IsBuiltinGrant(g.Binding, g.Role, g.Subject.Ref) {
					all = false
					break
				}
			}
			if !all {
				continue
			}
			first = f.Grants[0].Binding
		case f.Binding != nil && f.Role != nil && f.Subject != nil:
			if !scanner.IsBuiltinGrant(*f.Binding, *f.Role, *f.Subject) {
				continue
			}
			first = *f.Binding
		default:
			continue
		}
		Mark(f, reports.Suppression{Kind: reports.SuppressPlatformDefault, Justification: justification(f, first)})
	}
}

// justification says which default binding gives the finding.
func justification(f *reports.Finding, binding scanner.Ref) string {
	bindings := map[scanner.Ref]bool{}
	for _, g := range f.Grants {
		bindings[g.Binding] = true
	}
	if len(bindings) > 1 {
		return fmt.Sprintf("%s default: only bootstrap bindings give it (%s %q and %d more)", platformName, binding.Kind, binding.Name, len(bindings)-1)
	}
	role, subject := f.Role, f.Subject
	if len(f.Grants) > 0 {
		role, subject = &f.Grants[0].Role, &f.Grants[0].Subject.Ref
	}
	return fmt.Sprintf("%s default: %s %q binds %s %q to %s", platformName, binding.Kind, binding.Name, role.Kind, role.Name, subject)
}
