package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/kubegrant/kubegrant/policies"
)

// policyDirs returns the user policy directories: the config file's
// policies: list (relative to the config file), then --policy. A mistake
// in the list is a usage error with its file and line.
func policyDirs(cfg *scanConfig) ([]string, error) {
	path := configPath(cfg)
	if path == "" {
		return cfg.policies, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return cfg.policies, nil // reported by loadExceptions
	}
	root := doc.Content[0]
	var dirs []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "policies" {
			continue
		}
		v := root.Content[i+1]
		if v.Kind != yaml.SequenceNode {
			return nil, usageErrorf("config %s:%d: policies: want a list of directories", path, v.Line)
		}
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode || item.Value == "" {
				return nil, usageErrorf("config %s:%d: policies: want a directory", path, item.Line)
			}
			dir := item.Value
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(filepath.Dir(path), dir)
			}
			dirs = append(dirs, dir)
		}
	}
	return append(dirs, cfg.policies...), nil
}

const testUsage = `test DIR... [flags]

Runs the Rego tests (test_* rules in *_test.rego files) of your own policies
in DIR, with kubegrant's library available (data.kubegrant.lib.rbac, and the
input builders of data.kubegrant.lib.testing), after checking the policies'
metadata as scan --policy does. Exit 0 when every test passes, 1 when one
fails, 2 when a policy is broken (with its file and line).`

func runTest(ctx context.Context, args []string, io stdio) error {
	fs := newFlagSet("test", testUsage, io)
	verbose := fs.BoolP("verbose", "v", false, "list every test, not only failures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("test needs a policy DIR")
	}
	results, err := policies.RunTests(ctx, fs.Args())
	var ue *policies.UserPolicyError
	switch {
	case errors.As(err, &ue):
		return usageErrorf("user policy: %v", ue)
	case err != nil:
		return err
	}
	failed := 0
	for _, r := range results {
		status := "PASS"
		switch {
		case r.Err != nil:
			status = "ERROR"
			failed++
		case r.Fail:
			status = "FAIL"
			failed++
		}
		if status != "PASS" || *verbose {
			fmt.Fprintf(io.out, "%s %s (%s)", status, r.Name, r.Location)
			if r.Err != nil {
				fmt.Fprintf(io.out, ": %v", r.Err)
			}
			fmt.Fprintln(io.out)
		}
	}
	fmt.Fprintf(io.out, "%d tests, %d passed, %d failed\n", len(results), len(results)-failed, failed)
	switch {
	case len(results) == 0:
		return fmt.Errorf("no test in %v (tests are test_* rules in *_test.rego files)", fs.Args())
	case failed > 0:
		return fmt.Errorf("%d of %d tests failed", failed, len(results))
	}
	return nil
}
