package policies

import "embed"

// catalogue is the embedded policy tree: rules/<slug>/rule.rego (with its
// rule_test.rego, which Load skips and the tests run) and lib/*.rego.
//
//go:embed rules lib
var catalogue embed.FS
