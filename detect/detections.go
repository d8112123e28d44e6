package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Detector is one audit detection. It consumes events one by one (the
// stream is ordered by file then line, roughly by time) and reports its
// findings at the end. Its memory is bounded: per-key state is capped by
// DetectOptions.MaxKeys and windows are pruned by time.
type Detector interface {
	Rule() reports.Rule
	Observe(e *Event)
	Findings() []reports.Finding
}

// DiagnosticReporter is implemented by detectors that can lose data (state
// limits reached); the caller adds the diagnostics to the report so that a
// limit is never a silent loss.
type DiagnosticReporter interface {
	Diagnostics() []scanner.Diagnostic
}

// DetectOptions tune the detections. For every list, nil means the
// documented default and an empty non-nil slice means "none". Identity and
// name lists are globs where "*" matches any run of characters. Zero
// numbers and durations mean the default.
type DetectOptions struct {
	// TokenRequestAllow are the callers that may mint ServiceAccount tokens
	// without a KGD01 finding (default DefaultTokenRequestAllow). Mints by
	// them are not tracked by KGD26 either.
	TokenRequestAllow []string
	// SecretReaderAllow are the identities whose Secret reads never count for
	// KGD02, KGD03, KGD04 and KGD05 (default DefaultSecretReaderAllow).
	SecretReaderAllow []string
	// SecretNameAllow are Secret names ignored by KGD02 (default
	// "sh.helm.release.*": Helm reads every release Secret).
	SecretNameAllow []string
	// SecretBurstThreshold is how many distinct Secrets make a burst
	// (default 3), within SecretBurstWindow (default 6 minutes).
	SecretBurstThreshold int
	SecretBurstWindow    time.Duration

	// PodClientAgents are user-agent globs that look interactive when they
	// come with a pod's token (default DefaultPodClientAgents);
	// PodGoClientAllow the pods ("namespace/pod" globs) or ServiceAccounts
	// (user-name globs) expected to use a bare Go-http-client (default none).
	PodClientAgents  []string
	PodGoClientAllow []string
	// PodTokenAllow are pods or ServiceAccounts ignored by KGD06 (default none).
	PodTokenAllow []string
	// DiscoveryBurstThreshold distinct discovery or list calls from one pod
	// within DiscoveryBurstWindow make a burst (default 12 in 1 minute).
	DiscoveryBurstThreshold int
	DiscoveryBurstWindow    time.Duration

	// ExecAllow are callers whose exec/attach is not reported (default none).
	ExecAllow []string
	// PrivilegedIdentities are users and groups KGD11 treats as privileged
	// impersonation targets (default DefaultPrivilegedIdentities);
	// ImpersonationAllow the callers that may impersonate them (default none).
	PrivilegedIdentities []string
	ImpersonationAllow   []string
	// RBACWriterAllow are ServiceAccounts allowed to write RBAC objects
	// (default DefaultRBACWriterAllow).
	RBACWriterAllow []string
	// RoleWriterAllow are callers whose wildcard roles are not reported
	// (default DefaultRoleWriterAllow).
	RoleWriterAllow []string
	// ClusterAdminBinderAllow are callers whose bindings to cluster-admin
	// are not reported (default DefaultClusterAdminBinderAllow).
	ClusterAdminBinderAllow []string
	// PodImageAllow are image globs whose privileged or host pods are not
	// reported (default none).
	PodImageAllow []string
	// AnonymousPathAllow are request paths anonymous users may reach
	// (default the health endpoints and /version).
	AnonymousPathAllow []string
	// EventDeleteAllow are callers that delete events as part of their job
	// (default DefaultEventDeleteAllow).
	EventDeleteAllow []string

	// ScriptingAgents are user-agent globs of scripting HTTP clients whose
	// Secret reads KGD05 reports, matched case-insensitively against the
	// whole user agent (default DefaultScriptingAgents).
	ScriptingAgents []string
	// SequenceWindow is how soon after an RBAC change a workload change by
	// the same identity makes a KGD15 sequence (default 5 minutes);
	// SequenceAllow the identities never tracked (default
	// DefaultSequenceAllow).
	SequenceWindow time.Duration
	SequenceAllow  []string
	// ControllerServiceAccounts are ServiceAccount-name globs KGD16 treats
	// as controllers (default "*controller*"); ControllerPodAllow the
	// callers that may create kube-system pods running as them (default
	// DefaultControllerPodAllow).
	ControllerServiceAccounts []string
	ControllerPodAllow        []string
	// SelfReviewAgentAllow are user-agent globs whose self-subject reviews
	// by ServiceAccounts and nodes KGD18 accepts besides the client-go
	// default agents (default none).
	SelfReviewAgentAllow []string
	// CSRAllow are callers that create and approve CertificateSigningRequests
	// as part of their job (default DefaultCSRAllow).
	CSRAllow []string
	// WebhookWriterAllow are callers that write admission webhook
	// configurations and policies by design (default
	// DefaultWebhookWriterAllow).
	WebhookWriterAllow []string
	// SensitiveConfigMaps are "namespace/name" globs of ConfigMaps whose
	// changes KGD21 reports (default DefaultSensitiveConfigMaps);
	// ConfigMapWriterAllow the callers that may change them (default
	// DefaultConfigMapWriterAllow).
	SensitiveConfigMaps  []string
	ConfigMapWriterAllow []string
	// ForbiddenBurstThreshold distinct request paths denied to one user and
	// source IP within ForbiddenBurstWindow make a KGD24 enumeration burst
	// (default 10 in 5 minutes). ForbiddenAllow are callers KGD24 ignores
	// (default none).
	ForbiddenBurstThreshold int
	ForbiddenBurstWindow    time.Duration
	ForbiddenAllow          []string
	// UserAgentBaseline is the start of the log during which KGD24 learns
	// user agents: a user agent first seen after it, with a denied request,
	// is new (default 1 hour).
	UserAgentBaseline time.Duration
	// ServiceExposeAllow are callers whose NodePort and LoadBalancer
	// Services KGD25 does not report (default none).
	ServiceExposeAllow []string

	// TokenUseWindow is how long after minting a token's uses are linked to
	// its mint (default 48 hours, the longest bound-token lifetime kubelet
	// asks for).
	TokenUseWindow time.Duration
	// MaxKeys bounds the keys (actors, targets, open tokens) one detector
	// tracks (default 10000). Keys beyond it are counted in a diagnostic.
	MaxKeys int
	// EvidenceCap bounds the evidence per finding (default 10).
	EvidenceCap int
}

// DefaultTokenRequestAllow are the control-plane and managed-platform
// identities that mint ServiceAccount tokens as part of their job
// (Elastic's TokenRequest rule exclusions).
var DefaultTokenRequestAllow = []string{
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:node:*",
	"system:serviceaccount:kube-system:*",
	"eks:*",
	"aksService",
	"aks-service",
	"masterclient",
	"nodeclient",
	"system:serviceaccount:gke-managed-system:*",
	"system:serviceaccount:gke-connect:*",
	"system:serviceaccount:anthos-identity-service:*",
	"system:gke-controller-manager",
	"system:serviceaccount:tigera-operator:*",
	"system:serviceaccount:calico-system:*",
}

// DefaultSecretReaderAllow are controllers that read many Secrets by design
// (control plane, Flux, trivy-operator).
var DefaultSecretReaderAllow = []string{
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:apiserver",
	"system:serviceaccount:flux-system:*",
	"system:serviceaccount:trivy-system:trivy-operator",
}

// DefaultPodClientAgents are user agents of interactive or scripted clients.
var DefaultPodClientAgents = []string{
	"kubectl/*", "curl/*", "Wget/*", "wget/*", "python-requests/*", "python-urllib*", "HTTPie/*", "Go-http-client/*",
}

// DefaultPrivilegedIdentities are the users and groups whose impersonation
// amounts to cluster takeover.
var DefaultPrivilegedIdentities = []string{
	"system:masters", "system:admin", "kubernetes-admin", "cluster-admin", "admin",
	"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
	"system:node:*", "system:nodes", "system:serviceaccount:kube-system:*", "eks:*",
}

// DefaultRBACWriterAllow are ServiceAccounts that write RBAC by design.
var DefaultRBACWriterAllow = []string{
	"system:serviceaccount:kube-system:*",
}

// DefaultClusterAdminBinderAllow: the apiserver reconciles the bootstrap
// policy (cluster-admin to system:masters) itself at every start.
var DefaultClusterAdminBinderAllow = []string{"system:apiserver"}

// DefaultRoleWriterAllow are callers that legitimately write wildcard roles
// (bootstrap policy and the aggregation controller).
var DefaultRoleWriterAllow = []string{
	"system:apiserver",
	"system:serviceaccount:kube-system:clusterrole-aggregation-controller",
}

// DefaultEventDeleteAllow are controllers that delete events with their
// namespace or owner.
var DefaultEventDeleteAllow = []string{
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:namespace-controller",
	"system:serviceaccount:kube-system:generic-garbage-collector",
}

// DefaultScriptingAgents are scripting HTTP clients and offensive
// distributions (Elastic's scripting-client Secret access rule), as
// lowercase globs over the whole user agent.
var DefaultScriptingAgents = []string{
	"curl/*", "wget/*", "python-requests/*", "python-urllib*", "python-httpx/*", "python/*", "aiohttp/*",
	"go-http-client/*", "httpie/*", "postmanruntime/*", "libwww-perl/*", "axios/*", "node-fetch/*",
	"*powershell*", "*kali*",
}

// DefaultSequenceAllow are control-plane identities whose RBAC and
// workload writes are routine.
var DefaultSequenceAllow = []string{
	"system:apiserver",
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:serviceaccount:kube-system:*",
	"eks:*",
}

// DefaultControllerPodAllow are the callers that create kube-system pods
// running as controller ServiceAccounts: the workload controllers and the
// kubelet (mirror pods).
var DefaultControllerPodAllow = []string{
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*controller*",
	"system:node:*",
}

// DefaultCSRAllow are the identities that create and approve
// CertificateSigningRequests in normal operation: kubelets (and their
// bootstrap tokens), the controller manager and kube-system controllers,
// and the EKS control plane.
var DefaultCSRAllow = []string{
	"system:node:*",
	"system:bootstrap:*",
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*",
	"eks:*",
}

// DefaultWebhookWriterAllow are the operators that install or patch their
// own admission webhooks (cert-manager's CA injector, Gatekeeper, Kyverno,
// Istio, Linkerd) and the control plane.
var DefaultWebhookWriterAllow = []string{
	"system:apiserver",
	"system:kube-controller-manager",
	"system:serviceaccount:kube-system:*",
	"system:serviceaccount:*:cert-manager*",
	"system:serviceaccount:gatekeeper-system:*",
	"system:serviceaccount:*:kyverno*",
	"system:serviceaccount:istio-system:*",
	"system:serviceaccount:linkerd:*",
	"eks:*",
}

// DefaultSensitiveConfigMaps are the cluster DNS configurations (CoreDNS,
// kube-dns, AKS coredns-custom) and the EKS aws-auth mapping.
var DefaultSensitiveConfigMaps = []string{
	"kube-system/coredns",
	"kube-system/coredns-custom",
	"kube-system/kube-dns",
	"kube-system/aws-auth",
}

// DefaultConfigMapWriterAllow are the managed-platform identities that
// maintain the sensitive ConfigMaps.
var DefaultConfigMapWriterAllow = []string{
	"eks:*",
	"system:addon-manager",
}

func orDefault(v, def []string) []string {
	if v == nil {
		return def
	}
	return v
}

// positiveOr is v, or def when v is zero or negative.
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (o DetectOptions) withDefaults() DetectOptions {
	o.TokenRequestAllow = orDefault(o.TokenRequestAllow, DefaultTokenRequestAllow)
	o.SecretReaderAllow = orDefault(o.SecretReaderAllow, DefaultSecretReaderAllow)
	o.SecretNameAllow = orDefault(o.SecretNameAllow, []string{"sh.helm.release.*"})
	o.PodClientAgents = orDefault(o.PodClientAgents, DefaultPodClientAgents)
	o.PrivilegedIdentities = orDefault(o.PrivilegedIdentities, DefaultPrivilegedIdentities)
	o.RBACWriterAllow = orDefault(o.RBACWriterAllow, DefaultRBACWriterAllow)
	o.RoleWriterAllow = orDefault(o.RoleWriterAllow, DefaultRoleWriterAllow)
	o.ClusterAdminBinderAllow = orDefault(o.ClusterAdminBinderAllow, DefaultClusterAdminBinderAllow)
	o.AnonymousPathAllow = orDefault(o.AnonymousPathAllow, []string{"/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/version", "/version/"})
	o.EventDeleteAllow = orDefault(o.EventDeleteAllow, DefaultEventDeleteAllow)
	o.ScriptingAgents = orDefault(o.ScriptingAgents, DefaultScriptingAgents)
	o.SequenceAllow = orDefault(o.SequenceAllow, DefaultSequenceAllow)
	o.ControllerServiceAccounts = orDefault(o.ControllerServiceAccounts, []string{"*controller*"})
	o.ControllerPodAllow = orDefault(o.ControllerPodAllow, DefaultControllerPodAllow)
	o.CSRAllow = orDefault(o.CSRAllow, DefaultCSRAllow)
	o.WebhookWriterAllow = orDefault(o.WebhookWriterAllow, DefaultWebhookWriterAllow)
	o.SensitiveConfigMaps = orDefault(o.SensitiveConfigMaps, DefaultSensitiveConfigMaps)
	o.ConfigMapWriterAllow = orDefault(o.ConfigMapWriterAllow, DefaultConfigMapWriterAllow)
	o.SequenceWindow = positiveOr(o.SequenceWindow, 5*time.Minute)
	o.ForbiddenBurstThreshold = positiveOr(o.ForbiddenBurstThreshold, 10)
	o.ForbiddenBurstWindow = positiveOr(o.ForbiddenBurstWindow, 5*time.Minute)
	o.UserAgentBaseline = positiveOr(o.UserAgentBaseline, time.Hour)
	o.SecretBurstThreshold = positiveOr(o.SecretBurstThreshold, 3)
	o.SecretBurstWindow = positiveOr(o.SecretBurstWindow, 6*time.Minute)
	o.DiscoveryBurstThreshold = positiveOr(o.DiscoveryBurstThreshold, 12)
	o.DiscoveryBurstWindow = positiveOr(o.DiscoveryBurstWindow, time.Minute)
	o.TokenUseWindow = positiveOr(o.TokenUseWindow, 48*time.Hour)
	o.MaxKeys = positiveOr(o.MaxKeys, 10000)
	o.EvidenceCap = positiveOr(o.EvidenceCap, 10)
	return o
}

// Detectors returns the catalogue of audit detections, fresh (no state),
// sorted by rule id.
func Detectors(opts DetectOptions) []Detector {
	o := opts.withDefaults()
	ds := []Detector{
		newTokenRequestDetector(o),
		newSecretBurstDetector(o),
		newSecretListDetector(o),
		newSecretNodeOrSADetector(o),
		newSecretScriptingDetector(o),
		newPodTokenDetector(o),
		newExecDetector(o),
		newEphemeralDetector(o),
		newPortForwardDetector(o),
		newNodeProxyDetector(o),
		newImpersonationDetector(o),
		newClusterAdminBindingDetector(o),
		newRBACWriteBySADetector(o),
		newWildcardRoleDetector(o),
		newRBACThenWorkloadDetector(o),
		newControllerSAPodDetector(o),
		newPrivilegedPodDetector(o),
		newSelfReviewDetector(o),
		newCSRDetector(o),
		newWebhookDetector(o),
		newSensitiveConfigMapDetector(o),
		newAnonymousDetector(o),
		newForbiddenDetector(o),
		newExposedServiceDetector(o),
		newEventsDeletedDetector(o),
		newMintedTokenUseDetector(o),
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Rule().ID < ds[j].Rule().ID })
	return ds
}

// ---- event helpers -------------------------------------------------------

// when is the event's time: when the request was received, or the stage
// time for events that lack it.
func when(e *Event) time.Time {
	if !e.RequestReceived.IsZero() {
		return e.RequestReceived
	}
	return e.StageTimestamp
}

// decisionOf is "allow" or "forbid" from the authorization annotation, or,
// for logs without it, from the response code (403 is forbid).
func decisionOf(e *Event) string {
	if d := e.Annotations[AnnotationDecision]; d != "" {
		return d
	}
	if e.ResponseStatus != nil && e.ResponseStatus.Code != 0 {
		if e.ResponseStatus.Code == 403 || e.ResponseStatus.Code == 401 {
			return "forbid"
		}
		return "allow"
	}
	return "unknown"
}

func allowedEvent(e *Event) bool { return decisionOf(e) == "allow" }

// actingAs is the identity the authorizer checked: the impersonated user
// when impersonating, the authenticated user otherwise.
func actingAs(e *Event) (string, []string) {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return e.ImpersonatedUser.Username, e.ImpersonatedUser.Groups
	}
	return e.User.Username, e.User.Groups
}

// clientIP is the first source IP: the client address as claimed.
func clientIP(e *Event) string {
	if len(e.SourceIPs) == 0 {
		return ""
	}
	return e.SourceIPs[0]
}

func objRef(e *Event) ObjectRef {
	if e.ObjectRef == nil {
		return ObjectRef{}
	}
	return *e.ObjectRef
}

// resourceOf is "resource" or "resource/subresource", or the URL path for
// a non-resource request (without its query, which may hold parameters
// that do not belong in a report).
func resourceOf(e *Event) string {
	r := objRef(e)
	if r.Resource == "" {
		p, _, _ := strings.Cut(e.RequestURI, "?")
		return p
	}
	if r.Subresource != "" {
		return r.Resource + "/" + r.Subresource
	}
	return r.Resource
}

func isVerb(e *Event, verbs ...string) bool { return slices.Contains(verbs, e.Verb) }

// stageGate lets each request through once: at ResponseComplete (or Panic,
// or with no stage at all for exports that drop it), or at ResponseStarted
// for long-running requests (exec, attach, port-forward, watch), whose
// later ResponseComplete is then skipped. RequestReceived events carry no
// authorization annotations and are never used. It remembers the last
// startedCap started requests only.
type stageGate struct {
	started map[string]struct{}
	ring    []string
	next    int
}

const startedCap = 4096

func (g *stageGate) pass(e *Event) bool {
	switch e.Stage {
	case StageResponseStarted:
		if e.AuditID == "" {
			return true
		}
		if g.started == nil {
			g.started = make(map[string]struct{})
			g.ring = make([]string, startedCap)
		}
		if old := g.ring[g.next]; old != "" {
			delete(g.started, old)
		}
		g.ring[g.next] = e.AuditID
		g.next = (g.next + 1) % startedCap
		g.started[e.AuditID] = struct{}{}
		return true
	case "", StageResponseComplete, StagePanic:
		if _, ok := g.started[e.AuditID]; ok && e.AuditID != "" {
			delete(g.started, e.AuditID)
			return false
		}
		return true
	}
	return false
}

// globs is a list of patterns where "*" matches any run of characters.
type globs []string

func (g globs) match(s string) bool {
	for _, p := range g {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// matchAny reports whether any of ss matches.
func (g globs) matchAny(ss ...string) bool {
	for _, s := range ss {
		if g.match(s) {
			return true
		}
	}
	return false
}

// globMatch matches s against p where only "*" is special.
func globMatch(p, s string) bool {
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return p == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// callerAllowed reports whether the request is exempt by allow: the real
// caller is allowed and, when impersonating, so is the impersonated user.
// Impersonating an allowed identity never exempts a caller.
func callerAllowed(allow globs, e *Event) bool {
	if !allow.match(e.User.Username) {
		return false
	}
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return allow.match(e.ImpersonatedUser.Username)
	}
	return true
}

// saNamespace returns the namespace of a ServiceAccount user name
// "system:serviceaccount:ns:name", and false for any other user.
func saNamespace(user string) (ns string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", false
	}
	ns, name, ok := strings.Cut(rest, ":")
	return ns, ok && ns != "" && name != ""
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// evidenceOf is the report's view of one event: identifiers only, no
// bodies and no query strings.
func evidenceOf(e *Event) reports.Evidence {
	r := objRef(e)
	user := e.User.Username
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		user += " as " + e.ImpersonatedUser.Username
	}
	return reports.Evidence{
		AuditID:   e.AuditID,
		Time:      rfc3339(when(e)),
		User:      user,
		Verb:      e.Verb,
		Resource:  resourceOf(e),
		Namespace: r.Namespace,
		Name:      r.Name,
		SourceIP:  clientIP(e),
		UserAgent: e.UserAgent,
		Decision:  decisionOf(e),
	}
}

// ---- aggregation ---------------------------------------------------------

// strSet is a small insertion-ordered set that keeps its first max values
// and counts the rest.
type strSet struct {
	vals  []string
	extra int
	max   int
}

func (s *strSet) add(v string) {
	if v == "" || slices.Contains(s.vals, v) {
		return
	}
	limit := s.max
	if limit == 0 {
		limit = 20
	}
	if len(s.vals) >= limit {
		s.extra++ // may count repeats beyond the cap: shown as "at least"
		return
	}
	s.vals = append(s.vals, v)
}

// String lists the values, sorted, with "+N more" when capped.
func (s *strSet) String() string {
	v := slices.Clone(s.vals)
	sort.Strings(v)
	out := strings.Join(v, ", ")
	if s.extra > 0 {
		out += fmt.Sprintf(" (+%d more)", s.extra)
	}
	return out
}

func (s *strSet) len() int { return len(s.vals) }

// aggregate is what one finding accumulates: counts, time span, first
// location, capped evidence, the actor and named attribute sets.
type aggregate struct {
	key             string
	count           int
	allowed, denied int
	first, last     time.Time
	src             scanner.Source
	evidence        []reports.Evidence
	user            string
	groups          []string
	ips             strSet
	agents          strSet
	reason          *Reason
	severity        reports.Severity
	attrs           map[string]*strSet
}

func newAggregate(key string) *aggregate {
	return &aggregate{key: key, ips: strSet{max: 10}, agents: strSet{max: 10}, attrs: map[string]*strSet{}}
}

func (a *aggregate) add(e *Event, evCap int) {
	t := when(e)
	if a.count == 0 {
		a.src = e.Source
		a.user = e.User.Username
		a.groups = slices.Clone(e.User.Groups)
		a.first, a.last = t, t
	}
	a.count++
	if allowedEvent(e) {
		a.allowed++
	} else {
		a.denied++
	}
	if !t.IsZero() && (a.first.IsZero() || t.Before(a.first)) {
		a.first = t
	}
	if t.After(a.last) {
		a.last = t
	}
	for _, ip := range e.SourceIPs {
		a.ips.add(ip)
	}
	a.agents.add(e.UserAgent)
	if a.reason == nil {
		if r, ok := ParseReason(e.Annotations[AnnotationReason]); ok {
			a.reason = &r
		}
	}
	if len(a.evidence) < evCap {
		a.evidence = append(a.evidence, evidenceOf(e))
	}
}

func (a *aggregate) attr(name string) *strSet {
	s := a.attrs[name]
	if s == nil {
		s = &strSet{}
		a.attrs[name] = s
	}
	return s
}

func (a *aggregate) raise(s reports.Severity) {
	if s.Rank() > a.severity.Rank() {
		a.severity = s
	}
}

// fingerprint is a stable identity for a finding: the rule and its key,
// never times or counts, so baselines survive a longer log.
func fingerprint(ruleID, key string) string {
	h := sha256.Sum256([]byte(ruleID + "\x00" + key))
	return hex.EncodeToString(h[:16])
}

// finding turns the aggregate into a detection finding of rule.
func (a *aggregate) finding(rule reports.Rule, msg string) reports.Finding {
	sev := rule.Severity
	if a.severity.Rank() > sev.Rank() {
		sev = a.severity
	}
	f := reports.Finding{
		RuleID:        rule.ID,
		Severity:      sev,
		Kind:          reports.KindDetection,
		Message:       msg,
		Location:      a.src,
		ExerciseCount: a.count,
		FirstSeen:     rfc3339(a.first),
		LastSeen:      rfc3339(a.last),
		Evidence:      slices.Clone(a.evidence),
		Actor: &reports.Actor{
			User:      a.user,
			Groups:    nonNil(a.groups),
			SourceIPs: nonNil(slices.Clone(a.ips.vals)),
		},
		Fingerprint: fingerprint(rule.ID, a.key),
	}
	if len(a.agents.vals) > 0 {
		f.Actor.UserAgent = a.agents.vals[0]
	}
	if a.reason != nil {
		b, r, s := a.reason.Binding, a.reason.Role, a.reason.Subject
		f.Binding, f.Role, f.Subject = &b, &r, &s
		f.Scope = b.Namespace
	}
	return f
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keyed holds one aggregate per key, at most MaxKeys of them.
type keyed struct{ boundedMap[*aggregate] }

func newKeyed(max int) *keyed { return &keyed{newBoundedMap[*aggregate](max)} }

// get returns the key's aggregate, creating it, or nil when the limit is
// reached (counted in dropped).
func (k *keyed) get(key string) *aggregate {
	a, _ := k.boundedMap.get(key, nil, func() *aggregate { return newAggregate(key) })
	return a
}

// sorted returns the aggregates by first time, then key.
func (k *keyed) sorted() []*aggregate {
	out := make([]*aggregate, 0, len(k.m))
	for _, a := range k.m {
		out = append(out, a)
	}
	sortAggregates(out)
	return out
}

func sortAggregates(as []*aggregate) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].first.Equal(as[j].first) {
			return as[i].first.Before(as[j].first)
		}
		return as[i].key < as[j].key
	})
}

// ---- the common shape: one finding per key -------------------------------

// hit is what a per-event predicate extracts from a matching event.
type hit struct {
	key      string
	attrs    map[string]string
	severity reports.Severity
}

// perKey is a detector that groups matching events by key into one finding
// each: most catalogue entries have this shape.
type perKey struct {
	rule    reports.Rule
	o       DetectOptions
	gate    stageGate
	keys    *keyed
	match   func(e *Event) (hit, bool)
	message func(a *aggregate) string
}

func newPerKey(o DetectOptions, rule reports.Rule, match func(*Event) (hit, bool), message func(*aggregate) string) *perKey {
	return &perKey{rule: rule, o: o, keys: newKeyed(o.MaxKeys), match: match, message: message}
}

func (d *perKey) Rule() reports.Rule { return d.rule }

func (d *perKey) Observe(e *Event) {
	if !d.gate.pass(e) {
		return
	}
	h, ok := d.match(e)
	if !ok {
		return
	}
	a := d.keys.get(h.key)
	if a == nil {
		return
	}
	a.add(e, d.o.EvidenceCap)
	a.raise(h.severity)
	for k, v := range h.attrs {
		a.attr(k).add(v)
	}
}

func (d *perKey) Findings() []reports.Finding {
	out := []reports.Finding{}
	for _, a := range d.keys.sorted() {
		out = append(out, a.finding(d.rule, d.message(a)))
	}
	return out
}

func (d *perKey) Diagnostics() []scanner.Diagnostic {
	return limitDiagnostics(d.rule, d.keys.dropped, d.keys.max)
}

// plural renders "1 request" / "3 requests".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// outcome renders "allowed 2, denied 1" style counts.
func outcome(a *aggregate) string {
	return fmt.Sprintf("%d allowed, %d denied", a.allowed, a.denied)
}

// who renders the actor with impersonation, for messages.
func who(e *Event) string {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return fmt.Sprintf("%s (as %s)", e.User.Username, e.ImpersonatedUser.Username)
	}
	return e.User.Username
}
