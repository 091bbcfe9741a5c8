// Package ui is the on-call console: server-rendered pages an engineer
// works incidents from. The triage view lists open incidents by urgency
// with SLA countdowns, the incident page gives the alert's context, links
// and timeline with buttons to act, and the on-call page says who is on now
// and next.
//
// Every button is an HTML form posting to the JSON API's own handlers
// (package api; one code path), guarded by the session's CSRF token
// (package auth). Pages need no JavaScript; static/console.js only ticks
// the countdowns. Other parts of the receiver (remediation, gates,
// rollouts, readiness) add their pages with AddPage and render them in the
// same layout with Render.
package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/oncall"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/ui/uiconfig"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Options build a UI.
type Options struct {
	Store  store.Store
	Auth   *auth.Authenticator
	Config uiconfig.Config
	// Schedules are the on-call schedules the on-call page shows.
	Schedules []*oncall.Schedule
	Logger    *slog.Logger
	Now       func() time.Time
}

// UI serves the console under /ui.
type UI struct {
	o     Options
	pages map[string]*template.Template
	extra []Page
}

// New parses the templates.
func New(o Options) (*UI, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &UI{o: o, pages: map[string]*template.Template{}}
	for _, name := range []string{"triage", "incident", "oncall", "login", "message", "page"} {
		t, err := template.New(name).Funcs(funcs(o.Now)).ParseFS(templates, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		u.pages[name] = t
	}
	return u, nil
}

// Slot is a place in the navigation kept for a part of golive that serves
// its own console page. Its entry appears once the page is added.
type Slot struct {
	Title string
	Path  string
	order int
}

// The slots other parts fill, in navigation order after the console's own
// pages.
var (
	SlotRemediation = Slot{Title: "Remediation", Path: "/ui/remediation", order: 10}
	SlotGates       = Slot{Title: "Gates", Path: "/ui/gates", order: 20}
	SlotRollouts    = Slot{Title: "Rollouts", Path: "/ui/rollouts", order: 30}
	SlotReadiness   = Slot{Title: "Readiness", Path: "/ui/readiness", order: 40}
)

// Page is a console page served by another package. Handler answers
// Slot.Path and everything under Slot.Path+"/"; it renders with Render so
// the page gets the layout, the navigation and the CSRF token.
type Page struct {
	Slot    Slot
	Handler http.Handler
	// Badge, when set, is a count shown beside the page's nav entry (work
	// waiting for people: remediations awaiting approval); 0 shows none.
	Badge func(ctx context.Context) int
	// Banner, when set, is a warning every console page shows while it is
	// not "" (remediation paused).
	Banner func(ctx context.Context) string
	// Incident, when set, adds a section to the incident page (that
	// incident's remediations).
	Incident func(w http.ResponseWriter, r *http.Request, incidentID int64) template.HTML
}

// AddPage puts a page in the navigation. Call it before Register.
func (u *UI) AddPage(p Page) {
	u.extra = append(u.extra, p)
	slices.SortFunc(u.extra, func(a, b Page) int { return a.Slot.order - b.Slot.order })
}

// Register adds the pages that need a login to mux (which the caller
// wraps with auth.Wrap).
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /ui", u.oneSession(http.HandlerFunc(u.serveTriage)))
	mux.Handle("GET /ui/{$}", u.oneSession(http.HandlerFunc(u.serveTriage)))
	mux.Handle("GET /ui/incidents/{id}", u.oneSession(http.HandlerFunc(u.serveIncident)))
	mux.Handle("GET /ui/oncall", u.oneSession(http.HandlerFunc(u.serveOnCall)))
	mux.HandleFunc("POST /ui/logout", u.logout)
	for _, p := range u.extra {
		mux.Handle(p.Slot.Path, u.oneSession(p.Handler))
		mux.Handle(p.Slot.Path+"/", u.oneSession(p.Handler))
	}
}

// RegisterPublic adds what is served without a login: the login page and
// the static files.
func (u *UI) RegisterPublic(mux *http.ServeMux) {
	login := u.o.Auth.Optional(http.HandlerFunc(u.serveLogin))
	mux.Handle("GET "+auth.LoginPath, login)
	mux.Handle("POST "+auth.LoginPath, login)
	sub, _ := fs.Sub(static, "static")
	files := http.StripPrefix("/ui/static/", http.FileServerFS(sub))
	mux.Handle("GET /ui/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	}))
}

// SecurityHeaders sets the headers every answer carries: no script but our
// own files, no framing, no type sniffing, no referrer to other sites.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// NavItem is one navigation entry.
type NavItem struct {
	Title, Path string
	Active      bool
	Badge       int
}

// frame is what the layout needs on every page.
type frame struct {
	Title   string
	Nav     []NavItem
	User    string // "" when nobody is logged in
	Demo    bool   // the unauthenticated loopback demo
	Authed  bool   // anyone let in (the login page is served to others too)
	Session bool   // logged in through the login page (so logging out means something)
	CSRF    string
	Refresh int // seconds; 0: no auto-refresh
	Flash   string
	Banners []string // warnings from added pages (remediation paused)
}

type sessionKey struct{}

// oneSession gives a page one session however many parts of it ask: a
// browser's first visit has no cookie yet, and the layout and an added
// page's forms must carry the token of the one session whose cookie the
// answer sets.
func (u *UI) oneSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := u.o.Auth.EnsureSession(w, r); s != nil {
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
		}
		next.ServeHTTP(w, r)
	})
}

func (u *UI) session(w http.ResponseWriter, r *http.Request) *auth.Session {
	if s, ok := r.Context().Value(sessionKey{}).(*auth.Session); ok {
		return s
	}
	return u.o.Auth.EnsureSession(w, r)
}

func (u *UI) frame(w http.ResponseWriter, r *http.Request, title, active string) frame {
	p, _ := auth.FromContext(r.Context())
	f := frame{Title: title, User: p.User, Demo: p.Method == auth.MethodLoopback, Authed: p.Method != "",
		Session: p.Method == auth.MethodSession}
	if s := u.session(w, r); s != nil {
		f.CSRF = s.CSRFToken()
	}
	f.Nav = []NavItem{{Title: "Triage", Path: "/ui"}, {Title: "All incidents", Path: "/ui?" + allStates()}, {Title: "On call", Path: "/ui/oncall"}}
	for _, p := range u.extra {
		item := NavItem{Title: p.Slot.Title, Path: p.Slot.Path}
		if p.Badge != nil && f.Authed {
			item.Badge = p.Badge(r.Context())
		}
		f.Nav = append(f.Nav, item)
		if p.Banner != nil && f.Authed {
			if b := p.Banner(r.Context()); b != "" {
				f.Banners = append(f.Banners, b)
			}
		}
	}
	for i := range f.Nav {
		f.Nav[i].Active = f.Nav[i].Title == active
	}
	return f
}

func allStates() string {
	v := url.Values{}
	for _, s := range store.States {
		v.Add("state", string(s))
	}
	return v.Encode()
}

// Render answers with body inside the console's layout; for pages added
// with AddPage. CSRFToken gives their forms the token.
func (u *UI) Render(w http.ResponseWriter, r *http.Request, code int, title string, body template.HTML) {
	active := ""
	for _, p := range u.extra {
		if r.URL.Path == p.Slot.Path || strings.HasPrefix(r.URL.Path, p.Slot.Path+"/") {
			active = p.Slot.Title
		}
	}
	f := u.frame(w, r, title, active)
	f.Flash = doneMessages[r.URL.Query().Get("done")]
	u.render(w, code, "page", struct {
		frame
		Body template.HTML
	}{f, body})
}

// CSRFToken is the token a console form must carry in its _csrf field.
func (u *UI) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	return u.session(w, r).CSRFToken()
}

// render executes into a buffer first, so a template error never sends a
// half page with a 200.
func (u *UI) render(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	t := u.pages[name]
	if err := t.ExecuteTemplate(&buf, name+".html", data); err != nil {
		u.o.Logger.Error("UI: rendering", "template", name, "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

type messagePage struct {
	frame
	Code    int
	Message string
	Back    string
}

func (u *UI) message(w http.ResponseWriter, r *http.Request, code int, msg, back string) {
	u.render(w, code, "message", messagePage{frame: u.frame(w, r, http.StatusText(code), ""), Code: code, Message: msg, Back: back})
}

// FormDone answers a console form that worked: back to the page it came
// from (the incident page by default), saying what was done.
func (u *UI) FormDone(w http.ResponseWriter, r *http.Request, id int64) {
	fallback := "/ui"
	if id > 0 {
		fallback = "/ui/incidents/" + strconv.FormatInt(id, 10)
	}
	target := safeReturn(r.PostForm.Get("return"), fallback)
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	done := r.PostForm.Get("done")
	if done == "" {
		done = "saved"
	}
	http.Redirect(w, r, target+sep+"done="+url.QueryEscape(done), http.StatusSeeOther)
}

// FormFailed shows why a form was refused, with a way back.
func (u *UI) FormFailed(w http.ResponseWriter, r *http.Request, code int, err error) {
	back := "/ui"
	if id := r.PathValue("id"); id != "" && strings.HasPrefix(r.URL.Path, "/api/v1/incidents/") {
		back = "/ui/incidents/" + url.PathEscape(id)
	}
	u.message(w, r, code, err.Error(), safeReturn(r.PostForm.Get("return"), back))
}

// safeReturn keeps redirects on the console: a path under /ui, never
// another host ("//evil", "/\\evil"), without an earlier flash message.
func safeReturn(p, fallback string) string {
	if !strings.HasPrefix(p, "/ui") || strings.ContainsAny(p, "\\\r\n") {
		return fallback
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	q := u.Query()
	q.Del("done")
	u.RawQuery = q.Encode()
	return u.String()
}

var errNotFound = errors.New("incident not found")
