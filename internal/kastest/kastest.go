// Package kastest runs a real kube-apiserver and etcd on 127.0.0.1 for
// kubegrant's end-to-end tests. It is an ordinary package, imported only by
// tests.
//
// The binaries are not downloaded: `make kas` (e2e/kas/build.sh) builds
// kube-apiserver and etcd from Go modules into
// ${KUBEGRANT_KAS_DIR:-$HOME/.cache/kubegrant/k8s-v1.34.4}. When they are
// absent, Shared skips the test with a message naming `make kas`, so `go test
// ./...` passes without them.
//
// Start generates everything the apiserver needs in a temporary directory:
// a throwaway CA and serving certificate, a ServiceAccount signing key, a
// static token file with one random token per Identity, and the audit policy
// of shared/REAL-APISERVER.md §3 (JSON audit log, blocking mode). It picks
// free loopback ports, starts etcd, then kube-apiserver with
// --authorization-mode=Node,RBAC, and polls /readyz within a time budget.
// Stop terminates the apiserver first and etcd after it: an apiserver whose
// etcd is gone spins on retries.
//
// One cluster per test package: call Main from TestMain and Shared from each
// test; the cluster starts on the first Shared call (so a package whose e2e
// tests are filtered out by -run never starts one) and stops when Main
// returns. Tests share it, so each should use its own namespaces.
package kastest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Version is the Kubernetes version `make kas` builds.
const Version = "v1.34.4"

// EnvDir names the environment variable that overrides the binaries'
// directory.
const EnvDir = "KUBEGRANT_KAS_DIR"

// EnvKeep, when set to a non-empty value, keeps the cluster's temporary
// directory (certificates, tokens, logs, audit log) after Stop, for
// debugging; its path is printed.
const EnvKeep = "KUBEGRANT_KAS_KEEP"

// Identity is a static-token user of the test cluster.
type Identity struct {
	// Name is the user name, also the key for Config and Kubeconfig.
	Name   string
	Groups []string
	// ForwardedFor, when set, is sent as X-Forwarded-For by this identity's
	// clients, so the audit log's sourceIPs[0] is a distinct, non-loopback
	// client address (REAL-APISERVER.md §6).
	ForwardedFor string
	// Token is generated at Start: random, never written anywhere but the
	// token file and the kubeconfig files.
	Token string
}

// DefaultIdentities are the users of the e2e scenario. Only admin holds any
// permission out of the box (system:masters); the others get theirs from the
// RBAC fixtures the tests create.
func DefaultIdentities() []Identity {
	return []Identity{
		{Name: "admin", Groups: []string{"system:masters"}},
		{Name: "alice", Groups: []string{"dev-team"}, ForwardedFor: "192.0.2.10"},
		{Name: "mallory", Groups: []string{"contractors"}, ForwardedFor: "192.0.2.66"},
		{Name: "ci-runner", Groups: []string{"ci-bots"}, ForwardedFor: "198.51.100.23"},
		{Name: "reader", Groups: []string{"auditors"}},
	}
}

// Options configure Start.
type Options struct {
	// BinDir holds kube-apiserver and etcd (default BinDir()).
	BinDir string
	// Identities are the static-token users (default DefaultIdentities());
	// the first one must be in system:masters: Start polls /readyz with it.
	Identities []Identity
	// StartTimeout bounds the start of etcd plus the apiserver (default 60s;
	// the apiserver is ready in ~3 s on an idle machine).
	StartTimeout time.Duration
	// Logf receives progress lines (default: none).
	Logf func(format string, args ...any)
}

// Cluster is a running etcd plus kube-apiserver.
type Cluster struct {
	// Dir is the temporary directory with the certificates, tokens, logs and
	// the audit log; removed by Stop unless EnvKeep is set.
	Dir string
	// Host is the apiserver URL, https://127.0.0.1:<port>.
	Host string
	// CAFile is the CA that signed the serving certificate.
	CAFile string
	// AuditLog is the apiserver's JSON audit log.
	AuditLog string
	// StartupTime is how long etcd plus the apiserver took to become ready.
	StartupTime time.Duration

	ids       map[string]Identity
	adminName string
	etcd      *process
	apiserver *process
	logf      func(string, ...any)
}

// BinDir returns the directory of the binaries: $KUBEGRANT_KAS_DIR, or
// $HOME/.cache/kubegrant/k8s-<Version> (e2e/kas/build.sh's default).
func BinDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "kubegrant", "k8s-"+Version)
}

// Available reports whether dir holds both binaries; the error says which
// is missing and how to build it.
func Available(dir string) error {
	for _, b := range []string{"kube-apiserver", "etcd"} {
		p := filepath.Join(dir, b)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("%s not found (run `make kas` to build kube-apiserver %s and etcd into %s, or set %s)", p, Version, dir, EnvDir)
		}
	}
	return nil
}

// Start starts etcd and kube-apiserver and waits until the apiserver is
// ready. On error everything started is stopped again.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	if o.BinDir == "" {
		o.BinDir = BinDir()
	}
	if err := Available(o.BinDir); err != nil {
		return nil, err
	}
	if o.Identities == nil {
		o.Identities = DefaultIdentities()
	}
	if len(o.Identities) == 0 {
		return nil, errors.New("no identities")
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	begin := time.Now()
	dir, err := os.MkdirTemp("", "kubegrant-kas-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir, ids: map[string]Identity{}, logf: o.Logf}
	defer func() {
		if err != nil {
			if stopErr := c.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
			c = nil
		}
	}()

	pki, err := writePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return c, fmt.Errorf("generating certificates: %w", err)
	}
	c.CAFile = pki.caFile
	var tokens strings.Builder
	for i, id := range o.Identities {
		if id.Token == "" {
			id.Token = id.Name + "-" + randomHex(16)
		}
		if _, dup := c.ids[id.Name]; dup {
			return c, fmt.Errorf("identity %q twice", id.Name)
		}
		c.ids[id.Name] = id
		if i == 0 {
			c.adminName = id.Name
		}
		fmt.Fprintf(&tokens, "%s,%s,uid-%s,%q\n", id.Token, id.Name, id.Name, strings.Join(id.Groups, ","))
	}
	tokenFile := filepath.Join(dir, "tokens.csv")
	policyFile := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(tokenFile, []byte(tokens.String()), 0o600); err != nil {
		return c, err
	}
	if err := os.WriteFile(policyFile, []byte(AuditPolicy), 0o600); err != nil {
		return c, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return c, fmt.Errorf("picking ports: %w", err)
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	c.Host = fmt.Sprintf("https://127.0.0.1:%d", ports[3])
	c.AuditLog = filepath.Join(dir, "audit.log")

	ctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()

	c.etcd, err = startProcess(filepath.Join(o.BinDir, "etcd"), filepath.Join(dir, "etcd.log"),
		"--name", "kas-test", "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "kas-test="+peerURL,
		"--listen-metrics-urls", fmt.Sprintf("http://127.0.0.1:%d", ports[2]))
	if err != nil {
		return c, err
	}
	if err := poll(ctx, c.etcd, func() bool { return get(http.DefaultClient, etcdURL+"/health", "") == nil }); err != nil {
		return c, fmt.Errorf("etcd not healthy: %w\n%s", err, c.etcd.tail())
	}
	o.Logf("kastest: etcd healthy on %s after %s", etcdURL, time.Since(begin).Round(time.Millisecond))

	c.apiserver, err = startProcess(filepath.Join(o.BinDir, "kube-apiserver"), filepath.Join(dir, "kube-apiserver.log"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[3]), "--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--tls-cert-file="+pki.certFile, "--tls-private-key-file="+pki.keyFile, "--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+tokenFile, "--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki.saPubFile, "--service-account-signing-key-file="+pki.saKeyFile,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--audit-policy-file="+policyFile, "--audit-log-path="+c.AuditLog, "--audit-log-format=json",
		"--audit-log-maxsize=100", "--audit-log-maxbackup=1", "--audit-log-mode=blocking",
		"--v=1")
	if err != nil {
		return c, err
	}
	hc, err := rest.HTTPClientFor(&rest.Config{Host: c.Host, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile}})
	if err != nil {
		return c, err
	}
	admin := c.ids[c.adminName].Token
	if err := poll(ctx, c.apiserver, func() bool { return get(hc, c.Host+"/readyz", admin) == nil }); err != nil {
		last := get(hc, c.Host+"/readyz", admin)
		return c, fmt.Errorf("kube-apiserver not ready: %w (last /readyz: %w)\n%s", err, last, c.apiserver.tail())
	}
	c.StartupTime = time.Since(begin)
	o.Logf("kastest: kube-apiserver %s ready on %s after %s (dir %s)", Version, c.Host, c.StartupTime.Round(time.Millisecond), dir)
	return c, nil
}

// Stop sends SIGTERM to the apiserver and waits for it, then does the same
// for etcd, then removes Dir (unless EnvKeep is set). It may be called more
// than once.
func (c *Cluster) Stop() error {
	var errs []error
	for _, p := range []*process{c.apiserver, c.etcd} {
		if p != nil {
			if err := p.stop(15 * time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	c.apiserver, c.etcd = nil, nil
	if c.Dir != "" {
		if os.Getenv(EnvKeep) != "" {
			c.logf("kastest: keeping %s", c.Dir)
		} else if err := os.RemoveAll(c.Dir); err != nil {
			errs = append(errs, err)
		}
		c.Dir = ""
	}
	return errors.Join(errs...)
}

// Identity returns the named identity (with its token).
func (c *Cluster) Identity(name string) (Identity, bool) {
	id, ok := c.ids[name]
	return id, ok
}

// Tokens returns every static token, for tests that check no report leaks
// one.
func (c *Cluster) Tokens() []string {
	out := make([]string, 0, len(c.ids))
	for _, id := range c.ids {
		out = append(out, id.Token)
	}
	return out
}

// ClientOptions tune a client configuration.
type ClientOptions struct {
	// ForwardedFor overrides the identity's X-Forwarded-For ("" keeps it).
	ForwardedFor string
	// Recorder, when set, records every response's Audit-Id header.
	Recorder *Recorder
}

// Config returns a client configuration authenticating as the named
// identity (a static token). It panics on an unknown name: a test bug.
func (c *Cluster) Config(name string, o ClientOptions) *rest.Config {
	id, ok := c.ids[name]
	if !ok {
		panic(fmt.Sprintf("kastest: unknown identity %q", name))
	}
	if o.ForwardedFor == "" {
		o.ForwardedFor = id.ForwardedFor
	}
	return c.TokenConfig(id.Token, o)
}

// Admin returns the configuration of the first identity (system:masters).
func (c *Cluster) Admin() *rest.Config { return c.Config(c.adminName, ClientOptions{}) }

// TokenConfig returns a client configuration authenticating with a bearer
// token, such as one minted through TokenRequest.
func (c *Cluster) TokenConfig(token string, o ClientOptions) *rest.Config {
	cfg := &rest.Config{
		Host:            c.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile},
		QPS:             200,
		Burst:           400,
		Timeout:         30 * time.Second,
	}
	xff, rec := o.ForwardedFor, o.Recorder
	if xff != "" || rec != nil {
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return &auditTransport{next: rt, forwardedFor: xff, rec: rec}
		}
	}
	return cfg
}

// Kubeconfig writes a kubeconfig file for the named identity into Dir and
// returns its path.
func (c *Cluster) Kubeconfig(name string) (string, error) {
	id, ok := c.ids[name]
	if !ok {
		return "", fmt.Errorf("unknown identity %q", name)
	}
	return c.TokenKubeconfig(name, id.Token)
}

// TokenKubeconfig writes a kubeconfig file named after name that
// authenticates with token, and returns its path.
func (c *Cluster) TokenKubeconfig(name, token string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kas"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthority: c.CAFile}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name+"@kas"] = &clientcmdapi.Context{Cluster: "kas", AuthInfo: name}
	cfg.CurrentContext = name + "@kas"
	p := filepath.Join(c.Dir, "kubeconfig-"+sanitize(name))
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		return "", err
	}
	return p, nil
}

// WaitForAudit polls the audit log until every one of ids has a
// ResponseComplete event: in blocking mode the event is written as the
// handler unwinds, so a client may see its response before the line is in
// the file (REAL-APISERVER.md §6).
func (c *Cluster) WaitForAudit(ctx context.Context, ids ...string) error {
	want := map[string]bool{}
	for _, id := range ids {
		if id == "" {
			return errors.New("empty audit ID (was the response recorded?)")
		}
		want[id] = true
	}
	for {
		data, err := os.ReadFile(c.AuditLog)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		missing := map[string]bool{}
		for id := range want {
			missing[id] = true
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		for sc.Scan() {
			var e struct {
				AuditID string `json:"auditID"`
				Stage   string `json:"stage"`
			}
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Stage == "ResponseComplete" {
				delete(missing, e.AuditID)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			ms := make([]string, 0, len(missing))
			for id := range missing {
				ms = append(ms, id)
			}
			return fmt.Errorf("no ResponseComplete audit event for %v: %w", ms, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SnapshotAuditLog copies the audit log, up to its last complete line, to
// path: the apiserver keeps appending (its own leases, the scan's requests),
// so a test replays a stable copy.
func (c *Cluster) SnapshotAuditLog(path string) error {
	data, err := os.ReadFile(c.AuditLog)
	if err != nil {
		return err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		data = nil
	}
	return os.WriteFile(path, data, 0o600)
}

// ---- shared cluster per test package ---------------------------------------

var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	skip    string
}

// Main runs the package's tests and stops the shared cluster, if one was
// started, afterwards. Use it from TestMain: os.Exit(kastest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if c := shared.cluster; c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "kastest: stopping the cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the package's cluster, starting it on first use. It skips
// the test when the binaries are absent or with -short, and fails it when
// the cluster does not start.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kastest: e2e test skipped with -short")
	}
	shared.once.Do(func() {
		dir := BinDir()
		if err := Available(dir); err != nil {
			shared.skip = err.Error()
			return
		}
		shared.cluster, shared.err = Start(context.Background(), Options{BinDir: dir, Logf: func(f string, a ...any) {
			fmt.Fprintf(os.Stderr, f+"\n", a...)
		}})
	})
	if shared.skip != "" {
		t.Skip("kastest: " + shared.skip)
	}
	if shared.err != nil {
		t.Fatalf("kastest: starting kube-apiserver: %v", shared.err)
	}
	return shared.cluster
}

// ---- audit IDs ------------------------------------------------------------

// Request is one response seen by a recording client.
type Request struct {
	Method  string
	Path    string
	Code    int
	AuditID string
}

// Recorder collects the Audit-Id response header of every request made
// through the clients it is attached to. It is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Requests returns the recorded requests in order.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// AuditIDs returns the recorded audit IDs in order.
func (r *Recorder) AuditIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.reqs))
	for _, q := range r.reqs {
		out = append(out, q.AuditID)
	}
	return out
}

// Last returns the last recorded request.
func (r *Recorder) Last() Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return Request{}
	}
	return r.reqs[len(r.reqs)-1]
}

type auditTransport struct {
	next         http.RoundTripper
	forwardedFor string
	rec          *Recorder
}

func (t *auditTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.forwardedFor != "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
		req.Header.Set("X-Forwarded-For", t.forwardedFor)
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && t.rec != nil {
		t.rec.mu.Lock()
		t.rec.reqs = append(t.rec.reqs, Request{Method: req.Method, Path: req.URL.Path, Code: resp.StatusCode, AuditID: resp.Header.Get("Audit-Id")})
		t.rec.mu.Unlock()
	}
	return resp, err
}

// ---- processes --------------------------------------------------------------

type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProcess(bin, logFile string, args ...string) (*process, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	p := &process{cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace, then kills.
func (p *process) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", filepath.Base(p.cmd.Path), grace)
	}
}

// tail returns the end of the process's log, for error messages.
func (p *process) tail() string {
	data, _ := os.ReadFile(p.log)
	const n = 3000
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return fmt.Sprintf("--- %s (end) ---\n%s", p.log, data)
}

func poll(ctx context.Context, p *process, ready func() bool) error {
	for {
		if ready() {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited: %w", filepath.Base(p.cmd.Path), p.err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func get(hc *http.Client, url, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // nothing was read; a close error changes nothing
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// freePorts returns n distinct free loopback ports. They are released
// before the servers bind them, a short race accepted in tests.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// AuditPolicy is the audit policy of REAL-APISERVER.md §3 (first matching
// rule wins): no health checks; RBAC objects and TokenRequests at
// RequestResponse; Secrets and ConfigMaps at Metadata, never their data;
// everything else at Metadata.
const AuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: RequestResponse
    resources: [{group: rbac.authorization.k8s.io}]
  - level: RequestResponse
    resources: [{group: "", resources: ["serviceaccounts/token"]}]
  - level: Metadata
    resources: [{group: "", resources: ["secrets", "configmaps"]}]
  - level: Metadata
`
