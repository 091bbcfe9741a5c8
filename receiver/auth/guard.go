package auth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
)

// CSRFField is the form field that carries the session's CSRF token;
// CSRFHeader is the header scripts may use instead.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// maxFormBytes bounds a console form (an actor and a note, never more).
const maxFormBytes = 1 << 20

// guard refuses unsafe requests a browser may send on another site's
// behalf. Browsers attach cookies, cached basic credentials and loopback
// reachability to any request a page makes, so for POST, PUT, PATCH and
// DELETE:
//   - a request the browser says comes from another origin (Sec-Fetch-Site
//     cross-site or same-site, i.e. another port or subdomain) or whose
//     Origin names another host is refused, whatever its credentials;
//   - a request carrying a session cookie must carry the session's CSRF
//     token too (older browsers send neither header).
//
// JSON endpoints additionally require Content-Type application/json
// (RequireJSON), which a cross-site form cannot send.
func (a *Authenticator) guard(w http.ResponseWriter, r *http.Request, p Principal) (int, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 0, nil
	}
	if err := sameOrigin(r); err != nil {
		return http.StatusForbidden, err
	}
	if p.Session == nil {
		return 0, nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return http.StatusBadRequest, fmt.Errorf("form: %w", err)
		}
		got = r.PostForm.Get(CSRFField)
	}
	if got == "" {
		return http.StatusForbidden, errors.New("the CSRF token is missing: reload the page and try again")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRFToken())) != 1 {
		return http.StatusForbidden, errors.New("the CSRF token does not match this session: reload the page and try again")
	}
	return 0, nil
}

func sameOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none": // none: typed or bookmarked by the user
	default:
		return fmt.Errorf("cross-origin request refused (Sec-Fetch-Site: %s)", site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Host != r.Host {
		return fmt.Errorf("cross-origin request refused (Origin %q is not this server)", origin)
	}
	return nil
}

func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

// IsForm reports whether r is an HTML form post.
func IsForm(r *http.Request) bool { return isForm(r) }

// ErrNotJSON is RequireJSON's answer to any other content type.
var ErrNotJSON = errors.New("the Content-Type must be application/json")

// RequireJSON checks that r's body is declared JSON. An HTML form on
// another site can send only form encodings and text/plain without a CORS
// preflight, which this server never grants, so a JSON-only endpoint is out
// of a cross-site form's reach whatever credentials the browser attaches.
func RequireJSON(r *http.Request) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return ErrNotJSON
	}
	return nil
}
