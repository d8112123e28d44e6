package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/kubegrant/kubegrant/internal/htmlnode"
	"github.com/kubegrant/kubegrant/reports"
)

// chromiumNames are the binaries the browser test looks for on PATH;
// KUBEGRANT_CHROMIUM names another one.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// findChromium returns a headless-capable Chromium, or skips the test.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBEGRANT_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("KUBEGRANT_CHROMIUM=%s: %v", p, err)
		}
		return path
	}
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skipf("no Chromium found (%s on PATH, or KUBEGRANT_CHROMIUM): the HTML report's browser test is skipped (apt-get install chromium to run it)",
		strings.Join(chromiumNames, ", "))
	return ""
}

// TestHTMLReportInBrowser renders the demo's HTML report (the real scan,
// in-process, with the audit log) and loads it in headless Chromium with
// every network request sent to a recording proxy and every host name
// unresolvable. It checks that the page's script ran without error or
// blocked load, that the counts it shows and lists equal the JSON report's,
// that filters preselected in the URL show exactly the findings they
// match, and that the page made no request, which a control page with one
// image proves the proxy would see.
func TestHTMLReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	start := time.Now()
	manifests, log := filepath.Join(demo, "manifests"), filepath.Join(demo, "audit", "audit.log")
	r := runCLI(t, "", "scan", manifests, "--audit-log", log, "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("json: exit %d: %s", r.code, r.stderr)
	}
	want := jsonCounts(t, []byte(r.stdout))

	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if r := runCLI(t, "", "scan", manifests, "--audit-log", log, "--format", "html", "-o", page, "--fail-on", "high"); r.code != 3 {
		t.Fatalf("html: exit %d, want 3 (findings at or above high): %s", r.code, r.stderr)
	}
	control := filepath.Join(dir, "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><title>control</title><img src="http://kubegrant-control.example/x.png">`), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo report: %d bytes, rendered in %s", info.Size(), time.Since(start).Round(time.Millisecond))

	// The most powerful identity's link (the identities table's first),
	// with more filters.
	link, identity := firstIdentityLink(t, page)

	// Every load runs at once: a browser start dominates.
	loads := []struct{ name, file, fragment string }{
		{"all", page, ""},
		{"critical", page, "#severity=critical"},
		{"identity", page, link + "&severity=critical,high&used=yes"},
		{"control", control, ""},
	}
	doms := make([]*dom, len(loads))
	requests := make([][]string, len(loads))
	var wg sync.WaitGroup
	for i, l := range loads {
		wg.Go(func() { doms[i], requests[i] = dumpDOM(t, chromium, l.file, l.fragment) })
	}
	wg.Wait()
	t.Logf("4 headless Chromium loads in %s", time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return
	}

	all := doms[0]
	for i, l := range loads[:3] {
		d := doms[i]
		if got := d.rootAttr("data-js"); got != "ready" {
			t.Errorf("%s: data-js=%q: the page's script did not run to its end", l.name, got)
		}
		for _, a := range []string{"data-js-error", "data-csp-violation"} {
			if v, ok := d.rootAttrOK(a); ok {
				t.Errorf("%s: %s=%q", l.name, a, v)
			}
		}
		if len(requests[i]) > 0 {
			t.Errorf("%s: the page made network requests: %q", l.name, requests[i])
		}
		if got := d.csp(); got != reports.HTMLContentSecurityPolicy || !strings.HasPrefix(got, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", l.name, got)
		}
		d.checkGroups(t, l.name)
	}
	if !slices.Contains(requests[3], "kubegrant-control.example") {
		t.Errorf("the control page's image never reached the recording proxy (requests %q): the no-network check proves nothing", requests[3])
	}
	if all.rootAttr("data-filtered") != "no" {
		t.Errorf("unfiltered page: data-filtered=%q", all.rootAttr("data-filtered"))
	}

	// What the page shows (summary), lists (rows) and shows after its
	// script ran (no filter) are the JSON's counts.
	for key, n := range want {
		w := strconv.Itoa(n)
		if got := all.count(key); got != w {
			t.Errorf("summary data-count=%q shows %q, JSON has %s", key, got, w)
		}
		for _, prefix := range []string{"data-listed-", "data-shown-"} {
			if got := all.rootAttr(prefix + key); got != w {
				t.Errorf("%s%s=%q, JSON has %s", prefix, key, got, w)
			}
		}
	}
	if got := all.count("failing"); got != strconv.Itoa(want["critical"]+want["high"]) {
		t.Errorf("gate shows %q failing findings, JSON has %d at or above high", got, want["critical"]+want["high"])
	}
	if n := len(all.visibleFindings()); n != want["findings"] {
		t.Errorf("%d findings visible unfiltered, JSON has %d", n, want["findings"])
	}

	// Filters from the URL: the visible findings are exactly those of the
	// unfiltered page that match, by their data attributes.
	for i, match := range []func(f finding) bool{
		nil,
		func(f finding) bool { return f.sev == "critical" },
		func(f finding) bool {
			return (f.sev == "critical" || f.sev == "high") && f.used == "yes" && strings.Contains(strings.ToLower(f.ids), strings.ToLower(identity))
		},
	} {
		if match == nil {
			continue
		}
		var wantKeys []string
		for _, f := range all.visibleFindings() {
			if match(f) {
				wantKeys = append(wantKeys, f.key)
			}
		}
		var gotKeys []string
		for _, f := range doms[i].visibleFindings() {
			gotKeys = append(gotKeys, f.key)
		}
		if len(wantKeys) == 0 || strings.Join(gotKeys, "\n") != strings.Join(wantKeys, "\n") {
			t.Errorf("%s: visible findings\n%s\nwant\n%s", loads[i].name, strings.Join(gotKeys, "\n"), strings.Join(wantKeys, "\n"))
		}
		if got := doms[i].rootAttr("data-shown-findings"); got != strconv.Itoa(len(wantKeys)) || doms[i].rootAttr("data-filtered") != "yes" {
			t.Errorf("%s: data-shown-findings=%q data-filtered=%q, want %d and yes", loads[i].name, got, doms[i].rootAttr("data-filtered"), len(wantKeys))
		}
	}
	if got := doms[1].rootAttr("data-shown-findings"); got != strconv.Itoa(want["critical"]) {
		t.Errorf("#severity=critical shows %s findings, JSON has %d critical", got, want["critical"])
	}
}

// firstIdentityLink returns the first link of the page's identities table
// and the identity it names.
func firstIdentityLink(t *testing.T, page string) (link, identity string) {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	(&dom{root: root}).walk(func(n *html.Node, _ bool) {
		if href, _ := htmlnode.Attr(n, "href"); link == "" && n.Data == "a" && strings.HasPrefix(href, "#identity=") {
			link, identity = href, strings.TrimSpace(htmlnode.Text(n))
		}
	})
	q, err := url.ParseQuery(strings.TrimPrefix(link, "#"))
	if err != nil || q.Get("identity") != identity || identity == "" {
		t.Fatalf("identity link %q for %q (%v)", link, identity, err)
	}
	return link, identity
}

// jsonCounts reads the counts the HTML page must show from a JSON report.
func jsonCounts(t *testing.T, data []byte) map[string]int {
	t.Helper()
	var rep struct {
		Findings []struct {
			Kind        string          `json:"kind"`
			Exercised   *bool           `json:"exercised"`
			Walked      *bool           `json:"walked"`
			Suppression json.RawMessage `json:"suppression"`
		} `json:"findings"`
		Diagnostics []json.RawMessage `json:"diagnostics"`
		Summary     struct {
			Paths      int            `json:"paths"`
			Walked     int            `json:"walked"`
			Findings   int            `json:"findings"`
			BySeverity map[string]int `json:"bySeverity"`
			Suppressed int            `json:"suppressed"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	c := map[string]int{
		"findings": rep.Summary.Findings, "paths": rep.Summary.Paths, "walked": rep.Summary.Walked,
		"detections": 0, "exercised": 0,
	}
	for _, s := range reports.Severities {
		c[string(s)] = rep.Summary.BySeverity[string(s)]
	}
	for _, f := range rep.Findings {
		if f.Suppression != nil {
			continue
		}
		if f.Kind == "detection" {
			c["detections"]++
		}
		if f.Exercised != nil && *f.Exercised || f.Walked != nil && *f.Walked {
			c["exercised"]++
		}
	}
	if c["paths"] == 0 || c["detections"] == 0 || c["exercised"] == 0 || c["critical"] == 0 {
		t.Fatalf("the demo has no path, detection, exercised or critical finding: the comparison proves little (%v)", c)
	}
	return c
}

// dumpDOM loads file in headless Chromium and returns the DOM after the
// page's script ran, with the hosts the browser asked the recording proxy
// for on behalf of the page (the browser's own Google services aside).
func dumpDOM(t *testing.T, chromium, file, fragment string) (*dom, []string) {
	proxy, requests := recordingProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
		"--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate", "--no-pings",
		"--disable-client-side-phishing-detection", "--disable-domain-reliability",
		"--user-data-dir="+t.TempDir(),
		"--proxy-server=http://"+proxy, "--proxy-bypass-list=<-loopback>",
		`--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
		"--dump-dom", "file://"+file+fragment)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s: %v\n%s", chromium, err, tail(stderr.String(), 2000))
		return nil, nil
	}
	root, err := html.Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Errorf("parsing the dumped DOM: %v", err)
		return nil, nil
	}
	return &dom{root: root}, requests()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// browserServices are the hosts Chromium itself calls (time, updates,
// accounts) whatever page it loads.
var browserServices = []string{"google.com", "googleapis.com", "gstatic.com", "gvt1.com", "googleusercontent.com"}

// recordingProxy is an HTTP proxy that answers nothing and records the host
// of every request: plain (GET http://host/…) or tunnelled (CONNECT host:443).
func recordingProxy(t *testing.T) (addr string, hosts func() []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Error(err)
		return "127.0.0.1:1", func() []string { return nil }
	}
	t.Cleanup(func() { _ = l.Close() })
	var mu sync.Mutex
	var seen []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				fields := strings.Fields(line)
				if len(fields) < 2 {
					return
				}
				host := fields[1]
				host = strings.TrimPrefix(strings.TrimPrefix(host, "http://"), "https://")
				host, _, _ = strings.Cut(host, "/")
				if h, _, err := net.SplitHostPort(host); err == nil {
					host = h
				}
				for _, s := range browserServices {
					if host == s || strings.HasSuffix(host, "."+s) {
						return
					}
				}
				mu.Lock()
				seen = append(seen, host)
				mu.Unlock()
			}()
		}
	}()
	return l.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// dom is a page as the browser left it.
type dom struct{ root *html.Node }

func (d *dom) walk(fn func(n *html.Node, hidden bool)) {
	var walk func(n *html.Node, hidden bool)
	walk = func(n *html.Node, hidden bool) {
		if n.Type == html.ElementNode {
			if _, ok := htmlnode.Attr(n, "hidden"); ok {
				hidden = true
			}
			fn(n, hidden)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, hidden)
		}
	}
	walk(d.root, false)
}

func (d *dom) rootAttrOK(key string) (string, bool) {
	var v string
	var ok bool
	d.walk(func(n *html.Node, _ bool) {
		if n.Data == "html" {
			v, ok = htmlnode.Attr(n, key)
		}
	})
	return v, ok
}

func (d *dom) rootAttr(key string) string {
	v, _ := d.rootAttrOK(key)
	return v
}

// count is the text of the summary element data-count=key.
func (d *dom) count(key string) string {
	var v string
	d.walk(func(n *html.Node, _ bool) {
		if k, ok := htmlnode.Attr(n, "data-count"); ok && k == key {
			v = strings.TrimSpace(htmlnode.Text(n))
		}
	})
	return v
}

func (d *dom) csp() string {
	var v string
	d.walk(func(n *html.Node, _ bool) {
		if h, _ := htmlnode.Attr(n, "http-equiv"); n.Data == "meta" && strings.EqualFold(h, "Content-Security-Policy") {
			v, _ = htmlnode.Attr(n, "content")
		}
	})
	return v
}

// finding is one un-suppressed finding of the page.
type finding struct{ key, sev, used, ids string }

// visibleFindings lists the un-suppressed findings neither hidden nor in a
// hidden section, in page order.
func (d *dom) visibleFindings() []finding {
	var fs []finding
	i := 0
	d.walk(func(n *html.Node, hidden bool) {
		if _, ok := htmlnode.Attr(n, "data-finding"); !ok {
			return
		}
		i++
		if _, ok := htmlnode.Attr(n, "data-suppressed"); ok || hidden {
			return
		}
		sev, _ := htmlnode.Attr(n, "data-sev")
		used, _ := htmlnode.Attr(n, "data-used")
		ids, _ := htmlnode.Attr(n, "data-id")
		kind, _ := htmlnode.Attr(n, "data-kind")
		fs = append(fs, finding{key: fmt.Sprintf("%d %s %s %q", i, sev, kind, ids), sev: sev, used: used, ids: ids})
	})
	return fs
}

// checkGroups: a section is hidden exactly when nothing in it is shown.
func (d *dom) checkGroups(t *testing.T, name string) {
	d.walk(func(n *html.Node, hidden bool) {
		if _, ok := htmlnode.Attr(n, "data-group"); !ok {
			return
		}
		_, self := htmlnode.Attr(n, "hidden")
		shown := false
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			(&dom{root: c}).walk(func(c *html.Node, h bool) {
				if _, ok := htmlnode.Attr(c, "data-filter"); ok && !h {
					shown = true
				}
			})
		}
		if self == shown {
			heading := strings.TrimSpace(htmlnode.Text(n))
			t.Errorf("%s: section %.40q is hidden=%v and shows a row=%v", name, heading, self, shown)
		}
	})
}
