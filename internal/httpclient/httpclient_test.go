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

	"github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"
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

// The same block sits in a golive config file (decoded with yaml.v3, as
// golive's configs are), strictly: a misspelt key is an error.
func TestBlockInAConfigFile(t *testing.T) {
	type file struct {
		URL  string                  `yaml:"url"`
		HTTP config.HTTPClientConfig `yaml:"http_client"`
	}
	doc := "url: https://prometheus:9090\nhttp_client:\n  basic_auth: {username: sre, password_file: /etc/golive/pw}\n  tls_config: {ca_file: /etc/golive/ca.pem}\n  proxy_url: http://proxy:3128\n"
	var f file
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if f.HTTP.BasicAuth == nil || f.HTTP.BasicAuth.Username != "sre" || f.HTTP.TLSConfig.CAFile != "/etc/golive/ca.pem" ||
		f.HTTP.ProxyURL.URL == nil || f.HTTP.ProxyURL.Host != "proxy:3128" {
		t.Errorf("decoded %+v", f.HTTP)
	}
	// Files are read when the client is built, and a missing one is named.
	if _, err := New(f.HTTP, "test"); err == nil || !strings.Contains(err.Error(), "/etc/golive/ca.pem") {
		t.Errorf("New with a missing CA file: %v", err)
	}
	var bad file
	dec = yaml.NewDecoder(strings.NewReader("http_client:\n  basic_auth: {usernam: sre}\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil || !strings.Contains(err.Error(), "usernam") {
		t.Errorf("a misspelt key: %v", err)
	}
}
