package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
)

// FormResponder answers a console form post once the shared handler has
// run it: a page for people instead of JSON.
type FormResponder interface {
	// FormDone answers a form whose action on incident id succeeded
	// (typically 303 back to the page the form was on).
	FormDone(w http.ResponseWriter, r *http.Request, id int64)
	// FormFailed answers a refused or failed form with code and why.
	FormFailed(w http.ResponseWriter, r *http.Request, code int, err error)
}

// decodeForm reads a console form. Only a browser session may post one:
// its CSRF token was checked by auth.Wrap before the handler ran. The actor
// is the logged-in person, never a form field, so a form cannot act in
// someone else's name.
func decodeForm(r *http.Request, p auth.Principal) (ActionRequest, int, error) {
	if !p.Browser() {
		return ActionRequest{}, http.StatusForbidden,
			errors.New("forms are accepted only from a console session; API clients send Content-Type: application/json")
	}
	if err := r.ParseForm(); err != nil { // parsed already by the CSRF check; bounded there
		return ActionRequest{}, http.StatusBadRequest, err
	}
	f := r.PostForm
	req := ActionRequest{
		State:    store.State(f.Get("state")),
		Priority: store.Priority(strings.ToUpper(f.Get("priority"))),
		Note:     strings.ReplaceAll(f.Get("note"), "\r\n", "\n"),
		Actor:    p.Name(),
	}
	if f.Has("assignee") {
		assignee := f.Get("assignee")
		req.Assignee = &assignee
	}
	return req, http.StatusOK, nil
}
