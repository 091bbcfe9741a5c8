package exporter

import (
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                          false,
		"gzip":                      true,
		"GZIP":                      true,
		"x-gzip":                    true,
		"identity":                  false,
		"deflate, gzip;q=0.5":       true,
		"gzip;q=0":                  false,
		"gzip; q=0.000":             false,
		"gzip;q=bogus":              false,
		"*":                         true,
		"*;q=0":                     false,
		"gzip;q=0, *":               false,
		"br, zstd":                  false,
		"zstd, gzip, deflate":       true,
		" gzip ; Q=1 , identity":    true,
		"gzip;level=1":              true,
		"identity;q=1, *;q=0.1":     true,
		"gzip;q=-1":                 false,
		"deflate;q=0.9, gzip;q=0.0": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// Prometheus asks for gzip on every scrape; anything else gets plain text.
func TestMetricsAreGzippedWhenAsked(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1))
	for range 3 { // the second and later scrapes reuse a compressor
		code, body, hdr := s.do(t, "GET", "/metrics", "Accept-Encoding", "gzip")
		if code != 200 || hdr.Get("Content-Encoding") != "gzip" {
			t.Fatalf("status %d, Content-Encoding %q", code, hdr.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gunzip: %v", err)
		}
		if !hasLine(string(plain), `golive_test_value{source="a"} 1`) {
			t.Errorf("gunzipped body lacks the metric:\n%.300s", plain)
		}
	}
	code, body, hdr := s.do(t, "GET", "/metrics", "Accept-Encoding", "gzip;q=0, identity")
	if code != 200 || hdr.Get("Content-Encoding") != "" || !hasLine(body, `golive_test_value{source="a"} 1`) {
		t.Errorf("gzip refused: status %d, Content-Encoding %q, body %.200s", code, hdr.Get("Content-Encoding"), body)
	}
	if !strings.Contains(hdr.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary = %q, want Accept-Encoding", hdr.Get("Vary"))
	}
	// A probe's answer is small: never gzipped.
	code, body, hdr = s.do(t, "GET", "/probe?module=tcp_connect&target=127.0.0.1:1", "Accept-Encoding", "gzip")
	if code != 200 || hdr.Get("Content-Encoding") != "" || !strings.Contains(body, "probe_success 0") {
		t.Errorf("/probe with gzip: status %d, Content-Encoding %q, body %.200s", code, hdr.Get("Content-Encoding"), body)
	}
}
