package reports

import (
	"github.com/kubegrant/kubegrant/scanner"
)

func boolp(b bool) *bool { return &b }

// fixtureReport is the one report every writer renders for the goldens. It
// is built unsorted on purpose: Finalize must order it.
func fixtureReport() *Report {
	return &Report{
		Tool: Tool{Name: "kubegrant", Version: "v1.2.3"},
		Rules: []Rule{
			{
				ID: "KG002", Slug: "read-secrets", Title: "Subject can read Secrets", Severity: High,
				Description: "get, list or watch on secrets reveals every credential the grant covers.",
				Remediation: "Grant get on named Secrets only.",
				Tags:        []string{"secrets", "credential-access"},
				Catalogue:   []string{"U05"},
				References:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/", "KSV-0041"},
			},
			{
				ID: "KG001", Slug: "token-request", Title: "Subject can mint service-account tokens", Severity: Critical,
				Description: "create on serviceaccounts/token lets the subject obtain a token for any service account in scope & act as it.",
				Remediation: "Remove create on serviceaccounts/token; use projected tokens instead.",
				Tags:        []string{"privilege-escalation"},
				Catalogue:   []string{"U11"},
				References:  []string{"rbac-police token_request"},
			},
			{
				ID: "KG003", Slug: "pods-exec", Title: "Subject can exec into pods", Severity: Medium,
				Description: "create on pods/exec runs commands in every pod the grant covers.",
				Remediation: "Remove pods/exec from the role.",
				Catalogue:   []string{"U14"},
				// Arrays left nil: written as [].
				ExercisedBy: []PolicyRule{{Verbs: []string{"create"}, Resources: []string{"pods/exec"}}},
			},
			{
				ID: "KG090", Slug: "dangling-roleref", Title: "Binding refers to a missing role", Severity: Low,
				Description: "A roleRef to a role that does not exist grants nothing today, and whatever role takes the name tomorrow.",
				Remediation: "Delete the binding or create the role it names.",
			},
			{
				ID: "KG091", Slug: "unused-grant", Title: "Grant to an unknown service account", Severity: Info,
				Description: "The subject is a ServiceAccount that none of the scanned manifests defines.",
				// Tags, Catalogue and References left nil: written as [].
			},
			{
				ID: "KGD01", Slug: "token-request-non-system", Title: "Token minted by a non-system identity", Severity: High,
				Description: "A TokenRequest was made by an identity outside system:*.",
				Remediation: "Find out why this identity mints tokens; revoke its grant if unexpected.",
				Tags:        []string{"detection"},
				Catalogue:   []string{"D01"},
			},
		},
		Findings: []Finding{
			{
				RuleID: "KG090", Severity: Low, Kind: KindHygiene,
				Message:  `RoleBinding "apps/legacy" refers to Role "gone", which does not exist.`,
				Binding:  &scanner.Ref{Kind: scanner.KindRoleBinding, Name: "legacy", Namespace: "apps"},
				Scope:    "apps",
				Location: scanner.Source{File: "deploy/team a/rbac.yaml", Line: 40},
			},
			{
				RuleID: "KGD01", Severity: High, Kind: KindDetection,
				Message:       `User "mallory" created a token for ServiceAccount "ci/deployer".`,
				Subject:       &scanner.Ref{Kind: scanner.KindUser, Name: "mallory"},
				Binding:       &scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "deployer-tokens"},
				Role:          &scanner.Ref{Kind: scanner.KindClusterRole, Name: "token-minter"},
				Rule:          &PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}},
				ExerciseCount: 2,
				FirstSeen:     "2026-01-02T03:04:05Z",
				LastSeen:      "2026-01-02T03:09:00Z",
				Evidence: []Evidence{
					{AuditID: "6d2a0c1e-0001", Time: "2026-01-02T03:04:05Z", User: "mallory", Verb: "create", Resource: "serviceaccounts/token", Namespace: "ci", Name: "deployer", SourceIP: "203.0.113.9", UserAgent: "curl/8.5.0", Decision: "allow"},
					{AuditID: "6d2a0c1e-0002", Time: "2026-01-02T03:09:00Z", User: "mallory", Verb: "create", Resource: "serviceaccounts/token", Namespace: "ci", Name: "deployer", SourceIP: "203.0.113.9", UserAgent: "curl/8.5.0", Decision: "allow"},
				},
				Actor: &Actor{User: "mallory", Groups: []string{"system:authenticated"}, SourceIPs: []string{"203.0.113.9"}, UserAgent: "curl/8.5.0"},
				Key:   "ci/deployer",
			},
			{
				RuleID: "KG003", Severity: Medium, Kind: KindGrant,
				Message:     `ServiceAccount "kube-system/debugger" can exec into pods in kube-system.`,
				Subject:     &scanner.Ref{Kind: scanner.KindServiceAccount, Name: "debugger", Namespace: "kube-system"},
				Binding:     &scanner.Ref{Kind: scanner.KindRoleBinding, Name: "debug", Namespace: "kube-system"},
				Role:        &scanner.Ref{Kind: scanner.KindRole, Name: "debug", Namespace: "kube-system"},
				Scope:       "kube-system",
				Rule:        &PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}},
				Location:    scanner.Source{File: "deploy/debug.yaml", Line: 9},
				Suppression: &Suppression{Kind: "config", Justification: "break-glass debugging, reviewed", Expires: "2026-12-31"},
			},
			{
				RuleID: "KG002", Severity: High, Kind: KindGrant,
				Message:   `Group "system:serviceaccounts:monitoring" can list secrets cluster-wide.`,
				Subject:   &scanner.Ref{Kind: scanner.KindGroup, Name: "system:serviceaccounts:monitoring"},
				Binding:   &scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "secret-readers"},
				Role:      &scanner.Ref{Kind: scanner.KindClusterRole, Name: "system:secret-reader"},
				Rule:      &PolicyRule{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"secrets"}},
				Location:  scanner.Source{Cluster: "ClusterRole/system:secret-reader"},
				Exercised: boolp(false),
				RelatedLocations: []RelatedLocation{
					{Message: "bound by ClusterRoleBinding secret-readers", Location: scanner.Source{Cluster: "ClusterRoleBinding/secret-readers"}},
				},
			},
			{
				RuleID: "KG001", Severity: Critical, Kind: KindGrant,
				Message: `ServiceAccount "ci/deployer" can create tokens for any ServiceAccount cluster-wide.`,
				Subject: &scanner.Ref{Kind: scanner.KindServiceAccount, Name: "deployer", Namespace: "ci"},
				Binding: &scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "deployer-tokens"},
				Role:    &scanner.Ref{Kind: scanner.KindClusterRole, Name: "token-minter"},
				// Written unsorted with a duplicate; fingerprints see a set.
				Rule:          &PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}},
				Location:      scanner.Source{File: "deploy/rbac.yaml", Line: 12},
				Exercised:     boolp(true),
				ExerciseCount: 4,
				FirstSeen:     "2026-01-01T00:00:00Z",
				LastSeen:      "2026-01-02T03:00:00Z",
				Evidence: []Evidence{
					{AuditID: "0b7e-0042", Time: "2026-01-02T03:00:00Z", User: "system:serviceaccount:ci:deployer", Verb: "create", Resource: "serviceaccounts/token", Namespace: "apps", Name: "web", SourceIP: "10.0.0.7", Decision: "allow"},
				},
				RelatedLocations: []RelatedLocation{
					{Message: "ClusterRoleBinding deployer-tokens", Location: scanner.Source{File: "deploy/rbac.yaml", Line: 30}},
					{Message: "subject ServiceAccount ci/deployer", Location: scanner.Source{File: "deploy/rbac.yaml", Line: 36}},
					{Message: "no location: dropped", Location: scanner.Source{}},
				},
			},
			{
				RuleID: "KG091", Severity: Info, Kind: KindHygiene,
				Message:  `ServiceAccount "ci/ghost" is bound but not defined in the scanned manifests.`,
				Subject:  &scanner.Ref{Kind: scanner.KindServiceAccount, Name: "ghost", Namespace: "ci"},
				Binding:  &scanner.Ref{Kind: scanner.KindRoleBinding, Name: "ghost", Namespace: "ci"},
				Role:     &scanner.Ref{Kind: scanner.KindClusterRole, Name: "view"},
				Scope:    "ci",
				Rule:     &PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}},
				Location: scanner.Source{File: "deploy/rbac.yaml", Line: 50},
			},
		},
		Diagnostics: []scanner.Diagnostic{
			{Severity: scanner.DiagWarning, Message: "cannot list roles: forbidden", Location: scanner.Source{Cluster: "Role/kube-system/*"}},
			{Severity: scanner.DiagError, Message: "decoding document 2: yaml: line 3: mapping values are not allowed in this context", Location: scanner.Source{File: "deploy/broken.yaml", Line: 3}},
			{Severity: scanner.DiagWarning, Message: "audit log line 17: not an audit event", Location: scanner.Source{File: "audit/audit.log", Line: 17}},
			{Severity: scanner.DiagWarning, Message: "no audit events matched the scanned namespaces"},
		},
		Summary: Summary{AuditEvents: 120, AuditErrors: 1, ObservedFrom: "2026-01-01T00:00:00Z", ObservedTo: "2026-01-02T04:00:00Z"},
	}
}
