// Package ui is a small server-rendered view of incidents: a filtered list
// and one incident with its timeline. It is read-only; changes go through
// the API (and `golive incidents`).
package ui

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

//go:embed templates/*.html
var files embed.FS

// UI serves /ui and /ui/incidents/{id}.
type UI struct {
	store  store.Store
	logger *slog.Logger
	list   *template.Template
	detail *template.Template
	base   string
}

// New parses the templates. base is the external URL path prefix ("" at
// the root).
func New(s store.Store, base string, logger *slog.Logger) (*UI, error) {
	funcs := template.FuncMap{"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.Local().Format("2006-01-02 15:04:05 MST")
	}}
	parse := func(name string) (*template.Template, error) {
		return template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name)
	}
	list, err := parse("list.html")
	if err != nil {
		return nil, err
	}
	detail, err := parse("detail.html")
	if err != nil {
		return nil, err
	}
	return &UI{store: s, logger: logger, list: list, detail: detail, base: base}, nil
}

// Register adds the routes to mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui", u.serveList)
	mux.HandleFunc("GET /ui/incidents/{id}", u.serveDetail)
}

type listPage struct {
	Title, Base, Error       string
	State, Priority, Service string
	States                   []store.State
	Priorities               []store.Priority
	Incidents                []store.Incident
}

func (u *UI) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := listPage{Title: "incidents", Base: u.base, State: q.Get("state"), Priority: q.Get("priority"),
		Service: q.Get("service"), States: store.States, Priorities: store.Priorities}
	f, err := api.ParseFilter(q)
	code := http.StatusOK
	if err != nil {
		p.Error, code = err.Error(), http.StatusBadRequest
	} else if p.Incidents, err = u.store.ListIncidents(r.Context(), f); err != nil {
		u.logger.Error("UI: listing incidents", "err", err)
		p.Error, code = "storage unavailable", http.StatusServiceUnavailable
	}
	u.render(w, code, u.list, p)
}

type detailPage struct {
	Title, Base string
	D           api.Detail
}

func (u *UI) serveDetail(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "400 bad request: incident id is not a number", http.StatusBadRequest)
		return
	}
	d, err := api.LoadDetail(r.Context(), u.store, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "404 incident not found", http.StatusNotFound)
		return
	case err != nil:
		u.logger.Error("UI: loading incident", "id", id, "err", err)
		http.Error(w, "503 storage unavailable", http.StatusServiceUnavailable)
		return
	}
	u.render(w, http.StatusOK, u.detail, detailPage{Title: "#" + strconv.FormatInt(id, 10) + " " + d.Incident.Title, Base: u.base, D: d})
}

// render executes into a buffer first, so a template error never sends a
// half page with a 200.
func (u *UI) render(w http.ResponseWriter, code int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, t.Name(), data); err != nil {
		u.logger.Error("UI: rendering", "template", t.Name(), "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}
