package audit

// Input formats. Stream detects the format of each file from its content,
// never from its name:
//
//   - JSON lines of audit.k8s.io/v1 (or v1beta1) Events, as the apiserver's
//     log backend writes them; 2017-era events with "timestamp" (and
//     "metadata.creationTimestamp") instead of requestReceivedTimestamp and
//     stageTimestamp get both times from it.
//   - An EventList ({"kind":"EventList","items":[...]}), a JSON array of
//     records, or any wrapper object whose "items", "records", "logEvents",
//     "events" or "entries" array holds records. Multi-line documents are
//     streamed element by element with json.Decoder tokens.
//   - EKS, CloudWatch Logs: {"logEvents":[{"message":"<event JSON>"}]}
//     (subscription payloads), {"events":[...]} (get-log-events and
//     filter-log-events output), lines of {"message":"<event JSON>",...},
//     and "<timestamp> <event JSON>" lines (S3 exports).
//   - AKS diagnostic settings: records with category kube-audit or
//     kube-audit-admin whose properties.log holds the event as a JSON string
//     or object, one per line (storage account blobs) or in
//     {"records":[...]} (Event Hubs). Other categories are counted as
//     Skipped.
//   - GKE, Cloud Logging entries whose protoPayload is an AuditLog of
//     service k8s.io (see gke for the mapping and its limits). Entries of
//     other services are counted as Skipped.
//   - CloudWatch Logs Insights exports: records whose "@message" holds the
//     event JSON.
//   - Elastic: ECS documents of the Kubernetes integration, the event (or
//     GKE entry) under kubernetes.audit with annotation keys written
//     authorization_k8s_io/decision; Elasticsearch hits ({"_source": …}).
//
// Every record ends up as exactly one of: a delivered event, a duplicate, a
// partial stage, a skipped record, or an error diagnostic.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

// maxDepth bounds the nesting of wrappers (a CloudWatch message inside a
// logEvents array inside a JSON array…).
const maxDepth = 6

// record is the decoding target of one record of any supported format: an
// audit Event plus the fields by which the other formats are recognised.
// Fields absent from the input cost nothing.
type record struct {
	*RawEvent
	Kind      string    `json:"kind"`
	Timestamp flexTime  `json:"timestamp"`
	Metadata  *metadata `json:"metadata"`

	// Wrappers of records.
	Items     json.RawMessage `json:"items"`
	Records   json.RawMessage `json:"records"`
	LogEvents json.RawMessage `json:"logEvents"`
	Events    json.RawMessage `json:"events"`
	Entries   json.RawMessage `json:"entries"`

	// GKE Cloud Logging entries.
	ProtoPayload json.RawMessage   `json:"protoPayload"`
	InsertID     string            `json:"insertId"`
	Labels       map[string]string `json:"labels"`
	Operation    *gkeOperation     `json:"operation"`

	// EKS CloudWatch Logs (and Logs Insights exports: @message).
	Message   json.RawMessage `json:"message"`
	AtMessage json.RawMessage `json:"@message"`

	// Elastic: ECS documents hold the event under kubernetes.audit;
	// Elasticsearch exports wrap documents in _source.
	Kubernetes *struct {
		Audit json.RawMessage `json:"audit"`
	} `json:"kubernetes"`
	ESSource json.RawMessage `json:"_source"`

	// AKS diagnostic records.
	Category   string          `json:"category"`
	Properties json.RawMessage `json:"properties"`
}

type metadata struct {
	CreationTimestamp flexTime `json:"creationTimestamp"`
}

// flexTime reads an RFC 3339 string or a number of Unix milliseconds
// (CloudWatch).
type flexTime struct{ time.Time }

var errBadTime = errors.New("invalid timestamp")

// UnmarshalJSON implements json.Unmarshaler.
func (t *flexTime) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return errBadTime
		}
		if s == "" {
			return nil
		}
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errBadTime
		}
		t.Time = tt
		return nil
	default:
		ms, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return errBadTime
		}
		t.Time = time.UnixMilli(int64(ms)).UTC()
		return nil
	}
}

// record processes one record (a JSON value) read at line. It returns only
// fatal errors (fn's or the context's); bad input becomes diagnostics.
func (s *streamer) record(data []byte, line, depth int) error {
	s.n++
	if s.n&1023 == 0 {
		if err := s.ctx.Err(); err != nil {
			return err
		}
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] != '{' && data[0] != '[' {
		if rest, ok := stripPrefix(data); ok {
			data = rest
		}
	}
	if len(data) == 0 || data[0] != '{' && data[0] != '[' {
		s.stats.Records++
		s.recordError(line, "not a JSON object (starts with %s)", quoteShort(data))
		return nil
	}
	if depth > maxDepth {
		s.stats.Records++
		s.recordError(line, "records nested more than %d deep", maxDepth)
		return nil
	}
	if data[0] == '[' {
		return s.array(data, line, depth)
	}
	if m, ok := s.dec.decode(data, scanner.Source{File: s.file, Line: line}, &s.ev); ok {
		s.stats.Records++
		return s.deliverDecoded(&s.ev, m)
	}
	if skipRequestReceived(data) {
		s.stats.Records++
		s.stats.Partial++
		return nil
	}
	s.raw = RawEvent{}
	s.rec = record{RawEvent: &s.raw}
	if err := json.Unmarshal(data, &s.rec); err != nil {
		s.stats.Records++
		s.recordError(line, "%s", describeJSONError(err))
		return nil
	}
	rec := &s.rec
	if rec.Items != nil || rec.Records != nil || rec.LogEvents != nil || rec.Events != nil || rec.Entries != nil {
		for _, list := range []json.RawMessage{rec.Items, rec.Records, rec.LogEvents, rec.Events, rec.Entries} {
			if list == nil {
				continue
			}
			if err := s.array(list, line, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case rec.ESSource != nil && rec.RawEvent.Verb == "":
		return s.record(rec.ESSource, line, depth+1)
	case rec.Kubernetes != nil && len(rec.Kubernetes.Audit) > 0 && rec.RawEvent.Verb == "":
		return s.record(rec.Kubernetes.Audit, line, depth+1)
	case rec.ProtoPayload != nil:
		return s.gke(line)
	case (rec.Message != nil || rec.AtMessage != nil) && rec.RawEvent.Verb == "":
		msg := rec.Message
		if msg == nil {
			msg = rec.AtMessage
		}
		return s.nested(msg, "message", line, depth)
	case rec.Properties != nil || rec.Category != "":
		return s.aks(line, depth)
	}
	s.stats.Records++
	return s.event(line)
}

// event validates the plain audit event just decoded and delivers it.
func (s *streamer) event(line int) error {
	rec, ev := &s.rec, &s.raw
	if rec.Kind != "" && rec.Kind != "Event" {
		s.recordError(line, "not an audit event: kind %s", quoteShort([]byte(rec.Kind)))
		return nil
	}
	switch {
	case ev.Verb == "" && ev.User.Username == "":
		s.recordError(line, "invalid audit event: no verb and no user")
		return nil
	case ev.Verb == "":
		s.recordError(line, "invalid audit event: no verb")
		return nil
	case ev.User.Username == "":
		s.recordError(line, "invalid audit event: no user.username")
		return nil
	}
	// Old (v1beta1, 2017) events carry one timestamp.
	old := rec.Timestamp.Time
	if old.IsZero() && rec.Metadata != nil {
		old = rec.Metadata.CreationTimestamp.Time
	}
	if ev.RequestReceived.IsZero() {
		ev.RequestReceived = old
	}
	if ev.StageTimestamp.IsZero() {
		ev.StageTimestamp = old
	}
	return s.deliver(ev, line)
}

// array processes each element of a JSON array held in data.
func (s *streamer) array(data []byte, line, depth int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		s.stats.Records++
		if err != nil {
			s.recordError(line, "%s", describeJSONError(err))
		} else {
			s.recordError(line, "list of records is not a JSON array")
		}
		return nil
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			s.stats.Records++
			s.recordError(line, "%s", describeJSONError(err))
			return nil
		}
		if err := s.record(raw, line, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		s.stats.Records++
		s.recordError(line, "%s", describeJSONError(err))
	}
	return nil
}

// aks unwraps an AKS diagnostic record.
func (s *streamer) aks(line, depth int) error {
	rec := &s.rec
	if rec.Category != "kube-audit" && rec.Category != "kube-audit-admin" {
		s.stats.Records++
		s.skip()
		return nil
	}
	var props struct {
		Log json.RawMessage `json:"log"`
	}
	if len(rec.Properties) > 0 {
		if err := json.Unmarshal(rec.Properties, &props); err != nil {
			s.stats.Records++
			s.recordError(line, "AKS record properties: %s", describeJSONError(err))
			return nil
		}
	}
	if len(props.Log) == 0 || string(props.Log) == "null" {
		s.stats.Records++
		s.recordError(line, "AKS %s record has no properties.log", rec.Category)
		return nil
	}
	return s.nested(props.Log, "AKS properties.log", line, depth)
}

// nested reads the record a wrapper's field holds: as JSON, or as a string
// of JSON; field names it in a diagnostic.
func (s *streamer) nested(data []byte, field string, line, depth int) error {
	if data[0] == '"' {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			s.stats.Records++
			s.recordError(line, "%s: %s", field, describeJSONError(err))
			return nil
		}
		data = []byte(str)
	}
	return s.record(data, line, depth+1)
}

func (s *streamer) skip() {
	s.stats.Skipped++
	s.skipped++
}

// gkeOperation is a Cloud Logging entry's operation: for GKE audit logs,
// id is the Kubernetes auditID, first/last mark the stages.
type gkeOperation struct {
	ID    string `json:"id"`
	First bool   `json:"first"`
	Last  bool   `json:"last"`
}

// gkePayload is the part of a google.cloud.audit.AuditLog that maps to an
// audit Event.
type gkePayload struct {
	Type               string `json:"@type"`
	ServiceName        string `json:"serviceName"`
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail    string `json:"principalEmail"`
		AuthoritySelector string `json:"authoritySelector"`
	} `json:"authenticationInfo"`
	AuthorizationInfo []struct {
		Granted bool `json:"granted"`
	} `json:"authorizationInfo"`
	RequestMetadata struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	Status *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Request  json.RawMessage `json:"request"`
	Response json.RawMessage `json:"response"`
}

// gke maps a GKE Cloud Logging entry to an audit Event:
//
//   - auditID: operation.id (the Kubernetes audit ID), else insertId;
//     stage: operation first without last = ResponseStarted, last =
//     ResponseComplete, no operation = no stage.
//   - verb: the last element of methodName (io.k8s.core.v1.secrets.get).
//   - objectRef: from resourceName (core/v1/namespaces/ns/secrets/name,
//     apps/v1/namespaces/ns/deployments/web/scale) with the apiserver's
//     RequestInfo rules ("core" is the group ""); a resourceName without a
//     group/version is a non-resource path. requestURI is rebuilt from it
//     (without query: a list's fieldSelector is not recorded).
//   - user: authenticationInfo.principalEmail; impersonatedUser:
//     authenticationInfo.authoritySelector (the Impersonate-User header).
//     An entry with an authoritySelector and no principalEmail is the
//     selected identity's own. GKE does not record groups, uid or extra, so
//     they stay empty: the reason annotation attributes the request. Nothing
//     in the entry stands in for user.extra (authenticationInfo has no pod,
//     node or token ID; serviceAccountDelegationInfo is Google IAM's chain
//     of impersonated Google service accounts), so these requests are
//     counted in Stats.WithoutUserExtra.
//   - sourceIPs, userAgent: requestMetadata.callerIp and
//     callerSuppliedUserAgent.
//   - annotations: the entry's labels under *.k8s.io/ and kubernetes.io/
//     (authorization.k8s.io/decision and reason); without a decision label,
//     authorizationInfo[].granted gives allow (all granted) or forbid.
//   - responseStatus.code: from the google.rpc status code (absent = 200;
//     a create's 201 cannot be told from 200).
//   - requestObject, responseObject: protoPayload.request and response.
//   - times: timestamp for both requestReceivedTimestamp and stageTimestamp.
func (s *streamer) gke(line int) error {
	rec := &s.rec
	s.stats.Records++
	var p gkePayload
	if err := json.Unmarshal(rec.ProtoPayload, &p); err != nil {
		s.recordError(line, "protoPayload: %s", describeJSONError(err))
		return nil
	}
	if (p.ServiceName != "" && p.ServiceName != "k8s.io") ||
		(p.Type != "" && !strings.HasSuffix(p.Type, "google.cloud.audit.AuditLog")) {
		s.skip()
		return nil
	}
	ev := &s.raw
	// Elastic keeps a GKE entry's labels as annotations.
	annotations := ev.Annotations
	*ev = RawEvent{Level: "Metadata", Annotations: annotations}
	if rec.Operation != nil {
		ev.AuditID = rec.Operation.ID
		switch {
		case rec.Operation.Last:
			ev.Stage = StageResponseComplete
		case rec.Operation.First:
			ev.Stage = StageResponseStarted
		}
	}
	if ev.AuditID == "" {
		ev.AuditID = rec.InsertID
	}
	if i := strings.LastIndexByte(p.MethodName, '.'); i >= 0 {
		ev.Verb = p.MethodName[i+1:]
	}
	ev.User.Username = p.AuthenticationInfo.PrincipalEmail
	if sel := p.AuthenticationInfo.AuthoritySelector; sel != "" {
		if ev.User.Username == "" {
			ev.User.Username = sel
		} else if sel != ev.User.Username {
			ev.ImpersonatedUser = &RawUser{Username: sel}
		}
	}
	if p.RequestMetadata.CallerIP != "" {
		ev.SourceIPs = []string{p.RequestMetadata.CallerIP}
	}
	ev.UserAgent = p.RequestMetadata.CallerSuppliedUserAgent
	ev.ObjectRef, ev.RequestURI = gkeResource(p.ResourceName, p.MethodName)
	code := 200
	if p.Status != nil {
		code = httpFromRPC(p.Status.Code)
		ev.ResponseStatus = &RawStatus{Code: code, Message: p.Status.Message}
	} else {
		ev.ResponseStatus = &RawStatus{Code: code}
	}
	ev.RequestObject, ev.ResponseObject = p.Request, p.Response
	for k, v := range rec.Labels {
		if strings.Contains(k, ".k8s.io/") || strings.Contains(k, "kubernetes.io/") {
			if ev.Annotations == nil {
				ev.Annotations = map[string]string{}
			}
			ev.Annotations[k] = v
		}
	}
	if _, ok := ev.Annotations[AnnotationDecision]; !ok && len(p.AuthorizationInfo) > 0 {
		decision := "allow"
		for _, a := range p.AuthorizationInfo {
			if !a.Granted {
				decision = "forbid"
			}
		}
		if ev.Annotations == nil {
			ev.Annotations = map[string]string{}
		}
		ev.Annotations[AnnotationDecision] = decision
	}
	ev.RequestReceived = rec.Timestamp.Time
	ev.StageTimestamp = rec.Timestamp.Time
	switch {
	case ev.Verb == "" || ev.User.Username == "":
		s.recordError(line, "GKE audit entry has no methodName verb or no principal (principalEmail, authoritySelector)")
		return nil
	}
	before := s.stats.Events
	err := s.deliver(ev, line)
	s.stats.WithoutUserExtra += s.stats.Events - before
	return err
}

var versionRE = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// gkeResource turns a GKE resourceName into an ObjectRef and a request
// path, following the apiserver's RequestInfo for namespaces: the
// namespace of namespaces/<ns> is <ns>, and namespaces/<ns>/status and
// /finalize are subresources of the namespace.
func gkeResource(resourceName, methodName string) (*RawObjectRef, string) {
	parts := strings.Split(strings.Trim(resourceName, "/"), "/")
	if len(parts) < 3 || !versionRE.MatchString(parts[1]) {
		if resourceName == "" {
			return nil, ""
		}
		return nil, "/" + strings.TrimPrefix(resourceName, "/")
	}
	group, version, rest := parts[0], parts[1], parts[2:]
	uri := "/apis/" + group + "/" + version
	if group == "core" || group == "" {
		group = ""
		uri = "/api/" + version
	}
	uri += "/" + strings.Join(rest, "/")
	ref := &RawObjectRef{APIGroup: group, APIVersion: version}
	if rest[0] == "namespaces" && len(rest) > 1 {
		ref.Namespace = rest[1]
		if len(rest) > 2 && rest[2] != "status" && rest[2] != "finalize" {
			rest = rest[2:]
		}
	}
	ref.Resource = rest[0]
	if len(rest) > 1 {
		ref.Name = rest[1]
	}
	if len(rest) > 2 {
		ref.Subresource = rest[2]
	}
	// A subresource collection create (pods/exec without a name in the
	// resourceName is impossible, but the method names it).
	if ref.Subresource == "" {
		m := strings.Split(methodName, ".")
		if len(m) >= 3 && m[len(m)-3] == ref.Resource && ref.Name != "" {
			ref.Subresource = m[len(m)-2]
		}
	}
	return ref, uri
}

// httpFromRPC maps a google.rpc.Code to the HTTP status the apiserver
// returned.
func httpFromRPC(code int) int {
	switch code {
	case 0:
		return 200
	case 1:
		return 499
	case 3, 9, 11:
		return 400
	case 4:
		return 504
	case 5:
		return 404
	case 6, 10:
		return 409
	case 7:
		return 403
	case 8:
		return 429
	case 12:
		return 501
	case 14:
		return 503
	case 16:
		return 401
	default:
		return 500
	}
}

// readDocuments streams one or more multi-line JSON documents (arrays,
// wrappers, pretty-printed events) with a json.Decoder. base is the number
// of lines before r's first byte.
func (s *streamer) readDocuments(r io.Reader, base int) error {
	lt := &lineTracker{r: r, base: base}
	dec := json.NewDecoder(lt)
	defer func() { s.stats.Lines += base + lt.lines() }()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			s.docError(lt, dec, err)
			return nil
		}
		start := lt.lineAt(dec.InputOffset() - 1)
		var ferr error
		var ok bool
		switch tok {
		case json.Delim('['):
			ok, ferr = s.docArray(dec, lt)
		case json.Delim('{'):
			ok, ferr = s.docObject(dec, lt, start)
		default:
			s.stats.Records++
			s.recordError(start, "top-level JSON value is not an object or array")
			ok = true
		}
		if ferr != nil {
			return ferr
		}
		if !ok {
			return nil
		}
	}
}

// docError reports a decoding error that ends the document.
func (s *streamer) docError(lt *lineTracker, dec *json.Decoder, err error) {
	s.stats.Records++
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > off {
		off = se.Offset
	}
	s.recordError(lt.lineAt(off), "%s; rest of file skipped", describeJSONError(err))
}

// docArray streams the elements of an array whose '[' was read. It
// returns false when the document is broken.
func (s *streamer) docArray(dec *json.Decoder, lt *lineTracker) (bool, error) {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			s.docError(lt, dec, err)
			return false, nil
		}
		line := lt.lineAt(dec.InputOffset() - int64(len(raw)))
		if err := s.record(raw, line, 1); err != nil {
			return false, err
		}
	}
	if _, err := dec.Token(); err != nil {
		s.docError(lt, dec, err)
		return false, nil
	}
	return true, nil
}

// docObject reads an object whose '{' was read: a wrapper's record arrays
// are streamed, any other object is rebuilt and processed as one record.
func (s *streamer) docObject(dec *json.Decoder, lt *lineTracker, start int) (bool, error) {
	var keys []string
	var vals []json.RawMessage
	streamed := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			s.docError(lt, dec, err)
			return false, nil
		}
		key, _ := kt.(string)
		switch key {
		case "items", "records", "logEvents", "events", "entries":
			tok, err := dec.Token()
			if err != nil {
				s.docError(lt, dec, err)
				return false, nil
			}
			switch tok {
			case json.Delim('['):
				streamed = true
				if ok, err := s.docArray(dec, lt); !ok || err != nil {
					return false, err
				}
			case json.Delim('{'):
				s.stats.Records++
				s.recordError(lt.lineAt(dec.InputOffset()-1), "field %s is an object, not a list of records; rest of file skipped", key)
				return false, nil
			default:
				b, _ := json.Marshal(tok)
				keys, vals = append(keys, key), append(vals, b)
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				s.docError(lt, dec, err)
				return false, nil
			}
			keys, vals = append(keys, key), append(vals, raw)
		}
	}
	if _, err := dec.Token(); err != nil {
		s.docError(lt, dec, err)
		return false, nil
	}
	if streamed {
		return true, nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vals[i])
	}
	b.WriteByte('}')
	return true, s.record(b.Bytes(), start, 0)
}

// lineTracker counts lines under a json.Decoder so that a byte offset can
// be turned into a line. It keeps only the newlines not yet passed, so its
// memory is bounded by the decoder's look-ahead.
type lineTracker struct {
	r      io.Reader
	off    int64
	nl     []int64
	head   int
	passed int
	base   int
	count  int
	last   byte
}

// Read implements io.Reader.
func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		t.nl = append(t.nl, t.off+int64(i+j))
		t.count++
		i += j + 1
	}
	if n > 0 {
		t.last = p[n-1]
	}
	t.off += int64(n)
	return n, err
}

// lineAt is the 1-based line of byte offset off; offsets must not decrease
// between calls.
func (t *lineTracker) lineAt(off int64) int {
	for t.head < len(t.nl) && t.nl[t.head] < off {
		t.head++
		t.passed++
	}
	if t.head > 4096 && t.head*2 > len(t.nl) {
		t.nl = append(t.nl[:0], t.nl[t.head:]...)
		t.head = 0
	}
	return t.base + t.passed + 1
}

// lines is the number of lines read.
func (t *lineTracker) lines() int {
	if t.off > 0 && t.last != '\n' {
		return t.count + 1
	}
	return t.count
}

var (
	rrPrefix = []byte(`{"kind":"Event",`)
	rrStage  = []byte(`"stage":"RequestReceived"`)
)

// skipRequestReceived reports whether data is a well-formed top-level
// RequestReceived event as the apiserver writes it, so that it can be
// counted without being decoded (they are a third of a Metadata log and
// are never delivered). Anything else takes the full decoding path.
func skipRequestReceived(data []byte) bool {
	if !bytes.HasPrefix(data, rrPrefix) {
		return false
	}
	i := bytes.Index(data, rrStage)
	if i < 0 || bytes.ContainsAny(data[1:i], "{[") {
		return false
	}
	return json.Valid(data)
}

// stripPrefix removes a "<timestamp> " prefix (CloudWatch exports) before
// a JSON object.
func stripPrefix(data []byte) ([]byte, bool) {
	i := bytes.IndexAny(data, " \t")
	if i <= 0 || i > 64 {
		return nil, false
	}
	for _, c := range data[:i] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte(":.-+_", c) >= 0) {
			return nil, false
		}
	}
	rest := bytes.TrimLeft(data[i:], " \t")
	if len(rest) == 0 || rest[0] != '{' {
		return nil, false
	}
	return rest, true
}

// describeJSONError explains a decoding error without quoting the input,
// which may hold secrets.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &se):
		msg := se.Error()
		// "invalid character 'x' ..." quotes one character at most.
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, msg)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "invalid JSON: unexpected end of input"
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("invalid audit event: field %s is a JSON %s, want %s", field, te.Value, jsonKind(te.Type.String()))
	case errors.As(err, &pe), errors.Is(err, errBadTime):
		return "invalid audit event: timestamp is not RFC 3339"
	default:
		return "invalid audit event: cannot decode"
	}
}

// jsonKind names a Go type as the JSON kind it decodes from.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "string"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "object"
	case goType == "bool":
		return "boolean"
	default:
		return "number"
	}
}

var tokenish = regexp.MustCompile(`[A-Za-z0-9+/=_.\-]{13,}`)

// quoteShort renders at most a short, sanitised prefix of b for a
// diagnostic: control and non-ASCII bytes are replaced, and it stops
// before anything that looks like a token or key.
func quoteShort(b []byte) string {
	const maxLen = 20
	cut := len(b) > maxLen
	if cut {
		b = b[:maxLen]
	}
	if loc := tokenish.FindIndex(b); loc != nil {
		b, cut = b[:loc[0]+4], true
	}
	out := make([]byte, 0, len(b)+4)
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		out = append(out, c)
	}
	q := strconv.Quote(string(out))
	if cut {
		q += "…"
	}
	return q
}

// errorSource is the Location of a diagnostic about a record.
var _ = scanner.Source{}
