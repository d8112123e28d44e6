package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/detect"
	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/detect/runtime"
	"github.com/kubegrant/kubegrant/policies"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/reports/suppress"
	"github.com/kubegrant/kubegrant/scanner"
)

const scanUsage = `scan [PATH|-]... [flags]

Scans RBAC manifests (files or directories, recursively: .yaml .yml .json;
multi-document YAML, JSON, kind: List; '-' reads standard input) for risky
grants. A directory with a Chart.yaml is rendered as a Helm chart (offline:
dependencies must be vendored in charts/), one with a kustomization.yaml is
built with Kustomize; findings point at the template or base file. With --audit-log, also replays audit logs to prove which grants were
used and runs the audit detections; with only --audit-log, runs the audit
detections alone.`

// scanConfig is the validated command line of `kubegrant scan`.
type scanConfig struct {
	paths          []string
	cluster        bool
	clusterOpts    scanner.ClusterOptions
	auditLogs      []string
	runtimeEvents  []string
	policies       []string // --policy and the config's policies:
	format         string
	output         string
	failOn         string
	baseline       string
	config         string
	configSet      bool // --config was given, even empty
	showSuppressed bool
	suggestRoles   string
	helm           scanner.HelmOptions
	since, until   string // --since, --until as given
	window         struct{ since, until time.Time }
}

func parseScanFlags(args []string, io stdio) (*scanConfig, error) {
	fs := newFlagSet("scan", scanUsage, io)
	format := newEnum("text", reports.Formats...)
	failOn := newEnum("high", "critical", "high", "medium", "low", "info", "none")
	cfg := &scanConfig{}
	fs.BoolVar(&cfg.cluster, "cluster", false, "read RBAC from the live cluster (kubeconfig or in-cluster config)")
	fs.StringVar(&cfg.clusterOpts.Kubeconfig, "kubeconfig", "", "with --cluster: the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
	fs.StringVar(&cfg.clusterOpts.Context, "context", "", "with --cluster: the kubeconfig context (default: the current one)")
	fs.StringArrayVar(&cfg.auditLogs, "audit-log", nil, "audit log file, directory, glob or '-' (repeatable; .gz ok): run the dynamic pass")
	fs.StringArrayVar(&cfg.runtimeEvents, "runtime-events", nil, "with --audit-log: Falco or Tetragon JSON events (file, directory or glob; repeatable) joined with the audit log")
	fs.StringArrayVar(&cfg.policies, "policy", nil, "a directory of your own Rego policies, loaded with the catalogue (repeatable; see docs/writing-rules.md)")
	fs.Var(format, "format", "report format: "+format.choices())
	fs.StringVarP(&cfg.output, "output", "o", "", "write the report to this file instead of standard output")
	fs.Var(failOn, "fail-on", "exit 3 when an un-suppressed finding is at or above this severity: "+failOn.choices())
	fs.StringVar(&cfg.baseline, "baseline", "", "a previous json or sarif report: findings already in it do not count for --fail-on")
	fs.StringVar(&cfg.config, "config", "", "config file with suppression exceptions (default: "+defaultConfig+" in the working directory when present; '' for none)")
	fs.BoolVar(&cfg.showSuppressed, "show-suppressed", false, "text format: also list suppressed findings")
	fs.StringVar(&cfg.suggestRoles, "suggest-roles", "", "with --audit-log: write least-privilege Roles built from what each subject did, less what a detection reported, with the diff against its current grants, to this file (YAML)")
	fs.StringVar(&cfg.since, "since", "", "with --audit-log: ignore requests before this time (RFC 3339, YYYY-MM-DD, or an age such as 30d or 12h)")
	fs.StringVar(&cfg.until, "until", "", "with --audit-log: ignore requests after this time (RFC 3339, YYYY-MM-DD (the whole day), or an age)")
	fs.StringArrayVar(&cfg.helm.ValueFiles, "helm-values", nil, "Helm charts: a values file merged over values.yaml (repeatable, in order; helm -f)")
	fs.StringArrayVar(&cfg.helm.Set, "helm-set", nil, "Helm charts: set a value, key=value (repeatable; after --helm-values; helm --set)")
	fs.StringVar(&cfg.helm.Release, "helm-release", scanner.DefaultHelmRelease, "Helm charts: the release name")
	fs.StringVar(&cfg.helm.Namespace, "helm-namespace", "default", "Helm charts: the release namespace")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	cfg.paths = fs.Args()
	cfg.format, cfg.failOn = format.String(), failOn.String()
	cfg.configSet = fs.Changed("config")
	return cfg, validateScan(cfg)
}

// validateScan holds every cross-flag rule of `scan`.
func validateScan(cfg *scanConfig) error {
	if len(cfg.paths) == 0 && !cfg.cluster && len(cfg.auditLogs) == 0 {
		return usageErrorf("scan needs a PATH (manifests), --cluster or --audit-log")
	}
	if !cfg.cluster && (cfg.clusterOpts.Kubeconfig != "" || cfg.clusterOpts.Context != "") {
		return usageErrorf("--kubeconfig and --context apply to --cluster only")
	}
	stdin := 0
	for _, p := range append(slices.Clone(cfg.paths), cfg.auditLogs...) {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("standard input ('-') can be read only once")
	}
	if cfg.suggestRoles != "" && (len(cfg.auditLogs) == 0 || len(cfg.paths) == 0 && !cfg.cluster) {
		return usageErrorf("--suggest-roles needs RBAC (PATH or --cluster) and --audit-log")
	}
	if len(cfg.runtimeEvents) > 0 && len(cfg.auditLogs) == 0 {
		return usageErrorf("--runtime-events needs --audit-log: runtime events are joined with the API requests")
	}
	if (cfg.since != "" || cfg.until != "") && len(cfg.auditLogs) == 0 {
		return usageErrorf("--since and --until bound the audit log replay: they need --audit-log")
	}
	now := time.Now()
	var err error
	if cfg.window.since, err = parseWhen(cfg.since, now, false); err != nil {
		return usageErrorf("--since: %v", err)
	}
	if cfg.window.until, err = parseWhen(cfg.until, now, true); err != nil {
		return usageErrorf("--until: %v", err)
	}
	if !cfg.window.since.IsZero() && !cfg.window.until.IsZero() && cfg.window.until.Before(cfg.window.since) {
		return usageErrorf("--until %s is before --since %s", cfg.until, cfg.since)
	}
	if cfg.showSuppressed && cfg.format != "text" {
		return usageErrorf("--show-suppressed applies to --format text only (json, sarif and html always include suppressed findings)")
	}
	return nil
}

func runScan(ctx context.Context, args []string, io stdio) error {
	cfg, err := parseScanFlags(args, io)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("finding the working directory: %w", err)
	}
	// Every input is checked before the scan runs, so that a typo fails
	// at once and not after minutes of replay.
	if cfg.policies, err = policyDirs(cfg); err != nil {
		return err
	}
	exceptions, err := loadExceptions(ctx, cfg)
	if err != nil {
		return err
	}
	detectOpts, err := loadDetectOptions(cfg)
	if err != nil {
		return err
	}
	var base *suppress.Baseline
	if cfg.baseline != "" {
		if base, err = suppress.ReadBaseline(cfg.baseline); err != nil {
			return err
		}
	}
	if err := audit.CheckSources(cfg.auditLogs); err != nil {
		return err
	}
	if err := cfg.helm.Check(); err != nil {
		return err
	}
	if err := checkOutput(cfg.output); err != nil {
		return err
	}
	report := &reports.Report{Tool: reports.Tool{Name: "kubegrant", Version: toolVersion()}}
	if len(cfg.runtimeEvents) > 0 {
		events, stats, diags, err := runtime.Load(cfg.runtimeEvents, root)
		if err != nil {
			return err
		}
		report.Diagnostics = append(report.Diagnostics, diags...)
		detectOpts.Runtime = events
		fmt.Fprintf(io.err, "kubegrant: %d runtime events read (%d lines, %d skipped, %d bad)\n", stats.Events, stats.Lines, stats.Skipped, stats.Errors)
	}
	graph := &scanner.Graph{} // empty for detections alone, without RBAC attribution
	if len(cfg.paths) > 0 || cfg.cluster {
		if graph, err = staticPass(ctx, cfg, io, root, report); err != nil {
			return err
		}
	}
	var replay *detect.ReplayResult
	if len(cfg.auditLogs) > 0 {
		if replay, err = dynamicPass(ctx, cfg, io, root, graph, report, detectOpts); err != nil {
			return err
		}
	}

	err = suppress.Apply(report, suppress.Sources{
		Graph:      graph,
		Catalogue:  func() ([]reports.Rule, error) { return catalogue(ctx, cfg.policies) },
		Exceptions: exceptions,
		Baseline:   base,
		Now:        time.Now(),
	})
	if err != nil {
		return err
	}
	if cfg.suggestRoles != "" {
		// After the suppressions: a detection a person accepted does not
		// keep its requests out of the roles.
		if err := writeSuggestion(cfg, io, replay, report.Findings); err != nil {
			return err
		}
	}
	printDiagnostics(io, report.Diagnostics)

	if err := writeReport(cfg, io, report); err != nil {
		return err
	}
	if len(report.Summary.NotEvaluated) > 0 {
		// An incomplete read never passes: the rules that needed these
		// objects were not evaluated.
		return fmt.Errorf("not evaluated: kubegrant could not list %v (see diagnostics; deploy/kubegrant-reader.yaml has the ClusterRole it needs)", report.Summary.NotEvaluated)
	}
	if failing(report.Findings, cfg.failOn) {
		return errFindings
	}
	return nil
}

// staticPass loads and resolves the RBAC, evaluates the policies and adds
// their rules, findings and diagnostics to the report.
func staticPass(ctx context.Context, cfg *scanConfig, io stdio, root string, report *reports.Report) (*scanner.Graph, error) {
	start := time.Now()
	// The policies compile while the RBAC loads.
	type loaded struct {
		engine *policies.Engine
		err    error
	}
	compiled := make(chan loaded, 1)
	go func() {
		e, err := loadEngine(ctx, cfg.policies)
		compiled <- loaded{e, err}
	}()
	inv, err := loadRBAC(ctx, cfg, io, root)
	if err != nil {
		return nil, err
	}
	report.Summary.NotEvaluated = inv.NotEvaluated
	graph := scanner.Resolve(inv)
	raiseMemoryLimit(len(graph.Grants))
	c := <-compiled
	engine, err := c.engine, c.err
	if err != nil {
		return nil, err
	}
	res, err := engine.Eval(ctx, graph)
	if err != nil {
		return nil, fmt.Errorf("evaluating policies: %w", err)
	}
	findings := res.Findings
	report.Identities = res.Identities
	report.Diagnostics = append(report.Diagnostics, res.Diagnostics...)
	report.Rules = append(report.Rules, engine.Rules()...)
	if len(report.Findings) == 0 {
		report.Findings = findings // no copy of hundreds of thousands of findings
	} else {
		report.Findings = append(report.Findings, findings...)
	}
	report.Diagnostics = append(report.Diagnostics, graph.Diagnostics...)
	fmt.Fprintf(io.err, "kubegrant: %s, %s, %s resolved in %s; %s\n",
		count(len(graph.Roles), "role"), count(len(graph.Bindings), "binding"), count(len(graph.Grants), "grant"),
		time.Since(start).Round(time.Millisecond), count(len(findings), "finding"))
	return graph, nil
}

// dynamicPass replays the audit logs: it marks the static findings
// exercised or not, and adds the detections and the audit window.
func dynamicPass(ctx context.Context, cfg *scanConfig, io stdio, root string, graph *scanner.Graph, report *reports.Report, detectOpts detect.DetectOptions) (*detect.ReplayResult, error) {
	start := time.Now()
	res, err := detect.Replay(ctx, cfg.auditLogs, graph, report.Findings, report.Rules,
		detect.ReplayOptions{Stream: detect.StreamOptions{Stdin: io.in, Root: root, Since: cfg.window.since, Until: cfg.window.until}, Detect: detectOpts, SuggestRoles: cfg.suggestRoles != ""})
	if err != nil {
		return nil, err
	}
	// The replay marked the capability findings: a path was walked when
	// its hops were, in order.
	policies.MarkWalked(report.Findings)
	report.Rules = append(report.Rules, res.Rules...)
	report.Findings = append(report.Findings, res.Detections...)
	report.Diagnostics = append(report.Diagnostics, res.Diagnostics...)
	report.Summary.AuditEvents = res.Stats.Events
	report.Summary.AuditErrors = res.Stats.Errors
	if !res.Stats.First.IsZero() {
		report.Summary.ObservedFrom = res.Stats.First.UTC().Format(time.RFC3339)
		report.Summary.ObservedTo = res.Stats.Last.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(io.err, "kubegrant: %s (%s) replayed in %s; %s\n",
		count(res.Stats.Events, "audit event"), count(res.Stats.Errors, "bad line"),
		time.Since(start).Round(time.Millisecond), count(len(res.Detections), "detection"))
	return res, nil
}

// writeSuggestion writes the suggested roles of the replay, marking the
// requests of findings' detections, and says what they change.
func writeSuggestion(cfg *scanConfig, io stdio, replay *detect.ReplayResult, findings []reports.Finding) error {
	sug, err := replay.SuggestedRoles(findings)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.suggestRoles, sug.YAML, 0o644); err != nil {
		return fmt.Errorf("writing suggested roles: %w", err)
	}
	fmt.Fprintf(io.err, "kubegrant: suggested roles for %s written to %s: %s to remove, %s to narrow, %s left out because a detection reported them, %s that no scanned grant gives\n",
		count(sug.Subjects, "subject"), cfg.suggestRoles, count(sug.Unused, "grant rule"), count(sug.Narrowed, "grant rule"),
		count(sug.Flagged, "request"), count(sug.NotGranted, "proposed request"))
	return nil
}

// loadRBAC reads the manifests and, with --cluster, the live cluster, into
// one inventory. It fails when nothing usable could be read.
func loadRBAC(ctx context.Context, cfg *scanConfig, io stdio, root string) (*scanner.Inventory, error) {
	inv := &scanner.Inventory{}
	if len(cfg.paths) > 0 {
		m, err := scanner.LoadManifests(cfg.paths, scanner.LoadOptions{Stdin: io.in, Root: root, Helm: cfg.helm})
		if err != nil {
			return nil, err
		}
		inv.Add(m)
	}
	if cfg.cluster {
		client, name, err := scanner.ClusterClient(cfg.clusterOpts)
		if err != nil {
			return nil, fmt.Errorf("connecting to the cluster: %w", err)
		}
		fmt.Fprintf(io.err, "kubegrant: reading RBAC from cluster %q\n", name)
		c, err := scanner.LoadCluster(ctx, client, cfg.clusterOpts)
		if err != nil {
			return nil, fmt.Errorf("reading the cluster: %w", err)
		}
		inv.Add(c)
	}
	if len(inv.Roles)+len(inv.Bindings) == 0 {
		// A wrong path in a pre-merge job must not pass as "no findings".
		printDiagnostics(io, inv.Diagnostics)
		return nil, noRBAC(cfg, inv)
	}
	return inv, nil
}

// noRBAC is the error of a scan whose input holds no RBAC object, saying
// what the input held instead.
func noRBAC(cfg *scanConfig, inv *scanner.Inventory) error {
	var from []string
	for _, p := range cfg.paths {
		if p == "-" {
			p = "standard input"
		}
		from = append(from, p)
	}
	if cfg.cluster {
		from = append(from, "the cluster")
	}
	var what string
	switch other := len(inv.Objects) + inv.Skipped; {
	case len(cfg.paths) == 0:
		what = fmt.Sprintf("%d object(s) of other kinds listed", other)
	case inv.Files == 0:
		what = "no .yaml, .yml or .json file found"
	case other == 0 && len(inv.Diagnostics) == 0:
		what = fmt.Sprintf("%d file(s) read, all empty", inv.Files)
	default:
		what = fmt.Sprintf("%d file(s) read: %d document(s) of other kinds, %d diagnostic(s)", inv.Files, other, len(inv.Diagnostics))
	}
	return fmt.Errorf("no RBAC object (Role, ClusterRole, RoleBinding, ClusterRoleBinding) in %s: %s", strings.Join(from, ", "), what)
}

// parseWhen reads a --since or --until time: RFC 3339, a date (UTC; for
// --until the end of that day, so that the day is included), or an age
// before now ("30d", "12h", "90m"). "" is no bound.
func parseWhen(s string, now time.Time, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a YYYY-MM-DD date or an age such as 30d or 12h", s)
}

// count renders "1 role", "2 roles".
func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// diagnosticLine renders a diagnostic for the terminal: severity, location
// (which messages never repeat), message.
func diagnosticLine(d scanner.Diagnostic) string {
	if loc := d.Location.String(); loc != "" {
		return d.Severity + ": " + loc + ": " + d.Message
	}
	return d.Severity + ": " + d.Message
}

// printDiagnostics summarises diagnostics on stderr; the report has them all.
func printDiagnostics(io stdio, diags []scanner.Diagnostic) {
	const max = 10
	for i, d := range diags {
		if i == max {
			fmt.Fprintf(io.err, "kubegrant: … and %d more diagnostics in the report\n", len(diags)-max)
			break
		}
		fmt.Fprintf(io.err, "%s\n", diagnosticLine(d))
	}
}

func writeReport(cfg *scanConfig, io stdio, report *reports.Report) error {
	w, err := reports.NewWriter(cfg.format, reports.Options{ShowSuppressed: cfg.showSuppressed, FailOn: cfg.failOn})
	if err != nil {
		return usageErrorf("%v", err)
	}
	if cfg.output == "" || cfg.output == "-" {
		bw := bufio.NewWriter(io.out)
		if err := w.Write(bw, report); err != nil {
			return fmt.Errorf("writing %s report: %w", cfg.format, err)
		}
		return bw.Flush()
	}
	// Write next to the target and rename, so that a failed run never
	// leaves a truncated report where the last good one was.
	tmp, err := os.CreateTemp(filepath.Dir(cfg.output), ".kubegrant-*")
	if err != nil {
		// The temporary file's name means nothing to the user: name theirs.
		return fmt.Errorf("writing report %s: %w", cfg.output, unwrapPathError(err))
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op after the rename
	bw := bufio.NewWriter(tmp)
	if err := w.Write(bw, report); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s report: %w", cfg.format, err)
	}
	if err := errors.Join(bw.Flush(), tmp.Chmod(0o644), tmp.Close()); err != nil {
		return fmt.Errorf("writing report %s: %w", cfg.output, unwrapPathError(err))
	}
	if err := os.Rename(tmp.Name(), cfg.output); err != nil {
		return fmt.Errorf("writing report %s: %w", cfg.output, unwrapPathError(err))
	}
	return nil
}

// checkOutput fails when the report could not be written to path (-o), so
// that a typo fails before the scan and not after it.
func checkOutput(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("writing report %s: is a directory", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("writing report %s: directory %s: %w", path, dir, unwrapPathError(err))
	case !st.IsDir():
		return fmt.Errorf("writing report %s: %s is not a directory", path, dir)
	}
	return nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose message names the
// path the caller already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// failing reports whether an un-suppressed finding is at or above failOn.
func failing(findings []reports.Finding, failOn string) bool {
	return reports.AtOrAbove(findings, failOn) > 0
}

// detectionRules lists the audit detections' rules with default options.
func detectionRules() []reports.Rule {
	var rules []reports.Rule
	for _, d := range detect.Detectors(detect.DetectOptions{}) {
		rules = append(rules, d.Rule())
	}
	return rules
}
