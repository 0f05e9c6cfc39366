package hookline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Session is a web UI sign-in: an API key presented once, remembered by the
// database so that every node sharing it knows the session. Only hashes are
// stored: of the session token, which the browser's cookie carries, and of
// the API key, which each request authenticates again, so that a revoked
// key ends its sessions.
type Session struct {
	ID int64
	// TokenHash is HashSessionToken of the session token.
	TokenHash []byte
	// KeyID is the stored API key that signed in; 0 for the configured
	// HOOKLINE_ADMIN_TOKEN, which has no row. Deleting the key deletes
	// its sessions.
	KeyID int64
	// KeyHash is HashAPIKey of the key that signed in.
	KeyHash   []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// DefaultSessionLifetime is how long a web UI session lasts after its sign
// in; then the key is asked for again.
const DefaultSessionLifetime = 12 * time.Hour

// SessionStore stores web UI sessions.
type SessionStore interface {
	// CreateSession stores s and sets its ID and CreatedAt. A KeyID that
	// names no stored key (revoked meanwhile) is CodeNotFound.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with the token hash, expired or not;
	// CodeNotFound when there is none.
	FindSession(ctx context.Context, tokenHash []byte) (*Session, error)
	// DeleteSession deletes the session with the token hash; deleting one
	// that is gone is not an error.
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// PruneSessions deletes the sessions that expired before before and
	// returns how many.
	PruneSessions(ctx context.Context, before time.Time) (int, error)
}

// NewSession is a session just opened, with its token: the only time the
// token exists outside the browser's cookie.
type NewSession struct {
	Token     string
	Caller    *Caller
	ExpiresAt time.Time
}

// SessionService is the use cases of web UI sign-in. Its failures are
// CodeUnauthorized, and never echo a key or a token.
type SessionService interface {
	// SignIn authenticates an API key and opens a session for it.
	SignIn(ctx context.Context, apiKey string) (*NewSession, error)
	// SessionCaller resolves a session token into the caller of its key.
	// An expired session, or one whose key no longer authenticates
	// (revoked, its tenant deleted), is ended and CodeUnauthorized.
	SessionCaller(ctx context.Context, token string) (*Caller, *Session, error)
	// SignOut ends the session of the token; an unknown token is not an
	// error.
	SignOut(ctx context.Context, token string) error
}

// sessionTokenPrefix marks session tokens, so that one pasted where an API
// key belongs is recognised.
const sessionTokenPrefix = "hls_"

// NewSessionToken generates a random session token.
func NewSessionToken() string {
	var b [32]byte
	// crypto/rand.Read never returns an error; see NewAPIKey.
	_, _ = rand.Read(b[:])
	return sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSessionToken returns the stored form of a session token.
func HashSessionToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
