package policies

import (
	"fmt"
	"sync"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// The platform defaults are the bindings a platform creates by itself:
// Kubernetes' bootstrap policy (cluster-admin to system:masters,
// system:kube-controller-manager, system:controller:* for the controllers'
// ServiceAccounts in kube-system, system:node-proxier…), taken from the
// policy embedded in package scanner (scanner.BuiltinBindings, generated
// from the Kubernetes source), never from a hand-kept list. Their grants are
// risky on paper but are not the cluster owner's to remove, so findings on
// them are suppressed as "platform-default": still in JSON and SARIF, hidden
// from text, never counted for --fail-on. A grant is a default only when its
// binding, role and subject all match the platform's own binding: a subject
// added to a default binding, or a default name bound to another role, is
// reported.

// platformName names the platform in suppression justifications.
const platformName = "kubernetes " + scanner.BuiltinVersion

// defaultKey is one default grant: a subject of a default binding to its
// role.
type defaultKey struct {
	binding, role, subject scanner.Ref
}

var platformDefaults = sync.OnceValue(func() map[defaultKey]bool {
	m := map[defaultKey]bool{}
	for _, b := range scanner.BuiltinBindings() {
		role := scanner.Ref{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
		if role.Kind == scanner.KindRole {
			role.Namespace = b.Namespace
		}
		for _, s := range b.Subjects {
			m[defaultKey{b.Ref, role, s.Ref}] = true
		}
	}
	return m
})

// IsPlatformDefault reports whether subject holds role through binding as
// Kubernetes' bootstrap policy creates it. role is the Ref a Grant carries:
// a Role's includes the binding's namespace, a ClusterRole's has none.
func IsPlatformDefault(binding, role, subject scanner.Ref) bool {
	return platformDefaults()[defaultKey{binding, role, subject}]
}

// MarkPlatformDefaults suppresses, as "platform-default", the findings that
// only the platform's own bindings give: a finding with grants when every
// one of them is a default grant, a finding on a binding when its binding,
// role and subject are a default's. Findings that are already suppressed
// keep their suppression.
func MarkPlatformDefaults(findings []reports.Finding) error {
	for i := range findings {
		f := &findings[i]
		if f.Suppression != nil {
			continue
		}
		var first scanner.Ref
		switch {
		case len(f.Grants) > 0:
			all := true
			for _, g := range f.Grants {
				if g == nil || !IsPlatformDefault(g.Binding, g.Role, g.Subject.Ref) {
					all = false
					break
				}
			}
			if !all {
				continue
			}
			first = f.Grants[0].Binding
		case f.Binding != nil && f.Role != nil && f.Subject != nil:
			if !IsPlatformDefault(*f.Binding, *f.Role, *f.Subject) {
				continue
			}
			first = *f.Binding
		default:
			continue
		}
		f.Suppression = &reports.Suppression{
			Kind:          reports.SuppressPlatformDefault,
			Justification: justification(f, first),
		}
	}
	return nil
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
