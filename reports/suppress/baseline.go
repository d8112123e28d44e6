package suppress

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/kubegrant/kubegrant/reports"
)

// Baseline is the set of finding fingerprints of a previous report.
type Baseline struct {
	path  string
	known map[string]bool
}

// ReadBaseline reads the fingerprints of a previous JSON or SARIF report.
// The CLI reads it before the scan, so that a wrong path fails at once.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	var doc struct {
		Findings []struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
		Runs []struct {
			Results []struct {
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("reading baseline %s: not a kubegrant json or sarif report: %w", path, err)
	}
	if doc.Findings == nil && doc.Runs == nil {
		return nil, fmt.Errorf("reading baseline %s: not a kubegrant json or sarif report (no findings or runs)", path)
	}
	known := map[string]bool{}
	for _, f := range doc.Findings {
		known[f.Fingerprint] = true
	}
	for _, run := range doc.Runs {
		for _, r := range run.Results {
			known[r.PartialFingerprints[reports.FingerprintKey]] = true
		}
	}
	delete(known, "")
	return &Baseline{path: path, known: known}, nil
}

// Apply marks findings whose fingerprint appears in the baseline as
// suppressed by it, so that only new findings count for --fail-on. The
// findings must be finalized: fingerprints are set and tell duplicate
// findings apart.
func (b *Baseline) Apply(findings []reports.Finding) {
	for i := range findings {
		f := &findings[i]
		if b.known[f.Fingerprint] {
			Mark(f, reports.Suppression{Kind: reports.SuppressBaseline, Justification: "present in baseline " + b.path})
		}
	}
}
