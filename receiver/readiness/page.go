package readiness

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/model"

	rd "github.com/golive-ops/golive/internal/readiness"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
)

// Renderer is the console's layout (receiver/ui.UI).
type Renderer interface {
	Render(w http.ResponseWriter, r *http.Request, code int, title string, body template.HTML)
	CSRFToken(w http.ResponseWriter, r *http.Request) string
}

// Page is the console's readiness page: the newest report, every
// sign-off with its expiry, and a form to sign off an item (as the
// logged-in user, through the console's CSRF-checked session).
type Page struct {
	Store  store.Store
	UI     Renderer
	Logger *slog.Logger
	Now    func() time.Time
}

var pageTmpl = template.Must(template.New("readiness").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") },
}).Parse(`<h1>Go-live readiness</h1>
{{with .Flash}}<p class="flash" role="status">{{.}}</p>{{end}}
{{with .Report}}<p class="facts" id="verdict">Report #{{.ID}} of {{when .GeneratedAt}}: <b>{{if .Ready}}READY{{else}}NOT READY{{end}}</b> · {{.Summary}}</p>
<table class="list"><thead><tr><th>category</th><th>item</th><th>status</th><th>why</th><th>evidence</th></tr></thead><tbody>
{{range .Items}}<tr class="status-{{.Status}}"><td>{{.Category}}</td><td>{{.Name}}{{if not .Required}} <span class="muted">(optional)</span>{{end}}</td><td>{{.Status}}</td><td>{{.Reason}}</td><td class="muted">{{.Evidence}}</td></tr>
{{end}}</tbody></table>
{{else}}<p class="muted" id="verdict">No readiness report yet: run <code>golive readiness --report-to</code> this receiver.</p>{{end}}
<h2>Sign-offs</h2>
{{if .Signoffs}}<table class="list"><thead><tr><th>item</th><th>by</th><th>signed</th><th>expires</th><th>comment</th></tr></thead><tbody>
{{range .Signoffs}}<tr><td>{{.Item}}</td><td>{{.By}}</td><td>{{when .SignedAt}}</td><td>{{if .Expired}}<b>expired</b> {{end}}{{when .ExpiresAt}}</td><td>{{.Comment}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="muted">Nothing signed off yet.</p>{{end}}
<h2>Sign off an item</h2>
<form method="post" action="/ui/readiness/sign">
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label>Item <input name="item" required pattern="[A-Za-z0-9][A-Za-z0-9_.:\-]*"></label>
<label>Valid for <input name="valid_for" value="30d" required></label>
<label>Comment (what was checked, where the evidence is) <textarea name="comment" required></textarea></label>
<button class="btn primary">Sign off</button>
</form>`))

type signoffRow struct {
	store.Signoff
	Expired bool
}

// ServeHTTP answers GET /ui/readiness and POST /ui/readiness/sign.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/ui/readiness/sign":
		p.sign(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/ui/readiness":
		p.show(w, r, http.StatusOK, r.URL.Query().Get("flash"))
	default:
		http.NotFound(w, r)
	}
}

func (p *Page) show(w http.ResponseWriter, r *http.Request, code int, flash string) {
	data := struct {
		Report   *rd.StoredReport
		Summary  string
		Signoffs []signoffRow
		CSRF     string
		Flash    string
	}{CSRF: p.UI.CSRFToken(w, r), Flash: flash}
	// On a first visit CSRFToken has just minted the session in a
	// Set-Cookie; hand it to the layout too, or Render would mint a
	// second one and the form's token would not match the cookie.
	for _, line := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil {
			r.AddCookie(c)
		}
	}
	rep, err := Latest(r.Context(), p.Store)
	switch {
	case err == nil:
		data.Report = &rep
	case !errors.Is(err, store.ErrNotFound):
		p.Logger.Warn("readiness page: reading the latest report", "err", err)
		data.Flash = "The latest report cannot be read: " + err.Error()
	}
	list, err := p.Store.LatestSignoffs(r.Context())
	if err != nil {
		data.Flash = "Sign-offs cannot be read: " + err.Error()
	}
	now := p.Now()
	for _, s := range list {
		data.Signoffs = append(data.Signoffs, signoffRow{Signoff: s, Expired: !now.Before(s.ExpiresAt)})
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		p.Logger.Error("readiness page: rendering", "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	//nolint:gosec // html/template escaped everything above
	p.UI.Render(w, r, code, "Readiness", template.HTML(buf.String()))
}

// sign records a sign-off from the console form, as the logged-in user.
func (p *Page) sign(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSignBytes)
	if err := r.ParseForm(); err != nil {
		p.show(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	req := rd.SignRequest{Item: r.PostFormValue("item"), Comment: r.PostFormValue("comment"), ValidFor: r.PostFormValue("valid_for")}
	pr, _ := auth.FromContext(r.Context())
	req.By = pr.Name()
	now := p.Now()
	expires, err := validateSign(req, now)
	if err != nil {
		p.show(w, r, http.StatusBadRequest, "Not signed off: "+err.Error())
		return
	}
	so := store.Signoff{Item: req.Item, By: req.By, Comment: req.Comment, SignedAt: now, ExpiresAt: expires}
	if err := p.Store.InsertSignoff(r.Context(), &so); err != nil {
		p.show(w, r, http.StatusServiceUnavailable, "Not signed off: "+err.Error())
		return
	}
	p.Logger.Info("readiness item signed off in the console", "item", so.Item, "by", so.By, "expires", so.ExpiresAt)
	http.Redirect(w, r, "/ui/readiness?flash="+template.URLQueryEscaper(so.Item+" signed off until "+so.ExpiresAt.Local().Format(time.RFC3339)+" ("+model.Duration(expires.Sub(now)).String()+")"), http.StatusSeeOther)
}
