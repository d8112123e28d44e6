package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in       string
		endOfDay bool
		want     time.Time
		err      bool
	}{
		{in: "", want: time.Time{}},
		{in: "2026-11-20T09:10:00Z", want: time.Date(2026, 11, 20, 9, 10, 0, 0, time.UTC)},
		{in: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-20", endOfDay: true, want: time.Date(2026, 11, 20, 23, 59, 59, 999999999, time.UTC)},
		{in: "30d", want: now.Add(-30 * 24 * time.Hour)},
		{in: "12h", want: now.Add(-12 * time.Hour)},
		{in: "yesterday", err: true},
		{in: "-3d", err: true},
	} {
		got, err := parseWhen(tc.in, now, tc.endOfDay)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("parseWhen(%q, %v) = %v, %v; want %v", tc.in, tc.endOfDay, got, err, tc.want)
		}
	}
}

// TestAuditWindow: --since and --until bound the replay, and the report's
// observation window, of the demo's audit log (09:00:10 to 09:18:20 UTC).
func TestAuditWindow(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	log := filepath.Join(demo, "audit", "audit.log")
	all := scanReport(t, "", manifests, "--audit-log", log)
	late := scanReport(t, "", manifests, "--audit-log", log, "--since", "2026-11-20T09:10:00Z")
	none := scanReport(t, "", manifests, "--audit-log", log, "--until", "2026-11-19")
	if all.Summary.AuditEvents == 0 || late.Summary.AuditEvents == 0 || late.Summary.AuditEvents >= all.Summary.AuditEvents {
		t.Errorf("events: all %d, since 09:10 %d", all.Summary.AuditEvents, late.Summary.AuditEvents)
	}
	if late.Summary.ObservedFrom < "2026-11-20T09:10:00Z" || late.Summary.ObservedTo != all.Summary.ObservedTo {
		t.Errorf("window since 09:10: %s to %s", late.Summary.ObservedFrom, late.Summary.ObservedTo)
	}
	if none.Summary.AuditEvents != 0 {
		t.Errorf("until the day before: %d events", none.Summary.AuditEvents)
	}
	var a, l []string
	for _, f := range all.Findings {
		if f.Exercised != nil && *f.Exercised {
			a = append(a, f.RuleID)
		}
	}
	for _, f := range late.Findings {
		if f.Exercised != nil && *f.Exercised {
			l = append(l, f.RuleID)
		}
	}
	if len(l) > len(a) {
		t.Errorf("a narrower window exercised more findings: %v > %v", l, a)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", manifests, "--since", "30d"}, "need --audit-log"},
		{[]string{"scan", manifests, "--audit-log", log, "--since", "soon"}, `--since: "soon" is not`},
		{[]string{"scan", manifests, "--audit-log", log, "--since", "2026-11-21", "--until", "2026-11-20"}, "--until 2026-11-20 is before --since 2026-11-21"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
}
