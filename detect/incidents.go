package detect

import (
	"time"

	"github.com/kubegrant/kubegrant/reports"
)

// coveredBy lists, per detection, the detections whose findings already
// tell its incident: a scripted Secret read (KGD05) by a client that also
// made a Secret burst (KGD02), or with a pod's token used from that client
// (KGD06), is one incident, reported once, by the broader finding.
var coveredBy = map[string][]string{
	ruleSecretScripting.ID: {ruleSecretBurst.ID, rulePodToken.ID},
}

// oneIncidentOneFinding drops the findings another finding covers: same
// actor and client (user agent), and a time window inside the other's.
func oneIncidentOneFinding(findings []reports.Finding) []reports.Finding {
	byRule := map[string][]*reports.Finding{}
	for i := range findings {
		byRule[findings[i].RuleID] = append(byRule[findings[i].RuleID], &findings[i])
	}
	out := findings[:0:0]
	for i := range findings {
		f := &findings[i]
		covered := false
		for _, other := range coveredBy[f.RuleID] {
			for _, g := range byRule[other] {
				if sameIncident(f, g) {
					covered = true
					break
				}
			}
		}
		if !covered {
			out = append(out, *f)
		}
	}
	return out
}

// sameIncident reports whether f happened within g: same actor and user
// agent, and f's first and last times inside g's.
func sameIncident(f, g *reports.Finding) bool {
	if f.Actor == nil || g.Actor == nil || f.Actor.User != g.Actor.User || f.Actor.UserAgent != g.Actor.UserAgent {
		return false
	}
	ff, fl, ok1 := seenSpan(f)
	gf, gl, ok2 := seenSpan(g)
	return ok1 && ok2 && !ff.Before(gf) && !fl.After(gl)
}

func seenSpan(f *reports.Finding) (first, last time.Time, ok bool) {
	first, err1 := time.Parse(time.RFC3339Nano, f.FirstSeen)
	last, err2 := time.Parse(time.RFC3339Nano, f.LastSeen)
	return first, last, err1 == nil && err2 == nil
}
