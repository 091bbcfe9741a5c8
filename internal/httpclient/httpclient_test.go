package httpclient

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file as promtool's --http.config.file takes it: the CA and the password
// come from files relative to it.
func TestFromFileTLSAndBasicAuth(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "sre" || p != "s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if !strings.HasPrefix(r.UserAgent(), "golive/") {
			http.Error(w, "bad user agent "+r.UserAgent(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for name, body := range map[string]string{
		"ca.pem":   string(ca),
		"password": "s3cret\n",
		"http.yml": "tls_config:\n  ca_file: ca.pem\nbasic_auth:\n  username: sre\n  password_file: password\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client, err := FromFile(filepath.Join(dir, "http.yml"), "test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}

	// Without the file the server's certificate is not trusted.
	plain, err := FromFile("", "test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	if resp, err := plain.Do(req); err == nil {
		resp.Body.Close()
		t.Error("an untrusted certificate was accepted")
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http.yml")
	if err := os.WriteFile(path, []byte("basic_auth:\n  usernme: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := FromFile(path, "test")
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "usernme") {
		t.Errorf("error %v, want the file and the unknown field", err)
	}
}
