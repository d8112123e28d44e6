package audit

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

// RawUser is user or impersonatedUser as an audit.k8s.io/v1 Event writes it.
type RawUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// RawObjectRef is an Event's objectRef.
type RawObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	UID         string `json:"uid,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// RawStatus is the part of an Event's responseStatus kubegrant reads.
type RawStatus struct {
	Code    int    `json:"code,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// RawEvent is one audit.k8s.io/v1 (or v1beta1) Event as the apiserver
// writes it: the wire form, before normalisation. Only the stream and
// tests that build events by hand use it; everything else reads Event.
type RawEvent struct {
	Level            string            `json:"level,omitempty"`
	AuditID          string            `json:"auditID"`
	Stage            string            `json:"stage"`
	RequestURI       string            `json:"requestURI"`
	Verb             string            `json:"verb"`
	User             RawUser           `json:"user"`
	ImpersonatedUser *RawUser          `json:"impersonatedUser,omitempty"`
	SourceIPs        []string          `json:"sourceIPs,omitempty"`
	UserAgent        string            `json:"userAgent,omitempty"`
	ObjectRef        *RawObjectRef     `json:"objectRef,omitempty"`
	ResponseStatus   *RawStatus        `json:"responseStatus,omitempty"`
	RequestObject    json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject   json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceived  time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp   time.Time         `json:"stageTimestamp"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// Normalize turns a raw event read at src into an Event (see Event for
// what each field means). It parses the reason annotation afresh; the
// stream shares parsed reasons between events instead.
func (r *RawEvent) Normalize(src scanner.Source) *Event {
	e := &Event{}
	normalize(r, src, e, nil)
	return e
}

// normalize fills e from r; reasons, when not nil, caches parsed reasons.
func normalize(r *RawEvent, src scanner.Source, e *Event, reasons *reasonCache) {
	*e = Event{
		AuditID:        r.AuditID,
		Stage:          r.Stage,
		Level:          r.Level,
		Source:         src,
		User:           userOf(&r.User),
		SourceIPs:      r.SourceIPs,
		UserAgent:      r.UserAgent,
		Verb:           r.Verb,
		RequestURI:     r.RequestURI,
		RequestObject:  r.RequestObject,
		ResponseObject: r.ResponseObject,
		Time:           r.RequestReceived,
		StageTime:      r.StageTimestamp,
	}
	x := extras{hasRef: r.ObjectRef != nil}
	if r.ImpersonatedUser != nil {
		u := userOf(r.ImpersonatedUser)
		x.impersonated = &u
	}
	if o := r.ObjectRef; o != nil {
		e.Object = ObjectRef{Resource: o.Resource, Subresource: o.Subresource, Namespace: o.Namespace,
			Name: o.Name, Group: o.APIGroup, Version: o.APIVersion}
	}
	if r.ResponseStatus != nil {
		e.Code = r.ResponseStatus.Code
	}
	if r.Annotations != nil {
		x.decision, x.hasDecision = annotation(r.Annotations, AnnotationDecision)
		x.reason, _ = annotation(r.Annotations, AnnotationReason)
		x.issued, _ = annotation(r.Annotations, AnnotationIssuedCredential)
	}
	finish(e, &x, reasons)
}

// finish completes an event whose wire fields are filled (by normalize
// from a RawEvent, or by lineDecoder from the line): the times each stand
// in for the other when missing, "core" is the group "", the decision,
// the reason's binding and the authorizer's attributes.
func finish(e *Event, x *extras, reasons *reasonCache) {
	if e.Time.IsZero() {
		e.Time = e.StageTime
	}
	if e.StageTime.IsZero() {
		e.StageTime = e.Time
	}
	if x.impersonated != nil && x.impersonated.Name != "" {
		e.Impersonated = x.impersonated
	}
	if e.Object.Group == "core" {
		e.Object.Group = ""
	}
	e.Reason, e.IssuedCredentialID = x.reason, x.issued
	e.Annotated = x.hasDecision
	e.Decision = decide(x.decision, x.hasDecision, e.Code)
	if e.Reason != "" {
		if reasons != nil {
			e.RBAC = reasons.parse(e.Reason)
		} else if rr, ok := ParseReason(e.Reason); ok {
			e.RBAC = &rr
		}
	}
	e.Attrs = attributes(e, x.hasRef)
}

// decide is the decision of a request: the annotation when the log has
// one; else, from the response code, 401 and 403 forbid and any other code
// allow (the request got past the authorizer); no code at all is Unknown.
func decide(annotation string, ok bool, code int) Decision {
	if ok {
		switch annotation {
		case "allow":
			return Allow
		case "forbid":
			return Forbid
		}
		return Unknown
	}
	switch code {
	case 0:
		return Unknown
	case 401, 403:
		return Forbid
	}
	return Allow
}

func userOf(u *RawUser) User {
	out := User{Name: u.Username, UID: u.UID, Groups: u.Groups}
	if u.Extra != nil {
		out.PodName = first(extra(u.Extra, ExtraPodName))
		out.PodUID = first(extra(u.Extra, ExtraPodUID))
		out.NodeName = first(extra(u.Extra, ExtraNodeName))
		out.CredentialID = first(extra(u.Extra, ExtraCredentialID))
	}
	return out
}

// annotation looks key up, also as Elastic's ingest pipeline writes it:
// dots of the prefix replaced by underscores (authorization_k8s_io/reason).
func annotation(m map[string]string, key string) (string, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	v, ok := m[underscored(key)]
	return v, ok
}

func extra(m map[string][]string, key string) []string {
	if v, ok := m[key]; ok {
		return v
	}
	return m[underscored(key)]
}

// underscored is key with the dots before its slash replaced by
// underscores.
func underscored(key string) string {
	prefix, rest, ok := strings.Cut(key, "/")
	if !ok {
		return key
	}
	return strings.ReplaceAll(prefix, ".", "_") + "/" + rest
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// reasonCache shares parsed reasons: a log has as many distinct reasons as
// bindings in use, and parsing each of a million is wasted work.
type reasonCache struct {
	m map[string]*Reason
}

const maxCachedReasons = 4096

func (c *reasonCache) parse(s string) *Reason {
	if r, ok := c.m[s]; ok {
		return r
	}
	if c.m == nil || len(c.m) >= maxCachedReasons {
		c.m = make(map[string]*Reason, 64)
	}
	var out *Reason
	if r, ok := ParseReason(s); ok {
		out = &r
	}
	c.m[s] = out
	return out
}
