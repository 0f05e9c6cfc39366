package webui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// The cookies of the UI. The session cookie carries the session token;
// the sign-in cookie carries the CSRF token of the sign-in form, which has
// no session yet to tie it to.
const (
	sessionCookie = "hookline_session"
	signInCookie  = "hookline_signin"
	// csrfField is the form field every form sends its CSRF token in.
	csrfField = "csrf"
)

// csrfToken is the CSRF token of a session: derived from the session
// token, which only the browser holding the cookie knows, so that it
// needs no storage and differs from the token it is made of.
func csrfToken(sessionToken string) string {
	mac := hmac.New(sha256.New, []byte(sessionToken))
	mac.Write([]byte("hookline web UI CSRF token"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF compares the form's CSRF token with want in constant time.
func (s *Server) checkCSRF(r *http.Request, want string) error {
	got := r.PostFormValue(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return hookline.Errorf(hookline.CodeForbidden, "this form has expired or was not sent by this page: reload the page and send it again")
	}
	return nil
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// accountRoutes are sign in and sign out, and the static files; they are
// not a section of the navigation.
func (s *Server) accountRoutes() []route {
	return []route{
		{pattern: "GET " + Prefix + "{$}", handle: s.home},
		{pattern: "GET " + Prefix + "sign-in", handle: s.signInPage, public: true},
		{pattern: "POST " + Prefix + "sign-in", handle: s.signIn, public: true},
		{pattern: "POST " + Prefix + "sign-out", handle: s.signOut},
		{pattern: "GET " + Prefix + "static/", handle: s.serveStatic, public: true},
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, q *request) error {
	return redirect(w, r, s.sections[0].path)
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request, _ *request) error {
	// The files change with the binary only.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(w, r)
	return nil
}

// signInForm is the sign-in page's data.
type signInForm struct {
	Next  string
	Error string
	// Notice is shown above the form, after a sign out.
	Notice string
}

// signInPage shows the sign-in form with a fresh CSRF token in a cookie
// of its own and in the form.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.signInForm(w, r, http.StatusOK, signInForm{Next: safeNext(r.URL.Query().Get("next")), Notice: notices[r.URL.Query().Get("notice")]})
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request, status int, f signInForm) error {
	token := newFormToken()
	s.setCookie(w, signInCookie, token, time.Now().Add(time.Hour))
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, status, "sign-in", layout{Title: "Sign in", CSRF: token, Main: f})
}

func newFormToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// signIn opens a session for the API key the form sent and goes where the
// person was going.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, _ *request) error {
	cookie, _ := r.Cookie(signInCookie)
	var want string
	if cookie != nil {
		want = cookie.Value
	}
	if err := s.checkCSRF(r, want); err != nil {
		return s.signInForm(w, r, http.StatusForbidden, signInForm{Next: safeNext(r.PostFormValue("next")),
			Error: "The sign-in form expired. Enter your API key again."})
	}
	next := safeNext(r.PostFormValue("next"))
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	if key == "" {
		return s.signInForm(w, r, http.StatusBadRequest, signInForm{Next: next, Error: "Enter an API key."})
	}
	sess, err := s.sessions.SignIn(r.Context(), key)
	if hookline.ErrorCode(err) == hookline.CodeUnauthorized {
		return s.signInForm(w, r, http.StatusUnauthorized, signInForm{Next: next, Error: "That API key is not valid, or it was revoked."})
	}
	if err != nil {
		return err
	}
	s.clearCookie(w, signInCookie)
	s.setCookie(w, sessionCookie, sess.Token, sess.ExpiresAt)
	if next == "" {
		next = Prefix
	}
	return redirect(w, r, next)
}

// signOut ends the session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, _ *request) error {
	if cookie, _ := r.Cookie(sessionCookie); cookie != nil {
		if err := s.sessions.SignOut(r.Context(), cookie.Value); err != nil {
			return err
		}
	}
	s.clearCookie(w, sessionCookie)
	return redirect(w, r, Prefix+"sign-in?notice=signedout")
}

// safeNext keeps a path to return to after signing in only when it is a
// page of the UI, so that the sign-in page cannot send anyone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"sign-") ||
		strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return ""
	}
	return next
}
