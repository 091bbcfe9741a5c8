package ui

import (
	"net/http"
	"strings"

	"github.com/golive-ops/golive/receiver/auth"
)

type loginPage struct {
	frame
	Next, User, Error string
	NoUsers           bool
}

// serveLogin shows the login form and checks it. It runs behind
// auth.Optional: a POST has passed the same-origin and CSRF checks of the
// anonymous session the form was served with (login CSRF).
func (u *UI) serveLogin(w http.ResponseWriter, r *http.Request) {
	next := safeReturn(r.FormValue("next"), "/ui")
	p := loginPage{frame: u.frame(w, r, "Log in", ""), Next: next, NoUsers: !u.o.Auth.HasUsers()}
	if r.Method == http.MethodGet {
		if pr, ok := auth.FromContext(r.Context()); ok && pr.User != "" {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		u.render(w, http.StatusOK, "login", p)
		return
	}
	if pr, _ := auth.FromContext(r.Context()); pr.Session == nil {
		p.Error = "your browser sent no session cookie: allow cookies for this site and try again"
		u.render(w, http.StatusForbidden, "login", p)
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("username"))
	if !u.o.Auth.Login(user, r.PostForm.Get("password")) {
		u.o.Logger.Info("console login failed", "user", user, "remote", r.RemoteAddr)
		p.User, p.Error = user, "wrong user name or password"
		u.render(w, http.StatusUnauthorized, "login", p)
		return
	}
	u.o.Auth.StartSession(w, r, user)
	u.o.Logger.Info("console login", "user", user, "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	u.o.Auth.EndSession(w, r)
	http.Redirect(w, r, auth.LoginPath, http.StatusSeeOther)
}
