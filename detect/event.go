// Package detect streams Kubernetes audit logs, replays them against the
// resolved RBAC Graph to prove which grants were exercised, and runs the
// audit detections (D01–D25 of CATALOGUE.md).
//
// Events are read one at a time: memory does not grow with the log. A
// malformed line becomes a Diagnostic with its file and line and the run goes
// on. Request and response bodies are kept only as raw JSON for the content
// detections that need them, and never written to a report or a log line.
package detect

import (
	"encoding/json"
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

// UserInfo is an authenticated identity as the audit log records it.
type UserInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// ObjectRef is the object a request is about.
type ObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	UID         string `json:"uid,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// ResponseStatus is the part of the response status kubegrant reads.
type ResponseStatus struct {
	Code    int    `json:"code,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Event is one audit.k8s.io/v1 (or v1beta1) Event.
type Event struct {
	Level            string            `json:"level,omitempty"`
	AuditID          string            `json:"auditID"`
	Stage            string            `json:"stage"`
	RequestURI       string            `json:"requestURI"`
	Verb             string            `json:"verb"`
	User             UserInfo          `json:"user"`
	ImpersonatedUser *UserInfo         `json:"impersonatedUser,omitempty"`
	SourceIPs        []string          `json:"sourceIPs,omitempty"`
	UserAgent        string            `json:"userAgent,omitempty"`
	ObjectRef        *ObjectRef        `json:"objectRef,omitempty"`
	ResponseStatus   *ResponseStatus   `json:"responseStatus,omitempty"`
	RequestObject    json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject   json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceived  time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp   time.Time         `json:"stageTimestamp"`
	Annotations      map[string]string `json:"annotations,omitempty"`

	// Source is the file and line the event was read from.
	Source scanner.Source `json:"-"`
}
