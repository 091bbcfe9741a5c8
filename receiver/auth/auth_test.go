package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAllowed(t *testing.T) {
	token := Options{BearerToken: "s3cret"}
	basic := Options{BasicUser: "am", BasicPassword: "pw"}
	cases := []struct {
		name   string
		o      Options
		remote string
		setup  func(r *http.Request)
		want   bool
	}{
		{"bearer ok", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, true},
		{"bearer wrong", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cre") }, false},
		{"bearer missing", token, "10.0.0.1:1", func(r *http.Request) {}, false},
		{"bearer sent to basic-only", basic, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer pw") }, false},
		{"basic ok", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw") }, true},
		{"basic wrong user", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("root", "pw") }, false},
		{"basic wrong password", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw2") }, false},
		{"basic sent to token-only", token, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("", "s3cret") }, false},
		{"loopback demo v4", Options{AllowLoopback: true}, "127.0.0.1:5", func(r *http.Request) {}, true},
		{"loopback demo v6", Options{AllowLoopback: true}, "[::1]:5", func(r *http.Request) {}, true},
		{"loopback demo from LAN", Options{AllowLoopback: true}, "192.168.1.2:5", func(r *http.Request) {}, false},
		{"loopback with wrong token is refused", Options{AllowLoopback: true, BearerToken: "x"}, "127.0.0.1:5",
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer y") }, false},
		{"no credentials configured", Options{}, "127.0.0.1:5", func(r *http.Request) {}, false},
		{"disabled", Options{Disabled: true}, "192.168.1.2:5", func(r *http.Request) {}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/alertmanager", nil)
			r.RemoteAddr = c.remote
			c.setup(r)
			if got := New(c.o, nil).Allowed(r); got != c.want {
				t.Fatalf("Allowed = %v, want %v", got, c.want)
			}
		})
	}
}
