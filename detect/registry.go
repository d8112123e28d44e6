// Package detect replays Kubernetes audit logs against the resolved RBAC
// Graph to prove which grants were exercised, and runs the audit
// detections (D01–D25 of the catalogue) on the same pass.
//
// Audit logs are read by package audit, which turns every request into one
// normalised audit.Event; the replay and every detection consume that and
// nothing else. Detections are registered per ATT&CK tactic, one file per
// tactic (credential_access.go, execution.go, …), and see only the events
// of the resources they declare.
package detect

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Detector is one audit detection. It consumes events one by one (the
// stream is ordered by file then line, roughly by time; each request comes
// once, stages already de-duplicated) and reports its findings at the end.
// Its memory is bounded: per-key state is capped by DetectOptions.MaxKeys
// and windows are pruned by time.
type Detector interface {
	Rule() reports.Rule
	Observe(e *audit.Event)
	Findings() []reports.Finding
}

// DiagnosticReporter is implemented by detectors that can lose data (state
// limits reached); the caller adds the diagnostics to the report so that a
// limit is never a silent loss.
type DiagnosticReporter interface {
	Diagnostics() []scanner.Diagnostic
}

// Detection is one entry of the catalogue: its rule, the resources whose
// events it needs, and how to build a fresh detector.
type Detection struct {
	Rule reports.Rule
	// Resources are the objectRef resources whose events the detector
	// sees ("" for non-resource requests); nil means every event.
	Resources []string
	// New builds the detector from options with their defaults applied.
	New func(o DetectOptions) Detector
	// UserExtra is set when the detection needs user.extra (the pod, node
	// and credential ID a ServiceAccount token was bound to): it cannot
	// see requests read from a format that does not record it (GKE), and
	// the replay says so (userExtraDiagnostic). Runtime is set when it
	// needs runtime events (DetectOptions.Runtime): without them it sees
	// nothing anyway.
	UserExtra, Runtime bool
}

// catalogue is every registered detection; each tactic file registers its
// own in an init function.
var catalogue []Detection

// register adds detections to the catalogue.
func register(ds ...Detection) { catalogue = append(catalogue, ds...) }

// Catalogue lists the registered detections sorted by rule id.
func Catalogue() []Detection {
	out := slices.Clone(catalogue)
	sort.Slice(out, func(i, j int) bool { return out[i].Rule.ID < out[j].Rule.ID })
	return out
}

// Detectors returns the catalogue of audit detections, fresh (no state),
// sorted by rule id.
func Detectors(opts DetectOptions) []Detector {
	o := opts.withDefaults()
	var ds []Detector
	for _, d := range Catalogue() {
		ds = append(ds, d.New(o))
	}
	return ds
}

// dispatcher hands each event only to the detectors that declared its
// resource, plus those that see every event.
type dispatcher struct {
	detectors  []Detector
	all        []Detector
	byResource map[string][]Detector
}

func newDispatcher(opts DetectOptions) *dispatcher {
	o := opts.withDefaults()
	d := &dispatcher{byResource: map[string][]Detector{}}
	for _, c := range Catalogue() {
		det := c.New(o)
		d.detectors = append(d.detectors, det)
		if c.Resources == nil {
			d.all = append(d.all, det)
			continue
		}
		for _, r := range c.Resources {
			d.byResource[r] = append(d.byResource[r], det)
		}
	}
	return d
}

func (d *dispatcher) observe(e *audit.Event) {
	for _, det := range d.all {
		det.Observe(e)
	}
	for _, det := range d.byResource[e.Object.Resource] {
		det.Observe(e)
	}
}

// userExtraDiagnostic says which detections could not be evaluated on the
// requests of a log without user.extra (n of them): one diagnostic for the
// run, never a silent pass. Detections that need runtime events are named
// only when runtime events were given.
func userExtraDiagnostic(n int, o DetectOptions) []scanner.Diagnostic {
	if n == 0 {
		return nil
	}
	var ids []string
	for _, d := range Catalogue() {
		if d.UserExtra && (!d.Runtime || len(o.Runtime) > 0) {
			ids = append(ids, d.Rule.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	need := "it needs"
	if len(ids) > 1 {
		need = "they need"
	}
	return []scanner.Diagnostic{{Severity: scanner.DiagWarning, Message: fmt.Sprintf(
		"%s could not be evaluated on %s read from GKE Cloud Logging entries: GKE does not record user.extra "+
			"(the pod, node and credential ID of a ServiceAccount token), which %s",
		joinAnd(ids), plural(n, "request"), need)}}
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
