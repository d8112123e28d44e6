// Package sarifspec holds the facts about SARIF that both the writer
// (package reports, in the binary) and the test-only checker
// (internal/sarifcheck) rely on: kubegrant's fingerprint key and GitHub
// code scanning's hard limits (GitHub's "SARIF support for code scanning",
// upload limits). It has no dependencies, so importing it links nothing.
package sarifspec

// FingerprintKey is the partialFingerprints key holding kubegrant's
// finding fingerprint.
const FingerprintKey = "kubegrant/v1"

// GitHub's hard limits on an uploaded SARIF file.
const (
	MaxRuns       = 20    // runs per file
	MaxResults    = 25000 // results per run
	MaxRules      = 25000 // rules per run
	MaxExtensions = 100   // tool extensions per run
	MaxLocations  = 1000  // locations (and related locations) per result
	MaxTags       = 20    // tags per rule
)
