// Package audit reads Kubernetes audit logs in every format kubegrant
// knows (see formats.go) and turns each audited request into one
// normalised Event: who made it, acting as whom, from where, what it asked
// for, how it was decided and why, and when. The replay and every audit
// detection consume that Event and nothing else, so that a request means
// the same thing to all of them.
//
// Logs are streamed: memory does not grow with the log. A malformed record
// becomes a Diagnostic with its file and line and the run goes on. Request
// and response bodies are kept only as raw JSON for the content detections
// that need them, and never written to a report or a log line.
package audit

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

// Audit stages.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Annotation keys the apiserver writes on audit events.
const (
	AnnotationDecision         = "authorization.k8s.io/decision"
	AnnotationReason           = "authorization.k8s.io/reason"
	AnnotationIssuedCredential = "authentication.kubernetes.io/issued-credential-id"
)

// Keys of user.extra set for bound service-account tokens.
const (
	ExtraPodName      = "authentication.kubernetes.io/pod-name"
	ExtraPodUID       = "authentication.kubernetes.io/pod-uid"
	ExtraNodeName     = "authentication.kubernetes.io/node-name"
	ExtraCredentialID = "authentication.kubernetes.io/credential-id"
)

// Decision is how the authorizer decided a request.
type Decision string

// Decisions. Unknown is a request the log says nothing about: no decision
// annotation and no response status.
const (
	Allow   Decision = "allow"
	Forbid  Decision = "forbid"
	Unknown Decision = "unknown"
)

// User is an identity as the audit log records it. For a bound
// ServiceAccount token, the pod, node and credential it was issued for come
// from user.extra.
type User struct {
	Name   string
	UID    string
	Groups []string
	// PodName is the pod (in the ServiceAccount's namespace) a bound token
	// was issued for; NodeName its node; CredentialID the token's JTI.
	PodName, PodUID, NodeName, CredentialID string
}

// ObjectRef is the object a resource request is about. Group is "" for the
// core group (a "core" in the log is normalised to "").
type ObjectRef struct {
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	Group       string
	Version     string
}

// Event is one audited request, normalised once by the stream. It is the
// only shape of an audit event the replay and the detections see.
type Event struct {
	// AuditID identifies the request (clients may set it: it is not
	// guaranteed unique). Stage is the stage this record was written at.
	AuditID string
	Stage   string
	Level   string
	// Source is the file and line the record was read from.
	Source scanner.Source

	// User is who authenticated; Impersonated the identity the request
	// impersonated, nil when it did not.
	User         User
	Impersonated *User
	// SourceIPs are the client address and the proxies it came through
	// (X-Forwarded-For first): only the last is seen by the apiserver.
	SourceIPs []string
	UserAgent string

	// Verb and RequestURI as logged; Object the objectRef (zero for a
	// non-resource request); Attrs what the RBAC authorizer was asked
	// (see attributes).
	Verb       string
	RequestURI string
	Object     ObjectRef
	Attrs      scanner.Request

	// Decision from the authorization.k8s.io/decision annotation, or from
	// the response code for logs without it (401 and 403 are Forbid, any
	// other code Allow); Code the HTTP response code (0 when not logged).
	Decision Decision
	Code     int
	// Reason is the authorization.k8s.io/reason annotation; RBAC the
	// binding, role and subject it names when RBAC allowed the request
	// (nil otherwise). The same *RBACReason is shared by every event with
	// the same reason: never modify it.
	Reason string
	RBAC   *Reason
	// Annotated tells whether the log carries the authorization
	// annotations (a request allowed with an empty reason was then allowed
	// outside RBAC: system:masters).
	Annotated bool
	// IssuedCredentialID is the JTI of a token a TokenRequest minted.
	IssuedCredentialID string

	// Time is when the request was received (the stage time for logs
	// without it); StageTime when this stage was written.
	Time      time.Time
	StageTime time.Time

	// RequestObject and ResponseObject are the bodies at Request and
	// RequestResponse levels. They may alias the stream's buffers: valid
	// only while the callback runs.
	RequestObject, ResponseObject json.RawMessage
}

// Actor is the identity the request was authorized as: the impersonated
// user when there is one (the caller only needed the impersonate verb),
// else the authenticated user. Groups are as recorded (GKE records none).
func (e *Event) Actor() (name string, groups []string) {
	if e.Impersonated != nil && e.Impersonated.Name != "" {
		return e.Impersonated.Name, e.Impersonated.Groups
	}
	return e.User.Name, e.User.Groups
}

// ActorUser is the identity the request was authorized as (see Actor).
func (e *Event) ActorUser() *User {
	if e.Impersonated != nil && e.Impersonated.Name != "" {
		return e.Impersonated
	}
	return &e.User
}

// Who names the caller for messages and evidence: "alice", or
// "alice (as bob)" when alice impersonated bob.
func (e *Event) Who() string {
	if e.Impersonated != nil && e.Impersonated.Name != "" {
		return e.User.Name + " (as " + e.Impersonated.Name + ")"
	}
	return e.User.Name
}

// Allowed reports whether the authorizer allowed the request. An allowed
// request can still have failed later (admission, not found, conflict).
func (e *Event) Allowed() bool { return e.Decision == Allow }

// Succeeded reports whether the request was allowed and did not fail: its
// response code, when logged, is below 400. A create that returned 500
// created nothing.
func (e *Event) Succeeded() bool { return e.Decision == Allow && e.Code < 400 }

// ClientIP is the first source IP: the client address as claimed.
func (e *Event) ClientIP() string {
	if len(e.SourceIPs) == 0 {
		return ""
	}
	return e.SourceIPs[0]
}

// Path is the request URI without its query (which may hold parameters
// that do not belong in a report).
func (e *Event) Path() string {
	p, _, _ := strings.Cut(e.RequestURI, "?")
	return p
}

// Resource is "resource" or "resource/subresource", or the URL path of a
// non-resource request.
func (e *Event) Resource() string {
	if e.Object.Resource == "" {
		return e.Path()
	}
	if e.Object.Subresource != "" {
		return e.Object.Resource + "/" + e.Object.Subresource
	}
	return e.Object.Resource
}

// LongRunning reports whether the apiserver treats the request as
// long-running: a watch, or a connect to pods/exec, pods/attach,
// pods/portforward or a proxy subresource. Such a request is delivered at
// its ResponseStarted stage, because its ResponseComplete comes only when
// the connection ends (or never, in a log snapshot).
func (e *Event) LongRunning() bool {
	return longRunning(e.Verb, e.Object.Subresource)
}

func longRunning(verb, subresource string) bool {
	if verb == "watch" {
		return true
	}
	switch subresource {
	case "exec", "attach", "portforward", "proxy":
		return true
	}
	return false
}
