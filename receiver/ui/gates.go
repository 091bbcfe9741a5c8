package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/store"
)

// Gates is what the gates page reads: the configured gates, their newest
// stored decisions, a decision by id, and an evaluation through the
// service (which answers from its min_interval cache when it can).
// *gate.Service is one.
type Gates interface {
	Names() []string
	Latest(ctx context.Context, name string) (gate.Decision, error)
	Lookup(ctx context.Context, id int64) (gate.Decision, error)
	Evaluate(ctx context.Context, name string) (gate.Decision, error)
}

// GateView is one gate on the page: its newest decision, if any.
type GateView struct {
	Name     string
	Decision *gate.Decision
	Error    string
}

type gatesBody struct {
	Gates    []GateView
	Decision *gate.Decision
	Fresh    bool // the decision page right after "Evaluate now"
}

// GatesPage is the console page of rollout gates (SlotGates).
func (u *UI) GatesPage(gates Gates) (Page, error) {
	t, err := template.New("gates").Funcs(funcs(u.o.Now)).Funcs(template.FuncMap{"num": gateNum}).ParseFS(templates, "templates/layout.html", "templates/part-gates.html")
	if err != nil {
		return Page{}, err
	}
	gp := &gatesPage{u: u, t: t, gates: gates}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/gates", gp.list)
	mux.HandleFunc("GET /ui/gates/evaluate/{name}", gp.evaluate)
	mux.HandleFunc("GET /ui/gates/decisions/{id}", gp.decision)
	return Page{Slot: SlotGates, Handler: mux}, nil
}

type gatesPage struct {
	u     *UI
	t     *template.Template
	gates Gates
}

func (gp *gatesPage) render(w http.ResponseWriter, r *http.Request, code int, title, name string, b gatesBody) {
	var buf bytes.Buffer
	if err := gp.t.ExecuteTemplate(&buf, name, b); err != nil {
		gp.u.o.Logger.Error("UI: rendering gates", "template", name, "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	gp.u.Render(w, r, code, title, template.HTML(buf.String())) //nolint:gosec // html/template's own escaped output
}

func (gp *gatesPage) list(w http.ResponseWriter, r *http.Request) {
	g := gp.gates
	var b gatesBody
	for _, name := range g.Names() {
		v := GateView{Name: name}
		d, err := g.Latest(r.Context(), name)
		switch {
		case err == nil:
			v.Decision = &d
		case errors.Is(err, store.ErrNotFound):
		default:
			gp.u.o.Logger.Warn("UI: reading a gate's latest decision", "gate", name, "err", err)
			v.Error = "its latest decision is unreadable (storage unavailable)"
		}
		b.Gates = append(b.Gates, v)
	}
	gp.render(w, r, http.StatusOK, "Gates", "list", b)
}

// evaluate is "Evaluate now": a GET of the gate through the service, as
// Flagger's and Argo's calls are, so it shares their cache and stores its
// decision; the answer is that decision's page.
func (gp *gatesPage) evaluate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := gp.gates.Evaluate(r.Context(), name)
	switch {
	case errors.Is(err, gate.ErrUnknownGate):
		gp.u.message(w, r, http.StatusNotFound, fmt.Sprintf("no gate named %q", name), SlotGates.Path)
		return
	case err != nil:
		gp.u.o.Logger.Warn("UI: evaluating a gate", "gate", name, "err", err)
		gp.u.message(w, r, http.StatusServiceUnavailable, "no decision: storage unavailable, retry later", SlotGates.Path)
		return
	}
	http.Redirect(w, r, "/ui/gates/decisions/"+strconv.FormatInt(d.ID, 10)+"?"+url.Values{"evaluated": {"1"}}.Encode(), http.StatusSeeOther)
}

func (gp *gatesPage) decision(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		gp.u.message(w, r, http.StatusBadRequest, "decision id is not a positive number", SlotGates.Path)
		return
	}
	d, err := gp.gates.Lookup(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		gp.u.message(w, r, http.StatusNotFound, fmt.Sprintf("no gate decision %d", id), SlotGates.Path)
		return
	case err != nil:
		gp.u.o.Logger.Warn("UI: reading a gate decision", "id", id, "err", err)
		gp.u.message(w, r, http.StatusServiceUnavailable, "storage unavailable, retry later", SlotGates.Path)
		return
	}
	gp.render(w, r, http.StatusOK, fmt.Sprintf("Gate %s · decision %d", d.Gate, d.ID), "one",
		gatesBody{Decision: &d, Fresh: r.URL.Query().Get("evaluated") == "1"})
}

// gateNum writes a check's value as the engine's reasons do (4
// significant digits); a missing value is "no data".
func gateNum(v any) string {
	switch v := v.(type) {
	case *engine.Value:
		if v == nil {
			return "no data"
		}
		return strconv.FormatFloat(float64(*v), 'g', 4, 64)
	case engine.Value:
		return strconv.FormatFloat(float64(v), 'g', 4, 64)
	}
	return fmt.Sprint(v)
}
