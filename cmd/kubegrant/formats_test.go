package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/detect/audit"
)

// demoFormats are the demo audit log converted to the managed clusters'
// formats (TestDemoFormatsParity -update rewrites them from audit.log).
var demoFormats = map[string]func(t *testing.T, lines [][]byte) []byte{
	"gke.jsonl": toGKE,
	"eks.jsonl": toEKS,
}

// TestDemoFormatsParity replays the demo log as the apiserver writes it and
// converted to GKE Cloud Logging entries (no groups, no user.extra; the
// impersonated user in authoritySelector; annotations as labels) and to EKS
// CloudWatch lines: every static finding must be exercised, or not, the
// same way, because attribution follows the reason annotation, not the
// groups the log records.
func TestDemoFormatsParity(t *testing.T) {
	t.Chdir("../..")
	native := "testdata/demo/audit/audit.log"
	data, err := os.ReadFile(native)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	want := exercisedFlags(t, native)
	if len(want) == 0 {
		t.Fatal("the demo exercises nothing: the comparison proves nothing")
	}
	for name, convert := range demoFormats {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "demo", "audit", "formats", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, convert(t, lines), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(want, exercisedFlags(t, path)); diff != "" {
				t.Errorf("exercised flags differ from the native log's (-native +%s):\n%s", name, diff)
			}
		})
	}
}

// exercisedFlags scans the demo with one audit log and lists each static
// finding's fingerprint with its exercised flag and count.
func exercisedFlags(t *testing.T, log string) map[string]string {
	t.Helper()
	r := runCLI(t, "", "scan", "testdata/demo/manifests", "--audit-log", log, "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID        string `json:"ruleId"`
			Kind          string `json:"kind"`
			Exercised     *bool  `json:"exercised"`
			ExerciseCount int    `json:"exerciseCount"`
			Fingerprint   string `json:"fingerprint"`
			Message       string `json:"message"`
		} `json:"findings"`
		Summary struct {
			AuditErrors int `json:"auditErrors"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.AuditErrors != 0 {
		t.Fatalf("%s: %d bad records: %s", log, rep.Summary.AuditErrors, r.stderr)
	}
	out := map[string]string{}
	for _, f := range rep.Findings {
		if f.Kind == "detection" || f.Exercised == nil {
			continue
		}
		out[f.RuleID+" "+f.Fingerprint] = fmt.Sprintf("exercised=%v count=%d (%s)", *f.Exercised, f.ExerciseCount, f.Message)
	}
	return out
}

// toEKS wraps each event as CloudWatch Logs writes an EKS audit log line.
func toEKS(t *testing.T, lines [][]byte) []byte {
	var b bytes.Buffer
	for i, l := range lines {
		var e audit.RawEvent
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		rec := map[string]any{
			"timestamp":     e.StageTimestamp.UnixMilli(),
			"ingestionTime": e.StageTimestamp.Add(2 * time.Second).UnixMilli(),
			"logStreamName": "kube-apiserver-audit-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
			"eventId":       fmt.Sprintf("3790912345678901234567890123456789012345678901%04d", i),
			"message":       string(l),
		}
		writeJSONLine(t, &b, rec)
	}
	return b.Bytes()
}

// toGKE converts each event to the Cloud Logging entry GKE writes: one per
// request (two for a long-running one: first, then last), the verb in
// methodName, the object in resourceName, the caller in principalEmail and
// an impersonated user in authoritySelector, no groups and no user.extra,
// the annotations as labels and a google.rpc status for failures.
func toGKE(t *testing.T, lines [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		var e audit.RawEvent
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		if e.Stage == audit.StageRequestReceived {
			continue
		}
		long := e.Verb == "watch" || e.ObjectRef != nil && strings.Contains(" exec attach portforward proxy ", " "+e.ObjectRef.Subresource+" ")
		op := map[string]any{"id": e.AuditID, "producer": "k8s.io", "first": true, "last": true}
		if long {
			op["first"], op["last"] = e.Stage == audit.StageResponseStarted, e.Stage == audit.StageResponseComplete
		}
		method, resource := gkeNames(&e)
		authn := map[string]any{"principalEmail": e.User.Username}
		if e.ImpersonatedUser != nil {
			authn["authoritySelector"] = e.ImpersonatedUser.Username
		}
		payload := map[string]any{
			"@type":              "type.googleapis.com/google.cloud.audit.AuditLog",
			"serviceName":        "k8s.io",
			"methodName":         method,
			"resourceName":       resource,
			"authenticationInfo": authn,
			"authorizationInfo": []any{map[string]any{
				"granted": e.Annotations[audit.AnnotationDecision] == "allow", "permission": method, "resource": resource}},
			"requestMetadata": map[string]any{"callerIp": e.SourceIPs[0], "callerSuppliedUserAgent": e.UserAgent},
		}
		if e.ResponseStatus != nil && e.ResponseStatus.Code >= 400 {
			payload["status"] = map[string]any{"code": rpcFromHTTP(e.ResponseStatus.Code), "message": e.ResponseStatus.Message}
		}
		if len(e.RequestObject) > 0 {
			payload["request"] = e.RequestObject
		}
		if len(e.ResponseObject) > 0 {
			payload["response"] = e.ResponseObject
		}
		entry := map[string]any{
			"insertId":         e.AuditID + "-" + strings.ToLower(e.Stage),
			"logName":          "projects/demo/logs/cloudaudit.googleapis.com%2Fdata_access",
			"operation":        op,
			"protoPayload":     payload,
			"resource":         map[string]any{"type": "k8s_cluster", "labels": map[string]any{"cluster_name": "demo", "location": "europe-west1", "project_id": "demo"}},
			"severity":         "INFO",
			"timestamp":        e.RequestReceived.UTC().Format(time.RFC3339Nano),
			"receiveTimestamp": e.StageTimestamp.UTC().Format(time.RFC3339Nano),
			"labels":           e.Annotations,
		}
		writeJSONLine(t, &b, entry)
	}
	return b.Bytes()
}

// gkeNames are GKE's methodName (io.k8s.core.v1.secrets.get) and
// resourceName (core/v1/namespaces/ns/secrets/name) of an event.
func gkeNames(e *audit.RawEvent) (method, resource string) {
	o := e.ObjectRef
	if o == nil {
		p, _, _ := strings.Cut(e.RequestURI, "?")
		return "io.k8s." + e.Verb, strings.TrimPrefix(p, "/")
	}
	group := o.APIGroup
	if group == "" {
		group = "core"
	}
	parts := []string{group, o.APIVersion}
	if o.Namespace != "" && o.Resource != "namespaces" {
		parts = append(parts, "namespaces", o.Namespace)
	}
	parts = append(parts, o.Resource)
	if o.Name != "" {
		parts = append(parts, o.Name)
	}
	// rbac.authorization.k8s.io is io.k8s.authorization.rbac in methodName.
	domain := strings.Split(strings.TrimSuffix(group, ".k8s.io"), ".")
	slices.Reverse(domain)
	m := "io.k8s." + strings.Join(domain, ".") + "." + o.APIVersion + "." + o.Resource
	if o.Subresource != "" {
		parts = append(parts, o.Subresource)
		m += "." + o.Subresource
	}
	return m + "." + e.Verb, strings.Join(parts, "/")
}

// rpcFromHTTP is the google.rpc.Code GKE records for an HTTP status.
func rpcFromHTTP(code int) int {
	switch code {
	case 400:
		return 3
	case 401:
		return 16
	case 403:
		return 7
	case 404:
		return 5
	case 409:
		return 6
	case 429:
		return 8
	case 503:
		return 14
	case 504:
		return 4
	}
	return 13
}

func writeJSONLine(t *testing.T, b *bytes.Buffer, v any) {
	t.Helper()
	w := bufio.NewWriter(b)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestDetectionFingerprintsStable: a log rotated into two files, read in
// either order, gives the detections of the whole log with the same
// fingerprints (they feed baselines and code-scanning alerts).
func TestDetectionFingerprintsStable(t *testing.T) {
	t.Chdir("../..")
	data, err := os.ReadFile("testdata/demo/audit/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	detections := func(logs ...string) []string {
		args := []string{"scan", "testdata/demo/manifests", "--format", "json", "--fail-on", "none"}
		for _, l := range logs {
			args = append(args, "--audit-log", l)
		}
		r := runCLI(t, "", args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var rep struct {
			Findings []struct {
				RuleID, Kind, Fingerprint string
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range rep.Findings {
			if f.Kind == "detection" {
				out = append(out, f.RuleID+" "+f.Fingerprint)
			}
		}
		slices.Sort(out)
		return out
	}
	whole := detections("testdata/demo/audit/audit.log")
	if len(whole) < 5 {
		t.Fatalf("only %d detections on the demo: the comparison proves little", len(whole))
	}
	// Cut inside the Secret burst (demo-0004..0007), after it, and late.
	for _, cut := range []int{6, 8, 13} {
		dir := t.TempDir()
		older, newer := filepath.Join(dir, "audit.log.1"), filepath.Join(dir, "audit.log")
		if err := os.WriteFile(older, []byte(strings.Join(lines[:cut], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(newer, []byte(strings.Join(lines[cut:], "")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, order := range [][]string{{older, newer}, {newer, older}} {
			if diff := cmp.Diff(whole, detections(order...)); diff != "" {
				t.Errorf("cut at line %d, read %v: detections differ from the whole log's (-whole +rotated):\n%s", cut, []string{filepath.Base(order[0]), filepath.Base(order[1])}, diff)
			}
		}
	}
}

// TestGKEWithoutUserExtra: GKE entries record no user.extra, so the
// detections that need a token's pod, node or credential ID (KGD06,
// KGD26) cannot fire on them; the run says so once, never per event and
// never silently. Logs that record user.extra say nothing.
func TestGKEWithoutUserExtra(t *testing.T) {
	t.Chdir("../..")
	const note = "could not be evaluated on"
	for log, want := range map[string]string{
		"testdata/demo/audit/formats/gke.jsonl": "warning: KGD06 and KGD26 could not be evaluated on 14 requests read from GKE Cloud Logging entries: " +
			"GKE does not record user.extra (the pod, node and credential ID of a ServiceAccount token), which they need\n",
		"testdata/demo/audit/formats/eks.jsonl": "",
		"testdata/demo/audit/audit.log":         "",
	} {
		r := runCLI(t, "", "scan", "testdata/demo/manifests", "--audit-log", log, "--format", "json", "--fail-on", "none")
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", log, r.code, r.stderr)
		}
		var got string
		for _, l := range strings.SplitAfter(r.stderr, "\n") {
			if strings.Contains(l, note) {
				got += l
			}
		}
		if got != want {
			t.Errorf("%s: stderr lines about user.extra:\n%q\nwant\n%q", log, got, want)
		}
		if n := strings.Count(r.stdout, note); n != strings.Count(want, note) {
			t.Errorf("%s: %d report diagnostics about user.extra, want %d", log, n, strings.Count(want, note))
		}
	}
}
