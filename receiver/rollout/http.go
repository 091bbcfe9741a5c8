package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	plans "github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
)

// maxPlanBody bounds a submitted plan (internal/rollout refuses more too).
const maxPlanBody = 1 << 20

// API serves /api/v1/rollouts. Register it behind the receiver's
// authentication (auth.Authenticator.Wrap), which also refuses
// cross-origin writes.
type API struct {
	Runner *Runner
	Store  store.Store
	Logger *slog.Logger
}

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/rollouts", a.submit)
	mux.HandleFunc("GET /api/v1/rollouts", a.list)
	mux.HandleFunc("GET /api/v1/rollouts/{id}", a.show)
	mux.HandleFunc("POST /api/v1/rollouts/{id}/{action}", a.request)
}

// View is a rollout as the API shows it.
type View struct {
	store.Rollout
	// Plan is the validated plan.
	Plan json.RawMessage `json:"plan"`
	// StagePercent is the candidate's share the record says is in force.
	StagePercent float64 `json:"stage_percent"`
	// Stages is every stage or batch with how far it got.
	Stages []StageView `json:"stages"`
	// ObserveEndsAt is when the current stage's window ends (observing only).
	ObserveEndsAt time.Time `json:"observe_ends_at,omitzero"`
	// Events is the whole log; Decisions and TrafficChanges are its gate
	// decisions and traffic changes.
	Events         []store.RolloutEvent `json:"events,omitempty"`
	Decisions      []store.RolloutEvent `json:"decisions,omitempty"`
	TrafficChanges []store.RolloutEvent `json:"traffic_changes,omitempty"`
}

// StageView is one stage: pending, applying, observing, passed, or
// rolled_back (the stage the rollout was in when it rolled back).
type StageView struct {
	plans.Step
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Render builds the view of ro; events may be nil (lists).
func Render(ro store.Rollout, events []store.RolloutEvent) View {
	v := View{Rollout: ro, Plan: json.RawMessage(ro.Plan), StagePercent: StagePercent(ro), Events: events}
	var p plans.Plan
	if json.Unmarshal(ro.Plan, &p) == nil {
		for _, s := range p.Steps() {
			sv := StageView{Step: s, Name: s.String(), Status: "pending"}
			switch {
			case s.Index < ro.Step || s.Index == ro.Step && ro.State == store.RolloutSucceeded:
				sv.Status = "passed"
			case s.Index == ro.Step && (ro.State == store.RolloutRolledBack || ro.State == store.RolloutRollingBack || ro.State == store.RolloutFailed):
				sv.Status = string(ro.State)
			case s.Index == ro.Step && ro.StepPhase != "":
				sv.Status = ro.StepPhase
				if ro.StepPhase == phaseObserving {
					v.ObserveEndsAt = ro.StepStartedAt.Add(s.Observe)
				}
			}
			v.Stages = append(v.Stages, sv)
		}
	}
	for _, e := range events {
		switch e.Kind {
		case "decision":
			v.Decisions = append(v.Decisions, e)
		case "traffic_change":
			v.TrafficChanges = append(v.TrafficChanges, e)
		}
	}
	return v
}

// acceptedPlanTypes: a cross-site HTML form can send none of them without
// a CORS preflight, which this server never grants.
var acceptedPlanTypes = map[string]bool{"application/json": true, "application/yaml": true, "application/x-yaml": true}

func (a *API) submit(w http.ResponseWriter, r *http.Request) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !acceptedPlanTypes[ct] {
		fail(w, http.StatusUnsupportedMediaType, errors.New("the Content-Type must be application/json or application/yaml"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPlanBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, fmt.Errorf("plan: %w", err))
		return
	}
	ro, err := a.Runner.Submit(r.Context(), body)
	var bad *BadPlanError
	switch {
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, fmt.Errorf("plan: %w", err))
		return
	case errors.Is(err, store.ErrUnavailable):
		fail(w, http.StatusServiceUnavailable, err)
		return
	case err != nil:
		// The load balancer could not be read: nothing was changed.
		fail(w, http.StatusBadGateway, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	a.log().Info("rollout started", "rollout", ro.ID, "plan", ro.Name, "by", p.Name())
	w.Header().Set("Location", fmt.Sprintf("/api/v1/rollouts/%d", ro.ID))
	writeJSON(w, http.StatusCreated, Render(ro, nil))
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			fail(w, http.StatusBadRequest, fmt.Errorf("limit: %q is not a number from 1 to 1000", s))
			return
		}
		limit = n
	}
	list, err := a.Store.ListRollouts(r.Context(), limit, r.URL.Query().Get("active") == "true")
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	out := make([]View, 0, len(list))
	for _, ro := range list {
		out = append(out, Render(ro, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) load(w http.ResponseWriter, r *http.Request) (store.Rollout, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		fail(w, http.StatusBadRequest, fmt.Errorf("id: %q is not a rollout id", r.PathValue("id")))
		return store.Rollout{}, false
	}
	ro, err := a.Store.Rollout(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(w, http.StatusNotFound, fmt.Errorf("rollout %d does not exist", id))
		return ro, false
	case err != nil:
		fail(w, http.StatusServiceUnavailable, err)
		return ro, false
	}
	return ro, true
}

func (a *API) show(w http.ResponseWriter, r *http.Request) {
	ro, ok := a.load(w, r)
	if !ok {
		return
	}
	evs, err := a.Store.RolloutEvents(r.Context(), ro.ID)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, http.StatusOK, Render(ro, evs))
}

func (a *API) request(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	switch action {
	case RequestPause, RequestResume, RequestAbort:
	default:
		fail(w, http.StatusNotFound, fmt.Errorf("%q: the actions are pause, resume and abort", action))
		return
	}
	if err := auth.RequireJSON(r); err != nil {
		fail(w, http.StatusUnsupportedMediaType, err)
		return
	}
	ro, ok := a.load(w, r)
	if !ok {
		return
	}
	switch {
	case action == RequestResume && ro.State != store.RolloutPaused:
		fail(w, http.StatusConflict, fmt.Errorf("rollout %d is %s, not paused", ro.ID, ro.State))
		return
	case action == RequestPause && ro.State != store.RolloutRunning:
		fail(w, http.StatusConflict, fmt.Errorf("rollout %d is %s, not running", ro.ID, ro.State))
		return
	}
	p, _ := auth.FromContext(r.Context())
	err := a.Store.RequestRollout(r.Context(), ro.ID, action, p.Name())
	switch {
	case errors.Is(err, store.ErrRolloutFinal):
		fail(w, http.StatusConflict, fmt.Errorf("rollout %d has ended (%s)", ro.ID, ro.State))
		return
	case err != nil:
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	a.log().Info("rollout request", "rollout", ro.ID, "request", action, "by", p.Name())
	ro.Request = action
	writeJSON(w, http.StatusAccepted, Render(ro, nil))
}

func (a *API) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// ErrorResponse is the body of every non-2xx answer, as the incident API's.
type ErrorResponse struct {
	Error string `json:"error"`
}

func fail(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
