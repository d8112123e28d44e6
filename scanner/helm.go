package scanner

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
)

// HelmOptions are the `helm template` settings used for every chart
// directory LoadManifests meets.
type HelmOptions struct {
	// ValueFiles are merged in order over the chart's values.yaml
	// (helm's -f/--values).
	ValueFiles []string
	// Set are key=value overrides applied after the files (helm's --set).
	Set []string
	// Release is the release name (default DefaultHelmRelease).
	Release string
	// Namespace is the release namespace (default "default").
	Namespace string
}

// DefaultHelmRelease is the release name `helm template` uses when given none.
const DefaultHelmRelease = "release-name"

// ChartFile is the file that makes a directory a Helm chart.
const ChartFile = "Chart.yaml"

// isChartDir reports whether dir is a Helm chart.
func isChartDir(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, ChartFile))
	return err == nil && info.Mode().IsRegular()
}

// Check checks that every values file can be read and every --set
// parses, so that a typo is reported before anything is scanned.
func (o HelmOptions) Check() error {
	_, err := o.values()
	return err
}

// values merges the value files and the --set overrides.
func (o HelmOptions) values() (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range o.ValueFiles {
		v, err := common.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("--helm-values %s: %w", f, unwrapPathError(err))
		}
		vals = loader.MergeMaps(vals, v)
	}
	for _, s := range o.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("--helm-set %s: %w", s, err)
		}
	}
	return vals, nil
}

// remoteSchemaRef finds a values schema that refers to another schema by
// URL: validating it would fetch that URL.
var remoteSchemaRef = regexp.MustCompile(`"\$ref"\s*:\s*"https?://`)

// renderChart renders the chart in dir as `helm template` does (client only:
// default capabilities, no lookup against a cluster, no network) and loads
// the result, each object traced back to its template. display is the
// chart directory as reports name it.
func renderChart(ctx context.Context, dir, display string, opts HelmOptions) *Inventory {
	chartFile := path.Join(display, ChartFile)
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return renderError(chartFile, "loading Helm chart: %v", err)
	}
	if msg := missingDependencies(ch, display); msg != "" {
		return renderError(chartFile, "%s", msg)
	}
	vals, err := opts.values()
	if err != nil {
		return renderError(chartFile, "%v", err)
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return renderError(chartFile, "processing chart dependencies: %v", err)
	}
	release, namespace := opts.Release, opts.Namespace
	if release == "" {
		release = DefaultHelmRelease
	}
	if namespace == "" {
		namespace = "default"
	}
	inv := &Inventory{}
	skipSchema := remoteSchemaRef.Match(ch.Schema)
	if skipSchema {
		inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
			Severity: DiagWarning,
			Message:  "values not validated: the schema refers to a schema by URL, which kubegrant does not fetch",
			Location: Source{File: path.Join(display, "values.schema.json")},
		})
	}
	caps := common.DefaultCapabilities.Copy()
	renderVals, err := commonutil.ToRenderValuesWithSchemaValidation(ch, vals,
		common.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}, caps, skipSchema)
	if err != nil {
		return renderError(chartFile, "Helm values: %v", err)
	}
	var e engine.Engine // no client: lookup returns nothing, as in `helm template`
	files, err := e.RenderWithContext(ctx, ch, renderVals)
	if err != nil {
		return renderError(chartFile, "rendering Helm chart: %v", err)
	}

	sources := templateSources(ch)
	names := make([]string, 0, len(files))
	for name, out := range files {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" || strings.TrimSpace(out) == "" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		// name is "<chart>/templates/x.yaml" or, for a subchart,
		// "<chart>/charts/<sub>/templates/x.yaml".
		rel := name[strings.Index(name, "/")+1:]
		file := path.Join(display, rel)
		out := files[name]
		part := ParseManifests(file, []byte(out))
		retrace(part, file, file, traceLines(splitLines(out), splitLines(sources[name]), 1))
		inv.Add(part)
	}
	return inv
}

// templateSources maps the engine's template names to their text, for the
// chart and every subchart.
func templateSources(ch *chart.Chart) map[string]string {
	m := map[string]string{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			m[path.Join(c.ChartFullPath(), t.Name)] = string(t.Data)
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return m
}

// missingDependencies names the dependencies of Chart.yaml (at any depth)
// that are not vendored in a charts/ directory: kubegrant renders offline,
// so it cannot fetch them as `helm dependency build` would.
func missingDependencies(ch *chart.Chart, display string) string {
	var missing []string
	var walk func(c *chart.Chart, dir string)
	walk = func(c *chart.Chart, dir string) {
		have := map[string]*chart.Chart{}
		for _, d := range c.Dependencies() {
			have[d.Name()] = d
		}
		for _, req := range c.Metadata.Dependencies {
			if req == nil {
				continue
			}
			if d, ok := have[req.Name]; ok {
				walk(d, path.Join(dir, "charts", req.Name))
				continue
			}
			from := req.Repository
			if from == "" {
				from = "no repository"
			}
			missing = append(missing, fmt.Sprintf("%s (%s %s) in %s", req.Name, from, req.Version, path.Join(dir, "charts")))
		}
	}
	walk(ch, display)
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("Helm chart dependencies not vendored: %s; run 'helm dependency build %s' and scan again "+
		"(kubegrant renders charts offline and fetches nothing)", strings.Join(missing, ", "), display)
}
