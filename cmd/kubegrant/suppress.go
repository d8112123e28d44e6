package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kubegrant/kubegrant/policies"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/reports/suppress"
)

// defaultConfig is the config file read from the working directory when
// --config is not given.
const defaultConfig = ".kubegrant.yaml"

// configPath is the config file to read: --config when given ("" for none),
// else .kubegrant.yaml when the working directory has one.
func configPath(cfg *scanConfig) string {
	if cfg.configSet {
		return cfg.config
	}
	if st, err := os.Stat(defaultConfig); err == nil && st.Mode().IsRegular() {
		return defaultConfig
	}
	return ""
}

// loadExceptions reads the config file's exceptions and checks their rule
// IDs against the catalogue. A mistake in the file is a usage error (exit
// 2) with its file and line; a file that cannot be read is a runtime error.
func loadExceptions(ctx context.Context, cfg *scanConfig) ([]suppress.Exception, error) {
	path := configPath(cfg)
	if path == "" {
		return nil, nil
	}
	exceptions, err := suppress.LoadExceptions(path)
	var ce *suppress.ConfigError
	switch {
	case errors.As(err, &ce):
		return nil, usageErrorf("config %v", err)
	case err != nil:
		return nil, err
	}
	if len(exceptions) == 0 {
		return nil, nil
	}
	rules, err := catalogue(ctx, cfg.policies)
	if err != nil {
		return nil, err
	}
	if err := suppress.CheckExceptionRules(exceptions, rules); err != nil {
		return nil, usageErrorf("config %v", err)
	}
	return exceptions, nil
}

// catalogue lists every rule: the policies' (with the user policies of
// dirs) and the audit detections'.
func catalogue(ctx context.Context, dirs []string) ([]reports.Rule, error) {
	engine, err := loadEngine(ctx, dirs)
	if err != nil {
		return nil, err
	}
	return append(engine.Rules(), detectionRules()...), nil
}

// loadEngine loads the catalogue with the user policies of dirs; a broken
// user policy is a usage error naming its file and line.
func loadEngine(ctx context.Context, dirs []string) (*policies.Engine, error) {
	engine, err := policies.LoadWith(ctx, dirs)
	var ue *policies.UserPolicyError
	switch {
	case errors.As(err, &ue):
		return nil, usageErrorf("user policy: %v", ue)
	case err != nil:
		return nil, fmt.Errorf("loading policies: %w", err)
	}
	return engine, nil
}
