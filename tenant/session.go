package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

// Sessions implements hookline.SessionService: web UI sessions opened with
// an API key and kept in the store, so that every node sharing it knows
// them. Each use of a session authenticates its key again through the
// Service's Authenticate path (and its one-second cache, cleared on this
// node by a revocation), so that a revoked key ends its sessions.
type Sessions struct {
	keys     *Service
	store    hookline.SessionStore
	lifetime time.Duration
	now      func() time.Time
}

var _ hookline.SessionService = (*Sessions)(nil)

// NewSessions returns the session service over keys' authentication;
// lifetime 0 means hookline.DefaultSessionLifetime.
func NewSessions(keys *Service, store hookline.SessionStore, lifetime time.Duration) *Sessions {
	if lifetime <= 0 {
		lifetime = hookline.DefaultSessionLifetime
	}
	return &Sessions{keys: keys, store: store, lifetime: lifetime, now: time.Now}
}

// signedOut is the one answer to a session that does not hold, whatever
// the reason, so that it tells nothing about the token.
func signedOut() error {
	return hookline.Errorf(hookline.CodeUnauthorized, "signed out: sign in with an API key")
}

// SignIn authenticates apiKey and opens a session for it. Sessions that
// have expired are pruned on the way.
func (s *Sessions) SignIn(ctx context.Context, apiKey string) (*hookline.NewSession, error) {
	caller, err := s.keys.Authenticate(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if _, err := s.store.PruneSessions(ctx, now); err != nil {
		return nil, err
	}
	token := hookline.NewSessionToken()
	sess := &hookline.Session{TokenHash: hookline.HashSessionToken(token), KeyID: caller.KeyID,
		KeyHash: hookline.HashAPIKey(apiKey), ExpiresAt: now.Add(s.lifetime)}
	err = s.store.CreateSession(ctx, sess)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		// The key was revoked since it authenticated.
		return nil, hookline.Errorf(hookline.CodeUnauthorized, "invalid or revoked API key")
	}
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return &hookline.NewSession{Token: token, Caller: caller, ExpiresAt: sess.ExpiresAt}, nil
}

// SessionCaller resolves a session token into its key's caller.
func (s *Sessions) SessionCaller(ctx context.Context, token string) (*hookline.Caller, *hookline.Session, error) {
	if token == "" {
		return nil, nil, signedOut()
	}
	hash := hookline.HashSessionToken(token)
	sess, err := s.store.FindSession(ctx, hash)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return nil, nil, signedOut()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			return nil, nil, err
		}
		return nil, nil, signedOut()
	}
	caller, err := s.keys.authenticateHash(ctx, sess.KeyHash)
	if hookline.ErrorCode(err) == hookline.CodeUnauthorized {
		// The key was revoked, or its tenant deleted: the session ends.
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			return nil, nil, err
		}
		return nil, nil, signedOut()
	}
	if err != nil {
		return nil, nil, err
	}
	return caller, sess, nil
}

// SignOut ends the token's session.
func (s *Sessions) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, hookline.HashSessionToken(token))
}
