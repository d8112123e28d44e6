// Package sarifcheck checks SARIF documents the way GitHub code scanning
// and the SARIF 2.1.0 schemas do. It is for tests only: no package of the
// kubegrant binary may import it (a test in the module root checks that
// with go list), so neither the checker nor the schema compiler setup is
// linked into the shipped binary.
package sarifcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubegrant/kubegrant/internal/sarifspec"
)

// Names of the vendored SARIF schemas in the repository's
// testdata/sarif-schema directory (see its PROVENANCE.md).
const (
	GitHubSARIFSchema = "github-codeql-action-sarif-schema-2.1.0.json"
	OASISSARIFSchema  = "oasis-sarif-schema-2.1.0.json"
)

// SchemaDirEnv overrides where Validate looks for the schemas.
const SchemaDirEnv = "KUBEGRANT_SARIF_SCHEMA_DIR"

// Validate is a test helper for every package that writes SARIF. It
// checks a document against both vendored SARIF 2.1.0 schemas (GitHub's
// copy, JSON Schema 2020-12, and the normative OASIS one, draft-04; format
// assertions on), then against what GitHub's upload and server enforce
// (CheckGitHub), then kubegrant's own conventions: every result
// carries partialFingerprints["kubegrant/v1"] and none sets
// primaryLocationLineHash, which GitHub computes.
//
// The schemas are read from testdata/sarif-schema in the module root, found
// by walking up from the working directory (which is the package directory
// under `go test`), or from $KUBEGRANT_SARIF_SCHEMA_DIR. They are not
// embedded: 225 KB of schema has no place in the kubegrant binary.
func Validate(data []byte) error {
	if err := ValidateSchemas(data); err != nil {
		return err
	}
	if err := CheckGitHub(data); err != nil {
		return err
	}
	return checkKubegrantSARIF(data)
}

// SchemaDir returns the directory holding the vendored SARIF schemas.
func SchemaDir() (string, error) {
	if d := os.Getenv(SchemaDirEnv); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding sarif schemas: %w", err)
	}
	for {
		cand := filepath.Join(dir, "testdata", "sarif-schema")
		if _, err := os.Stat(filepath.Join(cand, OASISSARIFSchema)); err == nil {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding sarif schemas: no testdata/sarif-schema above the working directory (set %s)", SchemaDirEnv)
		}
		dir = parent
	}
}

type compiledSchemas struct {
	github, oasis *jsonschema.Schema
	err           error
}

var (
	schemasMu    sync.Mutex
	schemasByDir = map[string]*compiledSchemas{}
)

// sarifSchemas compiles the two schemas once per directory.
func sarifSchemas() (*compiledSchemas, error) {
	dir, err := SchemaDir()
	if err != nil {
		return nil, err
	}
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if cs, ok := schemasByDir[dir]; ok {
		return cs, cs.err
	}
	cs := &compiledSchemas{}
	cs.github, cs.err = compileSchema(filepath.Join(dir, GitHubSARIFSchema), dropMisplacedRegionAnyOf)
	if cs.err == nil {
		cs.oasis, cs.err = compileSchema(filepath.Join(dir, OASISSARIFSchema), nil)
	}
	schemasByDir[dir] = cs
	return cs, cs.err
}

// compileSchema compiles one schema file on its own compiler: both copies
// declare (different) ids for the same document, which must not meet. The
// draft comes from each file's $schema (draft-04 for OASIS, 2020-12 for
// GitHub's). patch, when not nil, edits the decoded document first.
func compileSchema(file string, patch func(doc any) error) (*jsonschema.Schema, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading sarif schema: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("decoding sarif schema %s: %w", file, err)
	}
	if patch != nil {
		if err := patch(doc); err != nil {
			return nil, fmt.Errorf("loading sarif schema %s: %w", file, err)
		}
	}
	c := jsonschema.NewCompiler()
	// Format "uri"/"uri-reference" errors are only warnings for GitHub, but
	// kubegrant's own output should satisfy them too.
	c.AssertFormat()
	loc := (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("loading sarif schema %s: %w", file, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compiling sarif schema %s: %w", file, err)
	}
	return sch, nil
}

// dropMisplacedRegionAnyOf makes GitHub's schema copy compilable. Its
// region `anyOf` (startLine | charOffset | byteOffset) sits inside
// definitions.region.properties, where it declares a property literally
// named "anyOf" whose schema is an array. That is not a schema, so
// jsonschema/v6 rejects the document against the 2020-12 metaschema, while
// GitHub's npm validator silently ignores it. Deleting that one entry in
// memory gives exactly GitHub's behaviour (a region has no "anyOf"
// property); the file on disk stays byte-for-byte upstream, and the OASIS
// schema still enforces the real constraint.
func dropMisplacedRegionAnyOf(doc any) error {
	root, _ := doc.(map[string]any)
	defs, _ := root["definitions"].(map[string]any)
	region, _ := defs["region"].(map[string]any)
	props, _ := region["properties"].(map[string]any)
	if _, ok := props["anyOf"].([]any); !ok {
		return errors.New("definitions.region.properties.anyOf not found: has the vendored schema changed?")
	}
	delete(props, "anyOf")
	return nil
}

// ValidateSchemas checks data against both vendored schemas only.
func ValidateSchemas(data []byte) error {
	cs, err := sarifSchemas()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("sarif is not JSON: %w", err)
	}
	var errs []error
	if err := cs.github.Validate(inst); err != nil {
		errs = append(errs, fmt.Errorf("github schema: %w", err))
	}
	if err := cs.oasis.Validate(inst); err != nil {
		errs = append(errs, fmt.Errorf("oasis schema: %w", err))
	}
	return errors.Join(errs...)
}

// CheckGitHub checks what GitHub's upload-sarif action and code
// scanning server reject beyond the schema: a missing runs or results
// array, more runs, results, rules, extensions, locations or tags than
// allowed, a non-numeric or out-of-range security-severity, a ruleIndex
// that does not point at its ruleId, a result with no physical artifact
// location, an absolute URI with a scheme other than file, a startLine
// below 1. It needs no schema files.
func CheckGitHub(data []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("invalid SARIF: JSON syntax error: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	runs, ok := doc["runs"].([]any)
	if !ok {
		return errors.New("invalid SARIF: missing 'runs' array")
	}
	if len(runs) > sarifspec.MaxRuns {
		bad("%d runs, GitHub allows %d", len(runs), sarifspec.MaxRuns)
	}
	for ri, rv := range runs {
		run, _ := rv.(map[string]any)
		at := fmt.Sprintf("runs[%d]", ri)
		results, ok := run["results"].([]any)
		if !ok {
			bad("%s: missing 'results' array", at)
		}
		if len(results) > sarifspec.MaxResults {
			bad("%s: %d results, GitHub allows %d", at, len(results), sarifspec.MaxResults)
		}
		tool, _ := run["tool"].(map[string]any)
		driver, _ := tool["driver"].(map[string]any)
		rules, _ := driver["rules"].([]any)
		if len(rules) > sarifspec.MaxRules {
			bad("%s: %d rules, GitHub allows %d", at, len(rules), sarifspec.MaxRules)
		}
		if ext, _ := tool["extensions"].([]any); len(ext) > sarifspec.MaxExtensions {
			bad("%s: %d tool extensions, GitHub allows %d", at, len(ext), sarifspec.MaxExtensions)
		}
		ruleIDs := make([]string, len(rules))
		for i, rv := range rules {
			rule, _ := rv.(map[string]any)
			ruleIDs[i], _ = rule["id"].(string)
			rat := fmt.Sprintf("%s.tool.driver.rules[%d] (%s)", at, i, ruleIDs[i])
			props, _ := rule["properties"].(map[string]any)
			if ss, present := props["security-severity"]; present {
				s, isString := ss.(string)
				v, err := strconv.ParseFloat(s, 64)
				if !isString || err != nil {
					bad("%s: security-severity %v is not a numeric string", rat, ss)
				} else if v < 0 || v > 10 {
					bad("%s: security-severity %s is outside 0.0–10.0", rat, s)
				}
			}
			if tags, _ := props["tags"].([]any); len(tags) > sarifspec.MaxTags {
				bad("%s: %d tags, GitHub allows %d", rat, len(tags), sarifspec.MaxTags)
			}
		}
		for i, rv := range results {
			res, _ := rv.(map[string]any)
			rat := fmt.Sprintf("%s.results[%d]", at, i)
			if idx, ok := res["ruleIndex"].(float64); ok {
				id, _ := res["ruleId"].(string)
				switch {
				case idx < 0 || int(idx) >= len(rules):
					bad("%s: ruleIndex %v out of range (%d rules)", rat, idx, len(rules))
				case id != "" && ruleIDs[int(idx)] != id:
					bad("%s: ruleIndex %v is rule %q, not ruleId %q", rat, idx, ruleIDs[int(idx)], id)
				}
			}
			locs, _ := res["locations"].([]any)
			if len(locs) > sarifspec.MaxLocations {
				bad("%s: %d locations, GitHub allows %d", rat, len(locs), sarifspec.MaxLocations)
			}
			if rel, _ := res["relatedLocations"].([]any); len(rel) > sarifspec.MaxLocations {
				bad("%s: %d related locations, GitHub allows %d", rat, len(rel), sarifspec.MaxLocations)
			}
			if len(locs) == 0 {
				bad("%s: no location; GitHub needs a physical location", rat)
			} else if loc, _ := locs[0].(map[string]any); artifactURI(loc) == "" {
				bad("%s: locations[0] has no physicalLocation.artifactLocation.uri; GitHub rejects it", rat)
			}
			for _, key := range []string{"locations", "relatedLocations"} {
				l, _ := res[key].([]any)
				for j, lv := range l {
					loc, _ := lv.(map[string]any)
					checkPhysical(loc, fmt.Sprintf("%s.%s[%d]", rat, key, j), bad)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func artifactURI(loc map[string]any) string {
	pl, _ := loc["physicalLocation"].(map[string]any)
	al, _ := pl["artifactLocation"].(map[string]any)
	uri, _ := al["uri"].(string)
	return uri
}

func checkPhysical(loc map[string]any, at string, bad func(string, ...any)) {
	pl, ok := loc["physicalLocation"].(map[string]any)
	if !ok {
		return
	}
	if uri := artifactURI(loc); uri != "" {
		u, err := url.Parse(uri)
		switch {
		case err != nil:
			bad("%s: invalid URI %q: %v", at, uri, err)
		case u.Scheme != "" && u.Scheme != "file":
			bad("%s: URI scheme %q does not match the checkout's file scheme", at, u.Scheme)
		}
	}
	if region, ok := pl["region"].(map[string]any); ok {
		if sl, present := region["startLine"]; present {
			if v, _ := sl.(float64); v < 1 {
				bad("%s: region.startLine %v is below 1", at, sl)
			}
		}
	}
}

// checkKubegrantSARIF checks kubegrant's own SARIF conventions.
func checkKubegrantSARIF(data []byte) error {
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID              string         `json:"ruleId"`
				PartialFingerprints map[string]any `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("invalid SARIF: %w", err)
	}
	var errs []error
	for ri, run := range doc.Runs {
		for i, res := range run.Results {
			if fp, _ := res.PartialFingerprints[sarifspec.FingerprintKey].(string); fp == "" {
				errs = append(errs, fmt.Errorf("runs[%d].results[%d] (%s): no partialFingerprints[%q]", ri, i, res.RuleID, sarifspec.FingerprintKey))
			}
			if _, ok := res.PartialFingerprints["primaryLocationLineHash"]; ok {
				errs = append(errs, fmt.Errorf("runs[%d].results[%d] (%s): primaryLocationLineHash is GitHub's to compute", ri, i, res.RuleID))
			}
		}
	}
	return errors.Join(errs...)
}
