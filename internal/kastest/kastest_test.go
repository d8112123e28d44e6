package kastest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestPKI(t *testing.T) {
	f, err := writePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	load := func(p string) *x509.Certificate {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(data)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pool := x509.NewCertPool()
	pool.AddCert(load(f.caFile))
	if _, err := load(f.certFile).Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: pool}); err != nil {
		t.Errorf("serving certificate does not verify for 127.0.0.1: %v", err)
	}
}

func TestAvailable(t *testing.T) {
	err := Available(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make kas") {
		t.Errorf("Available(empty dir) = %v, want an error naming make kas", err)
	}
}

// TestCluster checks the helper against the real apiserver: identities
// authenticate, Audit-Id headers are recorded, X-Forwarded-For reaches the
// audit log's sourceIPs, and WaitForAudit sees the ResponseComplete events.
func TestCluster(t *testing.T) {
	c := Shared(t)
	rec := &Recorder{}
	cs, err := kubernetes.NewForConfig(c.Config("ci-runner", ClientOptions{Recorder: rec}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = cs.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
	if err == nil || !strings.Contains(err.Error(), `User "ci-runner" cannot list resource "secrets"`) {
		t.Errorf("ci-runner listing secrets: %v, want forbidden", err)
	}
	r := rec.Last()
	if r.Code != 403 || r.AuditID == "" {
		t.Fatalf("recorded %+v, want a 403 with an Audit-Id", r)
	}
	if err := c.WaitForAudit(ctx, r.AuditID); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, r.AuditID) && strings.Contains(line, `"ResponseComplete"`) {
			if !strings.Contains(line, `"sourceIPs":["198.51.100.23","127.0.0.1"]`) {
				t.Errorf("audit event lacks the forwarded source IP: %s", line)
			}
			return
		}
	}
	t.Error("ResponseComplete line not found")
}
