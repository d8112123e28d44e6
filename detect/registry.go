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
	"slices"
	"sort"

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
