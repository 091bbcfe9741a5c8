// Package api is the receiver's JSON API under /api/v1/incidents: list,
// get one with its timeline, change state, add a note, regrade, assign.
//
// The console's forms post to the same handlers: one code path decides
// what an action does, whether it comes as JSON from a script or as a form
// from a browser session (forms.go).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/store"
)

// Actions is what the API asks of the incident engine.
type Actions interface {
	Transition(ctx context.Context, id int64, to store.State, a incident.Action) (store.Incident, error)
	AddNote(ctx context.Context, id int64, a incident.Action) (store.Incident, error)
	SetPriority(ctx context.Context, id int64, p store.Priority, a incident.Action) (store.Incident, error)
	Assign(ctx context.Context, id int64, assignee string, a incident.Action) (store.Incident, error)
}

// API serves the incidents API.
type API struct {
	Store   store.Store
	Actions Actions
	Logger  *slog.Logger
	// Forms answers the console's form posts (nil: they get JSON like
	// every other client).
	Forms FormResponder
}

// Detail is one incident with its timeline and occurrences.
type Detail struct {
	Incident    store.Incident     `json:"incident"`
	Timeline    []store.Event      `json:"timeline"`
	Occurrences []store.Occurrence `json:"occurrences"`
}

// ListResponse is the answer of GET /api/v1/incidents.
type ListResponse struct {
	Incidents []store.Incident `json:"incidents"`
}

// ActionRequest is the body of the POST endpoints.
type ActionRequest struct {
	State    store.State    `json:"state,omitempty"`    // transition
	Priority store.Priority `json:"priority,omitempty"` // priority
	Assignee *string        `json:"assignee,omitempty"` // assign ("" unassigns)
	Actor    string         `json:"actor"`
	Note     string         `json:"note,omitempty"`
}

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/incidents", a.list)
	mux.HandleFunc("GET /api/v1/incidents/{id}", a.get)
	mux.HandleFunc("POST /api/v1/incidents/{id}/transition", a.transition)
	mux.HandleFunc("POST /api/v1/incidents/{id}/notes", a.note)
	mux.HandleFunc("POST /api/v1/incidents/{id}/priority", a.priority)
	mux.HandleFunc("POST /api/v1/incidents/{id}/assign", a.assign)
}

// ParseFilter reads list filters from a query: state, priority (both
// repeatable or comma-separated), service, from, to (RFC 3339), limit.
func ParseFilter(q map[string][]string) (store.IncidentFilter, error) {
	var f store.IncidentFilter
	for _, s := range split(q["state"]) {
		st := store.State(s)
		if !st.Valid() {
			return f, fmt.Errorf("state: %q is not one of new, acknowledged, in_progress, resolved, closed", s)
		}
		f.States = append(f.States, st)
	}
	for _, s := range split(q["priority"]) {
		p := store.Priority(strings.ToUpper(s))
		if !p.Valid() {
			return f, fmt.Errorf("priority: %q is not one of P0, P1, P2, P3", s)
		}
		f.Priorities = append(f.Priorities, p)
	}
	if v := first(q["service"]); v != "" {
		if strings.ContainsRune(v, 0) {
			return f, errors.New("service: contains a NUL character")
		}
		f.Service = v
	}
	var err error
	if f.OpenedAfter, err = parseTime("from", first(q["from"])); err != nil {
		return f, err
	}
	if f.OpenedBefore, err = parseTime("to", first(q["to"])); err != nil {
		return f, err
	}
	if v := first(q["limit"]); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 5000 {
			return f, fmt.Errorf("limit: %q is not a number from 1 to 5000", v)
		}
	}
	return f, nil
}

func split(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%s: %q is not an RFC 3339 time (like 2025-03-01T10:00:00Z)", field, v)
	}
	return t, nil
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		a.fail(w, http.StatusBadRequest, err)
		return
	}
	incs, err := a.Store.ListIncidents(r.Context(), f)
	if err != nil {
		a.storeErr(w, err)
		return
	}
	if incs == nil {
		incs = []store.Incident{}
	}
	writeJSON(w, http.StatusOK, ListResponse{Incidents: incs})
}

// LoadDetail reads an incident with its timeline and occurrences.
func LoadDetail(ctx context.Context, s store.Store, id int64) (Detail, error) {
	var d Detail
	var err error
	if d.Incident, err = s.Incident(ctx, id); err != nil {
		return d, err
	}
	if d.Timeline, err = s.Timeline(ctx, id); err != nil {
		return d, err
	}
	d.Occurrences, err = s.Occurrences(ctx, id)
	return d, err
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, ok := a.id(w, r)
	if !ok {
		return
	}
	d, err := LoadDetail(r.Context(), a.Store, id)
	if err != nil {
		a.storeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (a *API) transition(w http.ResponseWriter, r *http.Request) {
	a.act(w, r, func(ctx context.Context, id int64, req ActionRequest) (store.Incident, error) {
		if req.State == "" {
			return store.Incident{}, fmt.Errorf("%w: state is required", incident.ErrInvalid)
		}
		return a.Actions.Transition(ctx, id, req.State, incident.Action{Actor: req.Actor, Note: req.Note})
	})
}

func (a *API) note(w http.ResponseWriter, r *http.Request) {
	a.act(w, r, func(ctx context.Context, id int64, req ActionRequest) (store.Incident, error) {
		return a.Actions.AddNote(ctx, id, incident.Action{Actor: req.Actor, Note: req.Note})
	})
}

func (a *API) priority(w http.ResponseWriter, r *http.Request) {
	a.act(w, r, func(ctx context.Context, id int64, req ActionRequest) (store.Incident, error) {
		return a.Actions.SetPriority(ctx, id, store.Priority(strings.ToUpper(string(req.Priority))), incident.Action{Actor: req.Actor, Note: req.Note})
	})
}

func (a *API) assign(w http.ResponseWriter, r *http.Request) {
	a.act(w, r, func(ctx context.Context, id int64, req ActionRequest) (store.Incident, error) {
		if req.Assignee == nil {
			return store.Incident{}, fmt.Errorf("%w: assignee is missing", incident.ErrInvalid)
		}
		return a.Actions.Assign(ctx, id, *req.Assignee, incident.Action{Actor: req.Actor, Note: req.Note})
	})
}

// act is every write: decode (JSON, or a console form), run fn, answer.
func (a *API) act(w http.ResponseWriter, r *http.Request, fn func(context.Context, int64, ActionRequest) (store.Incident, error)) {
	form := auth.IsForm(r) && a.Forms != nil
	fail := a.fail
	if form {
		fail = func(w http.ResponseWriter, code int, err error) { a.Forms.FormFailed(w, r, code, err) }
	}
	id, ok := a.id(w, r)
	if !ok {
		return
	}
	req, code, err := decode(w, r)
	if err != nil {
		fail(w, code, err)
		return
	}
	if _, err := fn(r.Context(), id, req); err != nil {
		code, err := a.status(err)
		fail(w, code, err)
		return
	}
	if form {
		a.Forms.FormDone(w, r, id)
		return
	}
	d, err := LoadDetail(r.Context(), a.Store, id)
	if err != nil {
		a.storeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// decode reads a JSON body, or a form from a console session, and fills
// the actor from who is logged in.
func decode(w http.ResponseWriter, r *http.Request) (ActionRequest, int, error) {
	p, _ := auth.FromContext(r.Context())
	if auth.IsForm(r) {
		return decodeForm(r, p)
	}
	if err := auth.RequireJSON(r); err != nil {
		return ActionRequest{}, http.StatusUnsupportedMediaType, err
	}
	req, code, err := decodeAction(w, r)
	if err == nil && strings.TrimSpace(req.Actor) == "" && p.User != "" {
		req.Actor = p.User
	}
	return req, code, err
}

// maxActionBytes bounds a POST body: an actor and a note, never more.
const maxActionBytes = 1 << 20

// decodeAction reads exactly one JSON object with known fields; it
// answers 413 for an oversized body and 400 for anything else wrong.
func decodeAction(w http.ResponseWriter, r *http.Request) (ActionRequest, int, error) {
	var req ActionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxActionBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil {
		if _, next := dec.Token(); !errors.Is(next, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return req, http.StatusRequestEntityTooLarge, fmt.Errorf("request body: larger than %d bytes", maxActionBytes)
	case err != nil:
		return req, http.StatusBadRequest, fmt.Errorf("request body: %w", err)
	}
	return req, http.StatusOK, nil
}

func (a *API) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.fail(w, http.StatusBadRequest, fmt.Errorf("incident id %q is not a positive integer", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// storeErr maps engine and store errors to status codes.
func (a *API) storeErr(w http.ResponseWriter, err error) {
	code, err := a.status(err)
	a.fail(w, code, err)
}

// status maps engine and store errors to a status code and what the
// client is told.
func (a *API) status(err error) (int, error) {
	var te *incident.TransitionError
	switch {
	case errors.As(err, &te):
		return http.StatusConflict, err
	case errors.Is(err, incident.ErrInvalid):
		return http.StatusBadRequest, err
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err
	case errors.Is(err, store.ErrUnavailable):
		a.Logger.Error("API: storage unavailable", "err", err)
		return http.StatusServiceUnavailable, errors.New("storage unavailable, retry later")
	default:
		a.Logger.Error("API: unexpected error", "err", err)
		return http.StatusInternalServerError, errors.New("internal error")
	}
}

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

func (a *API) fail(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
