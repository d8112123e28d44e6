package main

import (
	"bufio"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/kubegrant/kubegrant/reports"
)

const deployChart = "../../deploy/helm/kubegrant"

// renderDeployChart renders deploy/helm/kubegrant with the Helm SDK as `helm
// lint --strict` and `helm template` would: the chart must validate, and
// every template must render with no missing value.
func renderDeployChart(t *testing.T, set []string) (map[string]string, error) {
	t.Helper()
	ch, err := loader.LoadDir(deployChart)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	vals := map[string]any{}
	for _, s := range set {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatal(err)
		}
	}
	rv, err := commonutil.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "posture", Namespace: "kubegrant", Revision: 1, IsInstall: true}, common.DefaultCapabilities.Copy())
	if err != nil {
		t.Fatal(err)
	}
	e := engine.Engine{Strict: true}
	return e.RenderWithContext(t.Context(), ch, rv)
}

// decodeAll decodes every document of the rendered templates strictly into
// the typed object of its kind: an unknown or misplaced field fails.
func decodeAll(t *testing.T, files map[string]string) map[string][]any {
	t.Helper()
	objs := map[string][]any{}
	for name, out := range files {
		if path.Ext(name) != ".yaml" || strings.TrimSpace(out) == "" {
			continue
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
		for {
			doc, err := r.Read()
			if err != nil {
				break
			}
			var meta struct{ Kind string }
			if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" {
				continue
			}
			var obj any
			switch meta.Kind {
			case "CronJob":
				obj = &batchv1.CronJob{}
			case "ServiceAccount":
				obj = &corev1.ServiceAccount{}
			case "PersistentVolumeClaim":
				obj = &corev1.PersistentVolumeClaim{}
			case "ClusterRole":
				obj = &rbacv1.ClusterRole{}
			case "ClusterRoleBinding":
				obj = &rbacv1.ClusterRoleBinding{}
			default:
				t.Errorf("%s: unexpected kind %s", name, meta.Kind)
				continue
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s: %s: %v", name, meta.Kind, err)
			}
			objs[meta.Kind] = append(objs[meta.Kind], obj)
		}
	}
	return objs
}

// TestDeployChart renders the posture job's chart for several value sets,
// checks what it installs, and scans it with kubegrant: it must pass even
// --fail-on info, with no diagnostic.
func TestDeployChart(t *testing.T) {
	for _, tc := range []struct {
		name      string
		set       []string
		fail      string // the render must fail with this
		sink      string
		auditLog  bool
		saName    string
		wantKinds []string
	}{
		{name: "defaults", sink: "pvc", saName: "posture-kubegrant",
			wantKinds: []string{"ClusterRole", "ClusterRoleBinding", "CronJob", "PersistentVolumeClaim", "ServiceAccount"}},
		{name: "audit log to stdout", set: []string{"auditLog.enabled=true", "report.sink=stdout", "serviceAccount.name=scanner"},
			sink: "stdout", auditLog: true, saName: "scanner",
			wantKinds: []string{"ClusterRole", "ClusterRoleBinding", "CronJob", "ServiceAccount"}},
		{name: "bucket volume", set: []string{"report.sink=volume", "report.volume.csi.driver=s3.csi.aws.com", "report.volume.csi.volumeAttributes.bucketName=reports"},
			sink: "volume", saName: "posture-kubegrant",
			wantKinds: []string{"ClusterRole", "ClusterRoleBinding", "CronJob", "ServiceAccount"}},
		{name: "bad sink", set: []string{"report.sink=s3"}, fail: `report.sink "s3" is not one of pvc, volume, stdout`},
		{name: "volume sink without a volume", set: []string{"report.sink=volume"}, fail: "report.sink volume needs report.volume"},
		{name: "existing service account needs a name", set: []string{"serviceAccount.create=false"}, fail: "serviceAccount.name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := renderDeployChart(t, tc.set)
			if tc.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("render error %v, want %q", err, tc.fail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			objs := decodeAll(t, files)
			var kinds []string
			for k := range objs {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tc.wantKinds) {
				t.Errorf("kinds %v, want %v", kinds, tc.wantKinds)
			}
			cj := objs["CronJob"][0].(*batchv1.CronJob)
			pod := cj.Spec.JobTemplate.Spec.Template.Spec
			c := pod.Containers[0]
			if cj.Spec.Schedule != "17 3 * * *" || pod.ServiceAccountName != tc.saName {
				t.Errorf("schedule %q, service account %q", cj.Spec.Schedule, pod.ServiceAccountName)
			}
			if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("container security context %+v", c.SecurityContext)
			}
			if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
				t.Errorf("pod security context %+v", pod.SecurityContext)
			}
			args := strings.Join(c.Args, " ")
			if !strings.HasPrefix(args, "scan --cluster") {
				t.Errorf("args %q", args)
			}
			if got := strings.Contains(args, "--output /reports/kubegrant.sarif"); got != (tc.sink != "stdout") {
				t.Errorf("sink %s: args %q", tc.sink, args)
			}
			if got := strings.Contains(args, "--audit-log /var/log/kubernetes/audit"); got != tc.auditLog {
				t.Errorf("audit log %v: args %q", tc.auditLog, args)
			}
			var volumes []string
			for _, v := range pod.Volumes {
				volumes = append(volumes, v.Name)
				if v.Name == "audit-log" && (v.HostPath == nil || v.HostPath.Path != "/var/log/kubernetes/audit") {
					t.Errorf("audit-log volume %+v", v)
				}
				if v.Name == "reports" && tc.sink == "volume" && (v.CSI == nil || v.CSI.VolumeAttributes["bucketName"] != "reports") {
					t.Errorf("reports volume %+v", v)
				}
			}
			for _, m := range c.VolumeMounts {
				if !slices.Contains(volumes, m.Name) {
					t.Errorf("mount %s has no volume", m.Name)
				}
				if m.Name == "audit-log" && !m.ReadOnly {
					t.Error("the audit log is mounted writable")
				}
			}

			// kubegrant's own scan of the chart, rendered with the same values.
			args2 := []string{"scan", deployChart, "--helm-release", "posture", "--helm-namespace", "kubegrant", "--format", "json", "--fail-on", "info"}
			for _, s := range tc.set {
				args2 = append(args2, "--helm-set", s)
			}
			res := runCLI(t, "", args2...)
			if res.code != 0 {
				t.Fatalf("kubegrant scan %s: exit %d\n%s\n%s", deployChart, res.code, res.stderr, res.stdout)
			}
			var report reports.Report
			if err := json.Unmarshal([]byte(res.stdout), &report); err != nil {
				t.Fatal(err)
			}
			if len(report.Diagnostics) > 0 {
				t.Errorf("diagnostics: %+v", report.Diagnostics)
			}
			for _, f := range report.Findings {
				if f.Suppression == nil {
					t.Errorf("finding %s %s at %s", f.RuleID, f.Message, f.Location)
				}
			}
		})
	}
}
