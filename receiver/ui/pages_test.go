package ui

import (
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golive-ops/golive/receiver/auth"
)

// Another part's page renders in the console's layout and gets its nav
// entry; without it the entry does not exist.
func TestAddedPagesJoinTheNavigation(t *testing.T) {
	a := auth.New(auth.Options{Disabled: true}, nil)
	serve := func(u *UI, path string) string {
		mux := http.NewServeMux()
		u.Register(mux)
		rec := httptest.NewRecorder()
		a.Wrap(mux).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, b)
		}
		return string(b)
	}
	plain, err := New(Options{Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	if page := serve(plain, "/ui/oncall"); strings.Contains(page, "/ui/gates") {
		t.Fatal("the Gates entry shows without a gates page")
	}
	u, err := New(Options{Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	u.AddPage(Page{Slot: SlotReadiness, Handler: http.NotFoundHandler()})
	u.AddPage(Page{Slot: SlotGates, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Render(w, r, http.StatusOK, "Gates", template.HTML(`<p id="gate">hold: 2 alerts firing</p>`+
			`<input name="_csrf" value="`+template.HTMLEscapeString(u.CSRFToken(w, r))+`">`))
	})})
	page := serve(u, "/ui/gates/checkout")
	for _, want := range []string{`<a href="/ui/gates" class="active" aria-current="page">Gates</a>`, `<p id="gate">hold: 2 alerts firing</p>`,
		`<title>Gates · golive</title>`, `href="/ui/static/console.css"`} {
		if !strings.Contains(page, want) {
			t.Errorf("gates page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, `name="_csrf" value=""`) {
		t.Error("the page's form got no CSRF token")
	}
	if g, r := strings.Index(page, ">Gates<"), strings.Index(page, ">Readiness<"); g < 0 || r < g {
		t.Errorf("nav order: gates at %d, readiness at %d", g, r)
	}
}
