package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
)

// API serves /api/v1/remediations: the list (?state=awaiting_approval,
// ?incident=ID), one remediation, approve and reject (actor, comment), and
// the kill switch (GET control, POST pause and resume). Write requests
// must be application/json, which a cross-site HTML form cannot send.
type API struct {
	Engine *Engine
	Store  store.Remediations
	Logger *slog.Logger
	// Forms answers the console's form posts to approve, reject, pause and
	// resume (nil: forms are refused like any other non-JSON body).
	Forms FormResponder
}

// List is the body of GET /api/v1/remediations.
type List struct {
	Remediations []store.Remediation      `json:"remediations"`
	Control      store.RemediationControl `json:"control"`
}

// Register adds the routes to mux (the caller wraps auth around it).
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/remediations", a.list)
	mux.HandleFunc("GET /api/v1/remediations/{id}", a.get)
	mux.HandleFunc("GET /api/v1/remediations/control", a.control)
	mux.HandleFunc("POST /api/v1/remediations/{id}/approve", a.decision(a.Engine.Approve))
	mux.HandleFunc("POST /api/v1/remediations/{id}/reject", a.decision(a.Engine.Reject))
	mux.HandleFunc("POST /api/v1/remediations/pause", a.pause(true))
	mux.HandleFunc("POST /api/v1/remediations/resume", a.pause(false))
}

var states = []store.RemediationState{store.RemediationAwaitingApproval, store.RemediationPlanned, store.RemediationRunning,
	store.RemediationSucceeded, store.RemediationFailed, store.RemediationUnknown, store.RemediationDryRun,
	store.RemediationRefused, store.RemediationRejected, store.RemediationExpired, store.RemediationSkipped}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f store.RemediationFilter
	if s := q.Get("state"); s != "" {
		f.State = store.RemediationState(s)
		ok := false
		for _, st := range states {
			ok = ok || st == f.State
		}
		if !ok {
			a.fail(w, http.StatusBadRequest, fmt.Errorf("state %q is not one of %v", s, states))
			return
		}
	}
	for name, dst := range map[string]*int64{"incident": &f.IncidentID} {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				a.fail(w, http.StatusBadRequest, fmt.Errorf("%s %q is not a positive integer", name, s))
				return
			}
			*dst = n
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 500 {
			a.fail(w, http.StatusBadRequest, fmt.Errorf("limit %q is not between 1 and 500", s))
			return
		}
		f.Limit = n
	}
	rs, err := a.Store.ListRemediations(r.Context(), f)
	if err != nil {
		a.storeErr(w, err)
		return
	}
	ctl, err := a.Store.Control(r.Context())
	if err != nil {
		a.storeErr(w, err)
		return
	}
	if rs == nil {
		rs = []store.Remediation{}
	}
	writeJSON(w, http.StatusOK, List{Remediations: rs, Control: ctl})
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, ok := a.id(w, r)
	if !ok {
		return
	}
	rem, err := a.Store.Remediation(r.Context(), id)
	if err != nil {
		a.storeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rem)
}

func (a *API) control(w http.ResponseWriter, r *http.Request) {
	ctl, err := a.Store.Control(r.Context())
	if err != nil {
		a.storeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ctl)
}

func (a *API) decision(fn func(context.Context, int64, Decision) (store.Remediation, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.id(w, r)
		if !ok {
			return
		}
		d, code, err := a.decode(w, r)
		if err != nil {
			a.answerErr(w, r, code, err)
			return
		}
		rem, err := fn(r.Context(), id, d)
		if err != nil {
			a.answerErr(w, r, 0, err)
			return
		}
		if a.form(r) {
			a.Forms.FormDone(w, r, rem.IncidentID)
			return
		}
		writeJSON(w, http.StatusOK, rem)
	}
}

func (a *API) pause(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, code, err := a.decode(w, r)
		if err != nil {
			a.answerErr(w, r, code, err)
			return
		}
		ctl, err := a.Engine.SetPaused(r.Context(), paused, d)
		if err != nil {
			a.answerErr(w, r, 0, err)
			return
		}
		if a.form(r) {
			a.Forms.FormDone(w, r, 0)
			return
		}
		writeJSON(w, http.StatusOK, ctl)
	}
}

// form reports whether r is a console form this API answers with pages.
func (a *API) form(r *http.Request) bool { return a.Forms != nil && auth.IsForm(r) }

// decode reads a console form, or else one JSON Decision: one code path
// for the CLI, scripts and the console's buttons.
func (a *API) decode(w http.ResponseWriter, r *http.Request) (Decision, int, error) {
	if a.form(r) {
		return decodeForm(r)
	}
	return decode(w, r)
}

// answerErr answers a failed write: code and err as they are when code
// is set (a decoding error), else mapped from the engine's error; as a
// page for a console form.
func (a *API) answerErr(w http.ResponseWriter, r *http.Request, code int, err error) {
	if !a.form(r) {
		if code != 0 {
			a.fail(w, code, err)
		} else {
			a.storeErr(w, err)
		}
		return
	}
	if code == 0 {
		code, err = a.status(err)
	}
	a.Forms.FormFailed(w, r, code, err)
}

// decode reads one JSON Decision with known fields.
func decode(w http.ResponseWriter, r *http.Request) (Decision, int, error) {
	var d Decision
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return d, http.StatusUnsupportedMediaType, errors.New("Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(&d)
	if err == nil {
		if _, next := dec.Token(); !errors.Is(next, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return d, http.StatusRequestEntityTooLarge, errors.New("request body: larger than 64 KiB")
	case err != nil:
		return d, http.StatusBadRequest, fmt.Errorf("request body: %w", err)
	}
	return d, http.StatusOK, nil
}

func (a *API) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.fail(w, http.StatusBadRequest, fmt.Errorf("remediation id %q is not a positive integer", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (a *API) storeErr(w http.ResponseWriter, err error) {
	code, err := a.status(err)
	a.fail(w, code, err)
}

// status maps engine and store errors to a status code and what the
// client is told.
func (a *API) status(err error) (int, error) {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest, err
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, err
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, errors.New("no such remediation")
	case errors.Is(err, store.ErrUnavailable):
		a.Logger.Error("remediation API: storage unavailable", "err", err)
		return http.StatusServiceUnavailable, errors.New("storage unavailable, retry later")
	default:
		a.Logger.Error("remediation API: unexpected error", "err", err)
		return http.StatusInternalServerError, errors.New("internal error")
	}
}

func (a *API) fail(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
