package remediate

import (
	"errors"
	"net/http"
	"strings"

	"github.com/golive-ops/golive/receiver/auth"
)

// FormResponder answers a console form once the API's own handler has
// run it (the console's ui.UI): a page for people instead of JSON.
type FormResponder interface {
	// FormDone answers a form that worked; incidentID is the incident the
	// remediation belongs to (0 for the kill switch).
	FormDone(w http.ResponseWriter, r *http.Request, incidentID int64)
	FormFailed(w http.ResponseWriter, r *http.Request, code int, err error)
}

// decodeForm reads a console form (fields comment, and note as its
// alias). Only a browser session may post one: auth.Wrap has checked its
// CSRF token. The actor is the logged-in person, never a form field.
func decodeForm(r *http.Request) (Decision, int, error) {
	p, _ := auth.FromContext(r.Context())
	if !p.Browser() {
		return Decision{}, http.StatusForbidden,
			errors.New("forms are accepted only from a console session; API clients send Content-Type: application/json")
	}
	if err := r.ParseForm(); err != nil { // parsed and bounded by the CSRF check already
		return Decision{}, http.StatusBadRequest, err
	}
	comment := r.PostForm.Get("comment")
	if comment == "" {
		comment = r.PostForm.Get("note")
	}
	return Decision{Actor: p.Name(), Comment: strings.ReplaceAll(comment, "\r\n", "\n")}, http.StatusOK, nil
}
