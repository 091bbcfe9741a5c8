package readiness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checklistT writes a checklist (and an exporter config next to it) into a
// temporary directory and loads it.
func checklistT(t testing.TB, checklist, exporter string) *Checklist {
	t.Helper()
	dir := t.TempDir()
	if exporter != "" {
		if err := os.WriteFile(filepath.Join(dir, "exporter.yml"), []byte(exporter), 0o600); err != nil {
			t.Fatal(err)
		}
		checklist = "exporter_config: exporter.yml\n" + checklist
	}
	path := filepath.Join(dir, "readiness.yml")
	if err := os.WriteFile(path, []byte(checklist), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runT runs c and returns the results by item name.
func runT(t testing.TB, c *Checklist, now func() time.Time) (*Report, map[string]Result) {
	t.Helper()
	env, err := NewEnv(c, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), c, env)
	byName := map[string]Result{}
	for _, it := range r.Items {
		byName[it.Name] = it
	}
	return r, byName
}

func wantStatus(t testing.TB, res map[string]Result, name string, want Status, reason string) {
	t.Helper()
	got, ok := res[name]
	switch {
	case !ok:
		t.Errorf("%s: not in the report", name)
	case got.Status != want:
		t.Errorf("%s: %s (%s; %s), want %s", name, got.Status, got.Reason, got.Evidence, want)
	case !strings.Contains(got.Reason+" "+got.Evidence, reason):
		t.Errorf("%s: reason %q, evidence %q: want %q in them", name, got.Reason, got.Evidence, reason)
	}
}

// TLSListener serves TLS on 127.0.0.1 with a self-signed certificate that
// expires after validFor; it returns the address and the CA file.
func TLSListener(t testing.TB, validFor time.Duration) (addr, caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "golive-readiness-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(validFor),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	return ln.Addr().String(), caFile
}
