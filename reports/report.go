// Package reports holds the Report model of one kubegrant run (rules,
// findings, diagnostics) and its writers: text, json, sarif, markdown and
// html.
//
// Writers never see the clock or the tool version directly: both are fields
// of the Report, injected by the caller, so the output is deterministic and
// golden files need no fix-ups. Finalize sorts the report, computes the
// fingerprints and fills the summary; every writer works on a finalized copy,
// so arrays are never written as null.
package reports

import (
	"fmt"

	"github.com/kubegrant/kubegrant/scanner"
)

// Severity is a finding's or rule's severity.
type Severity string

// Severities, from most to least severe.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: critical is 5, info is 1, an unknown one 0.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 5
	case High:
		return 4
	case Medium:
		return 3
	case Low:
		return 2
	case Info:
		return 1
	}
	return 0
}

// ParseSeverity checks a severity name.
func ParseSeverity(s string) (Severity, error) {
	if Severity(s).Rank() == 0 {
		return "", fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
	}
	return Severity(s), nil
}

// Kinds of finding.
const (
	KindGrant     = "grant"     // a subject holds a risky grant (static pass)
	KindDetection = "detection" // an audit detection fired (dynamic pass)
	KindHygiene   = "hygiene"   // an RBAC hygiene problem (dangling refs, wildcards…)
	KindPath      = "path"      // an attack path: a chain of capabilities from one identity to a target
	KindIdentity  = "identity"  // what an identity holds, joined to where it runs (workloads, cloud identity)
)

// SchemaVersion is the version of the JSON report's contract (docs/report.md).
// Version 2: findings are per (rule, identity, scope) with every grant that
// gives them (grants), attack paths (kind "path", path, walked) and the
// identities summary.
const SchemaVersion = "2"

// Tool identifies kubegrant in a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Rule is the metadata of one policy or detection, from its `# METADATA`.
type Rule struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description"`
	Remediation string   `json:"remediation"`
	Tags        []string `json:"tags"`
	Catalogue   []string `json:"catalogue"`
	References  []string `json:"references"`
	HelpURI     string   `json:"helpUri,omitempty"`
	// SeverityRange is "low–critical" when the rule's findings can have
	// other severities than Severity (restricted forms, scope, or what the
	// capability reaches), "" when they always have Severity.
	SeverityRange string `json:"severityRange,omitempty"`
	// ExercisedBy lists the requests that count as use of the risky part
	// of a grant this rule flags, as RBAC rules: a request exercises a
	// finding when the grant allows it and one of these rules matches it.
	// Empty means any request the grant allows.
	ExercisedBy []PolicyRule `json:"exercisedBy,omitempty"`
	// Source is the file of a user policy (--policy); empty for
	// kubegrant's own rules.
	Source string `json:"source,omitempty"`
}

// PolicyRule is the JSON shape of an RBAC rule; its arrays are never null.
type PolicyRule struct {
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	Verbs           []string `json:"verbs"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

// Evidence is one audit event that supports a finding. It never holds
// request or response bodies, tokens or secret data.
type Evidence struct {
	AuditID   string `json:"auditID"`
	Time      string `json:"time"`
	User      string `json:"user"`
	Verb      string `json:"verb"`
	Resource  string `json:"resource,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	SourceIP  string `json:"sourceIP,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	Decision  string `json:"decision"`
}

// Actor is who performed the requests behind a detection.
type Actor struct {
	User      string   `json:"user"`
	Groups    []string `json:"groups"`
	SourceIPs []string `json:"sourceIPs"`
	UserAgent string   `json:"userAgent,omitempty"`
}

// Suppression says why a finding does not count for --fail-on. Package
// reports/suppress sets it (its Mark is the only setter) and decides which
// kind wins when several apply.
type Suppression struct {
	Kind          string `json:"kind"` // inline|config|platform-default|baseline
	Justification string `json:"justification,omitempty"`
	Expires       string `json:"expires,omitempty"`
}

// Kinds of suppression: the values of Suppression.Kind.
const (
	SuppressInline          = "inline"           // a kubegrant.io/ignore annotation in the scanned source
	SuppressConfig          = "config"           // an exception of the config file
	SuppressPlatformDefault = "platform-default" // only Kubernetes' bootstrap bindings give the finding
	SuppressBaseline        = "baseline"         // the finding is in the --baseline report
)

// String renders the suppression for people: its kind, then the
// justification and expiry when there are any.
func (s *Suppression) String() string {
	v := s.Kind
	if s.Justification != "" {
		v += ": " + s.Justification
	}
	if s.Expires != "" {
		v += " (expires " + s.Expires + ")"
	}
	return v
}

// InSource reports whether the suppression is written in the scanned
// source itself (SARIF suppressions[].kind "inSource") rather than outside
// it ("external").
func (s *Suppression) InSource() bool { return s.Kind == SuppressInline }

// Accepted reports whether a person accepted the finding (an inline
// annotation or a config exception), rather than kubegrant judging it the
// platform's (platform-default) or it having been there before (baseline).
func (s *Suppression) Accepted() bool { return s.Kind == SuppressInline || s.Kind == SuppressConfig }

// RelatedLocation is a secondary location of a finding (the binding and the
// subject entry of a grant), shown by SARIF viewers next to the main one.
type RelatedLocation struct {
	Message  string         `json:"message"`
	Location scanner.Source `json:"location"`
}

// Finding is one result.
type Finding struct {
	RuleID   string   `json:"ruleId"`
	Severity Severity `json:"severity"`
	Kind     string   `json:"kind"`
	Message  string   `json:"message"`

	Subject *scanner.Ref `json:"subject,omitempty"`
	Binding *scanner.Ref `json:"binding,omitempty"`
	Role    *scanner.Ref `json:"role,omitempty"`
	// Scope is the namespace of the grant, or "" for cluster-wide.
	Scope string      `json:"scope"`
	Rule  *PolicyRule `json:"rule,omitempty"`

	Location         scanner.Source    `json:"location"`
	RelatedLocations []RelatedLocation `json:"relatedLocations,omitempty"`

	// Exercised is nil when no audit log was given.
	Exercised     *bool      `json:"exercised,omitempty"`
	ExerciseCount int        `json:"exerciseCount,omitempty"`
	FirstSeen     string     `json:"firstSeen,omitempty"`
	LastSeen      string     `json:"lastSeen,omitempty"`
	Evidence      []Evidence `json:"evidence,omitempty"`
	Actor         *Actor     `json:"actor,omitempty"`

	Suppression *Suppression `json:"suppression,omitempty"`
	Fingerprint string       `json:"fingerprint"`

	// Key tells apart findings of one rule that share subject, binding,
	// role, scope and rule (for a detection: the object or client
	// fingerprint it fired on). It feeds the Fingerprint and is not written.
	Key string `json:"-"`

	// GrantRefs lists every grant that gives a static finding (for a
	// finding about an identity's capability, all the bindings and rules
	// that confer it), in graph order.
	GrantRefs []GrantRef `json:"grants,omitempty"`

	// Path is the chain of an attack-path finding (kind "path"): one hop
	// per capability, from the start identity to the target. Walked is set
	// when audit logs were replayed: true when every hop was exercised by
	// its identity, in order.
	Path   []Hop `json:"path,omitempty"`
	Walked *bool `json:"walked,omitempty"`

	// Grants are the grants behind GrantRefs (nil for detections and
	// binding-level findings). The audit replay uses them to mark the
	// finding exercised; they are not written out.
	Grants []*scanner.Grant `json:"-"`
}

// GrantRef is one grant behind a finding: the binding, the role and the
// rule, with where the rule is written (the binding's line for a built-in
// role).
type GrantRef struct {
	Binding  scanner.Ref    `json:"binding"`
	Role     scanner.Ref    `json:"role"`
	Scope    string         `json:"scope"`
	Rule     *PolicyRule    `json:"rule,omitempty"`
	Location scanner.Source `json:"location"`
	// Exercised is set when audit logs were replayed: whether this grant
	// allowed a request that counts as use of the finding.
	Exercised *bool `json:"exercised,omitempty"`
}

// Targets of attack paths: what an attacker wants in the end.
const (
	TargetClusterAdmin  = "cluster-admin"       // every verb on every resource
	TargetAllSecrets    = "all-secrets"         // every Secret of the cluster
	TargetSystemSecrets = "kube-system-secrets" // the Secrets of kube-system
	TargetNodes         = "nodes"               // code execution on every node (kubelet API)
	TargetAdmission     = "admission"           // sees and rewrites every object written
	KindTarget          = "Target"              // scanner.Ref.Kind of a target in a Hop
)

// Hop is one step of an attack path: From can do Capability (rule RuleID,
// given by Grant), which yields To (an identity, or a target with Kind
// "Target"). A hop with no RuleID is group membership.
type Hop struct {
	From       scanner.Ref    `json:"from"`
	RuleID     string         `json:"ruleId,omitempty"`
	Capability string         `json:"capability"`
	To         scanner.Ref    `json:"to"`
	Grant      *GrantRef      `json:"grant,omitempty"`
	Location   scanner.Source `json:"location"`
	// Exercised and Evidence are set when audit logs were replayed.
	Exercised *bool      `json:"exercised,omitempty"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	// GrantOf is the grant behind Grant, for the replay; not written out.
	GrantOf *scanner.Grant `json:"-"`
}

// Identity is what one identity (a User, Group or ServiceAccount, with the
// groups it belongs to) can do and reach.
type Identity struct {
	Identity scanner.Ref `json:"identity"`
	// Severity is the most severe of its findings and of what it reaches.
	Severity Severity `json:"severity"`
	// Reaches lists the targets it reaches (directly or through a path).
	Reaches []string `json:"reaches"`
	// Capabilities lists the rule ids of its risky capabilities (its own
	// and its groups'), sorted.
	Capabilities []string `json:"capabilities"`
	// Findings counts the findings about it (as identity or path start).
	Findings int `json:"findings"`
}

// Summary counts what a run saw. Findings and BySeverity count only
// findings that are not suppressed (the ones --fail-on looks at);
// Suppressed counts the others.
type Summary struct {
	// Paths counts the un-suppressed attack paths, Walked those the audit
	// logs show were walked.
	Paths      int              `json:"paths"`
	Walked     int              `json:"walked,omitempty"`
	Findings   int              `json:"findings"`
	BySeverity map[Severity]int `json:"bySeverity"`
	Suppressed int              `json:"suppressed"`
	// NotEvaluated lists what could not be read (a live cluster's kinds
	// kubegrant may not list): rules that need them were not evaluated,
	// which is never the same as passed.
	NotEvaluated []string `json:"notEvaluated,omitempty"`
	AuditEvents  int      `json:"auditEvents"`
	AuditErrors  int      `json:"auditErrors"`
	// ObservedFrom and ObservedTo bound the audit window (RFC 3339), when
	// audit logs were replayed: "never exercised" means within it.
	ObservedFrom string `json:"observedFrom,omitempty"`
	ObservedTo   string `json:"observedTo,omitempty"`
}

// Report is the whole result of one run.
type Report struct {
	// SchemaVersion is SchemaVersion; Finalize sets it.
	SchemaVersion string `json:"schemaVersion"`
	Tool          Tool   `json:"tool"`
	// Time is the run's time (RFC 3339), injected; empty in tests.
	Time        string               `json:"time,omitempty"`
	Rules       []Rule               `json:"rules"`
	Findings    []Finding            `json:"findings"`
	Diagnostics []scanner.Diagnostic `json:"diagnostics"`
	Summary     Summary              `json:"summary"`
	// Identities are the non-system identities that hold a risky
	// capability, most powerful first (static pass only).
	Identities []Identity `json:"identities,omitempty"`

	// Finalized is set by Finalize. Writers render a finalized report as it
	// is, and finalize a copy of any other: sorting and fingerprinting
	// hundreds of thousands of findings once is enough. A caller that
	// changes a finalized report calls Finalize again.
	Finalized bool `json:"-"`
}

// AtOrAbove counts the un-suppressed findings at or above the severity
// failOn: the findings that fail a --fail-on gate ("none" fails on nothing).
func AtOrAbove(findings []Finding, failOn string) int {
	threshold := Severity(failOn).Rank()
	if failOn == "none" || threshold == 0 {
		return 0
	}
	n := 0
	for i := range findings {
		if findings[i].Suppression == nil && findings[i].Severity.Rank() >= threshold {
			n++
		}
	}
	return n
}
