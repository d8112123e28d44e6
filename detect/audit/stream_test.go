package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubegrant/kubegrant/scanner"
)

// got is what a test keeps of a delivered event.
type got struct {
	AuditID, Stage, Verb, User, Line string
}

func collect(t *testing.T, sources []string, opts StreamOptions) ([]got, Stats) {
	t.Helper()
	var out []got
	st, err := Stream(context.Background(), sources, opts, func(e *Event) error {
		out = append(out, got{e.AuditID, e.Stage, e.Verb, e.User.Name, e.Source.String()})
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return out, st
}

// checkAccounting checks that every record is counted once: error
// diagnostics about records have a line (a read error has one too, but is
// about the input).
func checkAccounting(t *testing.T, st Stats) {
	t.Helper()
	errs := 0
	for _, d := range st.Diagnostics {
		if d.Severity == scanner.DiagError && d.Location.Line > 0 && !strings.Contains(d.Message, ": "+readErrorPrefix) {
			errs++
		}
	}
	if sum := st.Events + st.Duplicates + st.Partial + st.Skipped + errs; sum != st.Records {
		t.Errorf("Records = %d, want Events+Duplicates+Partial+Skipped+errors = %d (%+v)", st.Records, sum, st)
	}
}

func TestStreamFormats(t *testing.T) {
	dir := filepath.Join("testdata", "formats")
	for _, tc := range []struct {
		file    string
		want    []got
		partial int
		skipped int
	}{
		{"eventlist.json", []got{
			{"a1", "ResponseComplete", "get", "alice", "eventlist.json:6"},
			{"a2", "ResponseComplete", "create", "alice", "eventlist.json:69"},
			{"a3", "ResponseStarted", "watch", "system:serviceaccount:apps:builder", "eventlist.json:105"},
		}, 2, 0},
		{"array.json", []got{
			{"a1", "ResponseComplete", "get", "alice", "array.json:2"},
			{"a2", "ResponseComplete", "create", "alice", "array.json:37"},
		}, 0, 0},
		{"eks-subscription.json", []got{
			{"a1", "ResponseComplete", "get", "alice", "eks-subscription.json:1"},
			{"a2", "ResponseComplete", "create", "alice", "eks-subscription.json:1"},
		}, 1, 0},
		{"eks-filter-log-events.json", []got{
			{"a1", "ResponseComplete", "get", "alice", "eks-filter-log-events.json:3"},
		}, 0, 0},
		{"eks-lines.jsonl", []got{
			{"a1", "ResponseComplete", "get", "alice", "eks-lines.jsonl:1"},
			{"a2", "ResponseComplete", "create", "alice", "eks-lines.jsonl:2"},
		}, 0, 0},
		{"eks-export.log", []got{
			{"a1", "ResponseComplete", "get", "alice", "eks-export.log:1"},
			{"a2", "ResponseComplete", "create", "alice", "eks-export.log:3"},
		}, 1, 0},
		{"aks-eventhub.json", []got{
			{"a1", "ResponseComplete", "get", "alice", "aks-eventhub.json:1"},
			{"a2", "ResponseComplete", "create", "alice", "aks-eventhub.json:1"},
		}, 0, 1},
		{"aks-blob.jsonl", []got{
			{"a1", "ResponseComplete", "get", "alice", "aks-blob.jsonl:1"},
			{"a2", "ResponseComplete", "create", "alice", "aks-blob.jsonl:2"},
		}, 0, 0},
		{"gke.json", []got{
			{"g1", "ResponseComplete", "get", "dev@example.com", "gke.json:2"},
			{"g2", "ResponseStarted", "create", "dev@example.com", "gke.json:47"},
			{"g3", "ResponseComplete", "create", "dev@example.com", "gke.json:92"},
			{"g4", "ResponseComplete", "get", "dev@example.com", "gke.json:141"},
		}, 0, 1},
		{"gke.jsonl", []got{
			{"g1", "ResponseComplete", "get", "dev@example.com", "gke.jsonl:1"},
			{"g2", "ResponseStarted", "create", "dev@example.com", "gke.jsonl:2"},
		}, 0, 0},
		{"insights.json", []got{
			{"i1", "ResponseComplete", "get", "alice", "insights.json:2"},
			{"i2", "ResponseComplete", "create", "alice", "insights.json:7"},
		}, 0, 0},
		{"elastic-ecs.jsonl", []got{
			{"e1", "ResponseComplete", "get", "system:serviceaccount:kube-system:elastic-agent", "elastic-ecs.jsonl:1"},
			{"e2", "ResponseComplete", "get", "kubernetes-admin", "elastic-ecs.jsonl:2"},
			{"e3", "ResponseComplete", "get", "system:gke-master-healthcheck", "elastic-ecs.jsonl:3"},
		}, 0, 0},
		{"gke-impersonation.jsonl", []got{
			{"p1", "ResponseComplete", "list", "system:serviceaccount:kyma-system:kube-rbac-proxy", "gke-impersonation.jsonl:1"},
			{"p2", "ResponseComplete", "list", "system:kube-scheduler", "gke-impersonation.jsonl:2"},
		}, 0, 0},
		{"v1beta1.jsonl", []got{
			{"o1", "ResponseComplete", "list", "system:admin", "v1beta1.jsonl:1"},
			{"o2", "", "get", "system:admin", "v1beta1.jsonl:2"},
		}, 0, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			events, st := collect(t, []string{filepath.Join(dir, tc.file)}, StreamOptions{Root: dir})
			if diff := cmp.Diff(tc.want, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if st.Errors != 0 {
				t.Errorf("Errors = %d, diagnostics %v", st.Errors, st.Diagnostics)
			}
			if st.Partial != tc.partial || st.Skipped != tc.skipped {
				t.Errorf("Partial, Skipped = %d, %d, want %d, %d", st.Partial, st.Skipped, tc.partial, tc.skipped)
			}
			if st.First.IsZero() || st.Last.Before(st.First) {
				t.Errorf("window = %v..%v", st.First, st.Last)
			}
			checkAccounting(t, st)
		})
	}
}

// TestStreamGKEMapping checks the fields a GKE entry maps to.
func TestStreamGKEMapping(t *testing.T) {
	var evs []Event
	st, err := Stream(context.Background(), []string{filepath.Join("testdata", "formats", "gke.json"), filepath.Join("testdata", "formats", "eks-lines.jsonl")}, StreamOptions{}, func(e *Event) error {
		if e.Source.File == filepath.Join("testdata", "formats", "gke.json") {
			evs = append(evs, *e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// GKE records no user.extra: its requests are counted, the EKS ones not.
	if st.WithoutUserExtra != len(evs) || st.Events <= len(evs) {
		t.Errorf("WithoutUserExtra = %d of %d events, want the %d GKE ones", st.WithoutUserExtra, st.Events, len(evs))
	}
	type mapped struct {
		Request   scanner.Request
		Allowed   bool
		Code      int
		SourceIPs []string
		UserAgent string
	}
	var gotM []mapped
	for i := range evs {
		gotM = append(gotM, mapped{evs[i].Attrs, evs[i].Allowed(), evs[i].Code, evs[i].SourceIPs, evs[i].UserAgent})
	}
	ua := "kubectl/v1.30.1 (linux/amd64)"
	ips := []string{"198.51.100.7"}
	want := []mapped{
		{scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "apps", Name: "db"}, true, 200, ips, ua},
		{scanner.Request{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Namespace: "apps", Name: "web-0"}, true, 200, ips, ua},
		{scanner.Request{Verb: "create", ResourceRequest: true, APIGroup: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, false, 403, ips, ua},
		{scanner.Request{Verb: "get", ResourceRequest: true, Resource: "namespaces", Namespace: "apps", Name: "apps"}, true, 200, ips, ua},
	}
	if diff := cmp.Diff(want, gotM); diff != "" {
		t.Errorf("GKE mapping (-want +got):\n%s", diff)
	}
	if len(evs) > 0 && evs[0].RequestURI != "/api/v1/namespaces/apps/secrets/db" {
		t.Errorf("RequestURI = %q", evs[0].RequestURI)
	}
}

func TestStreamStages(t *testing.T) {
	line := func(id, stage, verb, sub string) string {
		ref := `{"resource":"pods","namespace":"ns","name":"p","apiVersion":"v1"`
		if sub != "" {
			ref += `,"subresource":"` + sub + `"`
		}
		ref += "}"
		st := ""
		if stage != "" {
			st = `"stage":"` + stage + `",`
		}
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"` + id + `",` + st +
			`"requestURI":"/api/v1/namespaces/ns/pods/p","verb":"` + verb + `","user":{"username":"u"},"objectRef":` + ref +
			`,"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00Z","stageTimestamp":"2024-01-01T00:00:01Z"}`
	}
	for _, tc := range []struct {
		name       string
		lines      []string
		maxTracked int
		want       []string // delivered auditID/stage
		dup, part  int
	}{
		{"request received then complete", []string{line("1", "RequestReceived", "get", ""), line("1", "ResponseComplete", "get", "")}, 0, []string{"1/ResponseComplete"}, 0, 1},
		{"watch delivered when started", []string{line("1", "RequestReceived", "watch", ""), line("1", "ResponseStarted", "watch", ""), line("1", "ResponseComplete", "watch", "")}, 0, []string{"1/ResponseStarted"}, 0, 2},
		{"exec delivered when started", []string{line("1", "ResponseStarted", "create", "exec"), line("1", "ResponseComplete", "create", "exec")}, 0, []string{"1/ResponseStarted"}, 0, 1},
		{"portforward and proxy are long-running", []string{line("1", "ResponseStarted", "get", "portforward"), line("2", "ResponseStarted", "get", "proxy")}, 0, []string{"1/ResponseStarted", "2/ResponseStarted"}, 0, 0},
		{"open watch without complete", []string{line("1", "ResponseStarted", "watch", "")}, 0, []string{"1/ResponseStarted"}, 0, 0},
		{"started of a short request waits for complete", []string{line("1", "ResponseStarted", "get", "log"), line("1", "ResponseComplete", "get", "log")}, 0, []string{"1/ResponseComplete"}, 0, 1},
		{"duplicate complete", []string{line("1", "ResponseComplete", "get", ""), line("1", "ResponseComplete", "get", "")}, 0, []string{"1/ResponseComplete"}, 1, 0},
		{"duplicate started", []string{line("1", "ResponseStarted", "watch", ""), line("1", "ResponseStarted", "watch", "")}, 0, []string{"1/ResponseStarted"}, 1, 0},
		{"complete before started (files out of order)", []string{line("1", "ResponseComplete", "watch", ""), line("1", "ResponseStarted", "watch", "")}, 0, []string{"1/ResponseComplete"}, 0, 1},
		{"panic is not delivered", []string{line("1", "Panic", "get", "")}, 0, nil, 0, 1},
		{"no stage: every event", []string{line("1", "", "get", ""), line("1", "", "get", "")}, 0, []string{"1/", "1/"}, 0, 0},
		{"bounded tracker forgets oldest", []string{line("1", "ResponseComplete", "get", ""), line("2", "ResponseComplete", "get", ""), line("3", "ResponseComplete", "get", ""), line("1", "ResponseComplete", "get", ""), line("3", "ResponseComplete", "get", "")}, 2, []string{"1/ResponseComplete", "2/ResponseComplete", "3/ResponseComplete", "1/ResponseComplete"}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotIDs []string
			st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(strings.Join(tc.lines, "\n")), MaxTracked: tc.maxTracked}, func(e *Event) error {
				gotIDs = append(gotIDs, e.AuditID+"/"+e.Stage)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, gotIDs); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			if st.Duplicates != tc.dup || st.Partial != tc.part || st.Errors != 0 {
				t.Errorf("Duplicates, Partial, Errors = %d, %d, %d, want %d, %d, 0; %v", st.Duplicates, st.Partial, st.Errors, tc.dup, tc.part, st.Diagnostics)
			}
			if st.Events != len(tc.want) || st.Lines != len(tc.lines) {
				t.Errorf("Events, Lines = %d, %d, want %d, %d", st.Events, st.Lines, len(tc.want), len(tc.lines))
			}
			checkAccounting(t, st)
		})
	}
}

func TestStreamBadInput(t *testing.T) {
	good := `{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"get","requestURI":"/healthz","user":{"username":"u"}}`
	const secret = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9.c2VjcmV0LXBheWxvYWQ"
	for _, tc := range []struct {
		name  string
		input string
		want  []string // diagnostic messages
	}{
		{"kind zero", `{"kind": 0}`, []string{"-:1: invalid audit event: field kind is a JSON number, want string"}},
		{"not json", "Authorization: Bearer " + secret, []string{`-:1: not a JSON object (starts with "Auth"…)`}},
		{"token line", secret, []string{`-:1: not a JSON object (starts with "eyJh"…)`}},
		{"not an object", `"just a string"`, []string{`-:1: not a JSON object (starts with "\"just a string\"")`}},
		{"truncated", `{"kind":"Event","verb":"get","user":{"username":"` + secret, []string{"-:1: invalid JSON at byte 109: unexpected end of JSON input"}},
		{"no verb", `{"kind":"Event","user":{"username":"u"}}`, []string{"-:1: invalid audit event: no verb"}},
		{"no user", `{"kind":"Event","verb":"get"}`, []string{"-:1: invalid audit event: no user.username"}},
		{"empty object", `{}`, []string{"-:1: invalid audit event: no verb and no user"}},
		{"other kind", `{"kind":"Status","verb":"get","user":{"username":"u"}}`, []string{`-:1: not an audit event: kind "Status"`}},
		{"bad time", `{"kind":"Event","verb":"get","user":{"username":"u"},"stageTimestamp":"` + secret + `"}`, []string{"-:1: invalid audit event: timestamp is not RFC 3339"}},
		{"unknown stage", `{"kind":"Event","stage":"Sideways","verb":"get","user":{"username":"u"}}`, []string{`-:1: unknown stage "Sideways"`}},
		{"aks without log", `{"category":"kube-audit","properties":{}}`, []string{"-:1: AKS kube-audit record has no properties.log"}},
		{"cloudwatch message not json", `{"timestamp":1,"message":"hello ` + secret + `"}`, []string{`-:1: not a JSON object (starts with "hello eyJh"…)`}},
		{"items not array", `{"kind":"EventList","items":5}`, []string{"-:1: list of records is not a JSON array"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(tc.input + "\n" + good + "\n")}, func(*Event) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, d := range st.Diagnostics {
				msgs = append(msgs, d.Message)
				if strings.Contains(d.Message, "c2VjcmV0") || strings.Contains(d.Message, "eyJhbGciOiJSUzI1NiIs") {
					t.Errorf("diagnostic leaks input: %q", d.Message)
				}
				if d.Location.File != "-" || d.Location.Line != 1 {
					t.Errorf("location = %+v, want -:1", d.Location)
				}
			}
			if diff := cmp.Diff(tc.want, msgs); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if n != 1 || st.Errors != len(tc.want) {
				t.Errorf("events, errors = %d, %d, want 1 (the good line goes on), %d", n, st.Errors, len(tc.want))
			}
			checkAccounting(t, st)
		})
	}
}

func TestStreamDocumentErrors(t *testing.T) {
	// A broken multi-line document: the events before the break are
	// delivered, the break is reported at its line.
	in := "[\n" + `{"kind":"Event","auditID":"1","verb":"get","user":{"username":"u"}},` + "\n" + `{"kind":"Event", oops}` + "\n]\n"
	events, st := collect(t, []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)})
	if len(events) != 1 || events[0].Line != "-:2" {
		t.Errorf("events = %v", events)
	}
	if st.Errors != 1 || len(st.Diagnostics) != 1 || st.Diagnostics[0].Location.Line != 3 ||
		!strings.HasSuffix(st.Diagnostics[0].Message, "rest of file skipped") {
		t.Errorf("diagnostics = %v", st.Diagnostics)
	}
	if st.Lines != 4 {
		t.Errorf("Lines = %d, want 4", st.Lines)
	}
}

func TestStreamSources(t *testing.T) {
	dir := t.TempDir()
	ev := func(id string) string {
		return `{"kind":"Event","auditID":"` + id + `","stage":"ResponseComplete","verb":"get","requestURI":"/x","user":{"username":"u"}}` + "\n"
	}
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b/2.log", ev("b2"))
	write("b/1.log", ev("b1"))
	write("a.log", ev("a"))
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write([]byte(ev("z1") + ev("z2")))
	_ = zw.Close()
	write("c/rotated.1", zb.String()) // gzip without the extension
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "c", "dangling.log")); err != nil {
		t.Fatal(err)
	}

	events, st := collect(t, []string{dir, filepath.Join(dir, "b", "*.log"), "-"}, StreamOptions{Root: dir, Stdin: strings.NewReader(ev("in"))})
	var ids []string
	for _, e := range events {
		ids = append(ids, e.AuditID+"@"+e.Line)
	}
	want := []string{"a@a.log:1", "b1@b/1.log:1", "b2@b/2.log:1", "z1@c/rotated.1:1", "z2@c/rotated.1:2", "in@-:1"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if st.Files != 5 || st.Errors != 1 || len(st.Diagnostics) != 1 || st.Diagnostics[0].Location.File != "c/dangling.log" {
		t.Errorf("Files = %d, Errors = %d, diagnostics %v", st.Files, st.Errors, st.Diagnostics)
	}

	for _, src := range []string{filepath.Join(dir, "nope.log"), filepath.Join(dir, "*.nope")} {
		called := false
		_, err := Stream(context.Background(), []string{filepath.Join(dir, "a.log"), src}, StreamOptions{}, func(*Event) error { called = true; return nil })
		if err == nil || called {
			t.Errorf("Stream(%s) = %v, called %v; want an error before reading", src, err, called)
		}
	}
}

func TestStreamStops(t *testing.T) {
	in := strings.Repeat(`{"kind":"Event","verb":"get","user":{"username":"u"}}`+"\n", 3)
	stop := errors.New("stop")
	n := 0
	_, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)}, func(*Event) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err, calls = %v, %d; want stop, 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Stream(ctx, []string{"-"}, StreamOptions{Stdin: strings.NewReader(in)}, func(*Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestStreamLongLinesAndLimits(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	line := `{"kind":"Event","auditID":"big","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/n/configmaps","user":{"username":"u"},"requestObject":{"data":{"k":"` + big + `"}}}`
	var bad strings.Builder
	for range 150 {
		bad.WriteString("nope\n")
	}
	var size int
	st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(line + "\n" + bad.String()), MaxDiagnostics: 10}, func(e *Event) error {
		size = len(e.RequestObject)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if size < 5<<20 || st.Events != 1 {
		t.Errorf("long line: events %d, request object %d bytes", st.Events, size)
	}
	if st.Errors != 150 || len(st.Diagnostics) != 10 || st.Diagnostics[9].Location.Line != 11 {
		t.Errorf("Errors %d, kept %d diagnostics", st.Errors, len(st.Diagnostics))
	}
}

func TestStreamCorpusFalco(t *testing.T) {
	dir := filepath.Join(corpora(t), "audit", "falco-k8s-audit-trace-files", "test", "trace_files", "k8s_audit")
	events, st := collect(t, []string{dir}, StreamOptions{Root: dir})
	if st.Files != 47 || st.Events != 49 || len(events) != 49 || st.Duplicates != 2 {
		t.Errorf("Files, Events = %d, %d; want 47, 49 (+2 duplicates: two traces share an auditID)", st.Files, st.Events)
	}
	want := []scanner.Diagnostic{{Severity: scanner.DiagError, Message: "fal_01_003.json:1: invalid audit event: field kind is a JSON number, want string",
		Location: scanner.Source{File: "fal_01_003.json", Line: 1}}}
	if diff := cmp.Diff(want, st.Diagnostics); diff != "" || st.Errors != 1 {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	started := map[string]bool{}
	for _, e := range events {
		if e.Stage == StageResponseStarted {
			started[strings.Split(e.Line, ":")[0]] = true
		}
	}
	if diff := cmp.Diff(map[string]bool{"attach_pod.json": true, "exec_pod.json": true}, started); diff != "" {
		t.Errorf("long-running deliveries (-want +got):\n%s", diff)
	}
	checkAccounting(t, st)

	// Replayed one scenario at a time, as Falco does: 51 events.
	total := 0
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		_, st := collect(t, []string{filepath.Join(dir, e.Name())}, StreamOptions{})
		total += st.Events
	}
	if total != 51 {
		t.Errorf("events over single-file runs = %d, want 51", total)
	}
}

func TestStreamCorpusAudit2RBAC(t *testing.T) {
	file := filepath.Join(corpora(t), "audit", "audit2rbac-demo", "testdata", "demo.log")
	var impersonated, allowed int
	st, err := Stream(context.Background(), []string{file}, StreamOptions{}, func(e *Event) error {
		if e.Time.IsZero() || e.StageTime.IsZero() {
			t.Errorf("%s: times not filled from timestamp", e.Source)
		}
		if u, _ := e.Actor(); u != e.User.Name {
			impersonated++
		}
		if e.Allowed() {
			allowed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 37 || st.Errors != 0 || impersonated != 37 {
		t.Errorf("Events %d, Errors %d, impersonated %d; want 37, 0, 37", st.Events, st.Errors, impersonated)
	}
	if got := fmt.Sprint(st.First.UTC(), " ", st.Last.UTC()); got != "2017-09-11 19:55:05 +0000 UTC 2017-09-11 20:29:04 +0000 UTC" {
		t.Errorf("window = %s", got)
	}
	t.Logf("allowed %d of %d", allowed, st.Events)
}

// TestStreamBenchData checks the generator's small log when present: one
// delivery per request.
func TestStreamBenchData(t *testing.T) {
	file := "/tmp/bench-data/small/audit/audit.log"
	if _, err := os.Stat(file); err != nil {
		t.Skip("no bench data; python3 /work/shared/bench/gen.py --scale small")
	}
	_, st := collect(t, []string{file}, StreamOptions{})
	if st.Events != 7858 || st.Lines != 10000 || st.Errors != 0 || st.Duplicates != 0 {
		t.Errorf("stats = %+v", st)
	}
	checkAccounting(t, st)
}

// corpora locates ../shared/corpora relative to the repository root.
func corpora(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpora")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpora not present")
	}
	return dir
}

// TestStreamNormalised checks what the new formats normalise to: Elastic's
// underscored annotation keys, GKE's authoritySelector, Logs Insights'
// @message.
func TestStreamNormalised(t *testing.T) {
	type norm struct {
		ID, User, Impersonated string
		Decision               Decision
		Annotated              bool
		Binding                string
		Code                   int
	}
	var got []norm
	files := []string{"elastic-ecs.jsonl", "gke-impersonation.jsonl", "insights.json"}
	for _, f := range files {
		_, err := Stream(context.Background(), []string{filepath.Join("testdata", "formats", f)}, StreamOptions{}, func(e *Event) error {
			n := norm{ID: e.AuditID, User: e.User.Name, Decision: e.Decision, Annotated: e.Annotated, Code: e.Code}
			if e.Impersonated != nil {
				n.Impersonated = e.Impersonated.Name
			}
			if e.RBAC != nil {
				n.Binding = e.RBAC.Binding.String()
			}
			got = append(got, n)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []norm{
		{"e1", "system:serviceaccount:kube-system:elastic-agent", "", Allow, true, "RoleBinding/kube-system/elastic-agent", 200},
		{"e2", "kubernetes-admin", "", Allow, true, "", 200},
		{"e3", "system:gke-master-healthcheck", "", Allow, true, "ClusterRoleBinding/system:public-info-viewer", 200},
		{"p1", "system:serviceaccount:kyma-system:kube-rbac-proxy", "admin@kyma.cx", Allow, true, "ClusterRoleBinding/kyma-admin-binding", 200},
		{"p2", "system:kube-scheduler", "", Allow, true, "", 200},
		{"i1", "alice", "", Allow, true, "RoleBinding/apps/reader", 200},
		{"i2", "alice", "", Forbid, true, "", 403},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalised (-want +got):\n%s", diff)
	}
}

// TestStreamSharedAuditID: clients may set the audit ID, so two requests
// can share one; a different request's stages are not merged into the
// first, while the same request's stages are.
func TestStreamSharedAuditID(t *testing.T) {
	ev := func(stage, verb, uri, sub string) string {
		ref := `{"resource":"pods","namespace":"ns","name":"p","apiVersion":"v1"`
		if sub != "" {
			ref += `,"subresource":"` + sub + `"`
		}
		return `{"auditID":"same","stage":"` + stage + `","verb":"` + verb + `","requestURI":"` + uri + `","user":{"username":"u"},"objectRef":` + ref + `}}`
	}
	lines := []string{
		ev("ResponseStarted", "create", "/api/v1/namespaces/ns/pods/p/exec?command=sh", "exec"),
		ev("ResponseComplete", "get", "/api/v1/namespaces/ns/pods/p", ""),
		ev("ResponseComplete", "create", "/api/v1/namespaces/ns/pods/p/exec?command=sh", "exec"),
	}
	var got []string
	st, err := Stream(context.Background(), []string{"-"}, StreamOptions{Stdin: strings.NewReader(strings.Join(lines, "\n"))}, func(e *Event) error {
		got = append(got, e.Stage+" "+e.Verb+" "+e.Resource())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The exec's ResponseComplete closes the exec, even after the get.
	want := []string{"ResponseStarted create pods/exec", "ResponseComplete get pods"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s (stats %+v)", diff, st)
	}
	checkAccounting(t, st)
}

// TestStreamRejected: a file none of whose records is an audit event is
// listed in Stats.Rejected; a file with one good record is not.
func TestStreamRejected(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.log")
	mixed := filepath.Join(dir, "mixed.log")
	good := `{"auditID":"1","stage":"ResponseComplete","verb":"get","requestURI":"/healthz","user":{"username":"u"}}`
	if err := os.WriteFile(bad, []byte("not json\n{\"verb\":1}\n{\"kind\":\"Event\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mixed, []byte("not json\n"+good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Stream(context.Background(), []string{bad, mixed}, StreamOptions{Root: dir}, func(*Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bad.log"}, st.Rejected); diff != "" {
		t.Errorf("Rejected (-want +got):\n%s", diff)
	}
}

// TestTrackerCollisions: requests whose hashes collide are kept apart
// (compared in full), and forgetting the oldest works whichever of them
// holds the hash.
func TestTrackerCollisions(t *testing.T) {
	tr := newTracker(3)
	a, b, c, d := trackKey{"a", 1}, trackKey{"b", 1}, trackKey{"a", 2}, trackKey{"d", 1}
	tr.set(a, 7, 1)
	tr.set(b, 7, 2) // same hash, another request
	tr.set(c, 7, 3)
	for k, want := range map[trackKey]uint8{a: 1, b: 2, c: 3, d: 0} {
		if got := tr.get(k, 7); got != want {
			t.Errorf("get(%v) = %d, want %d", k, got, want)
		}
	}
	tr.set(b, 7, 4) // update in other
	tr.set(d, 9, 1) // full: forgets a, the holder of hash 7
	for k, want := range map[trackKey]uint8{a: 0, b: 4, c: 3, d: 1} {
		h := uint64(7)
		if k == d {
			h = 9
		}
		if got := tr.get(k, h); got != want {
			t.Errorf("after eviction get(%v) = %d, want %d", k, got, want)
		}
	}
	tr.set(a, 7, 5)                 // hash 7 free again: a takes it, b (in other) is forgotten
	tr.set(trackKey{"e", 1}, 10, 1) // forgets c (in other)
	tr.set(trackKey{"f", 1}, 11, 1) // forgets d
	if tr.get(b, 7) != 0 || tr.get(c, 7) != 0 || tr.get(a, 7) != 5 || len(tr.other) != 0 || len(tr.m) != 3 {
		t.Errorf("after evicting the colliding requests: m %d, other %d, a %d", len(tr.m), len(tr.other), tr.get(a, 7))
	}
}
