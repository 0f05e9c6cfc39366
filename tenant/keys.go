package tenant

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/hookline/hookline"
)

// Authenticate resolves a presented key into its caller. Verified keys are
// cached for a second (see keyCache), so that a busy client costs no store
// query per request; a revocation clears the cache at once on this node
// and the entries of the others expire within the second.
func (s *Service) Authenticate(ctx context.Context, secret string) (*hookline.Caller, error) {
	return s.authenticateHash(ctx, hookline.HashAPIKey(secret))
}

// authenticateHash is Authenticate given the key's hash, which a web UI
// session keeps instead of the key.
func (s *Service) authenticateHash(ctx context.Context, hash []byte) (*hookline.Caller, error) {
	if s.adminHash != nil && subtle.ConstantTimeCompare(hash, s.adminHash) == 1 {
		return &hookline.Caller{}, nil
	}
	if c, ok := s.cache.get(hash); ok {
		return c, nil
	}
	gen := s.cache.generation()
	invalid := hookline.Errorf(hookline.CodeUnauthorized, "invalid or revoked API key")
	key, err := s.keys.FindKeyByHash(ctx, hash)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	c := &hookline.Caller{KeyID: key.ID}
	if key.TenantID != 0 {
		tenant, err := s.tenants.FindTenant(ctx, hookline.AdminScope(), key.TenantID)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			// The tenant was deleted while the request was on its way.
			return nil, invalid
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		c.Tenant = tenant
	}
	s.cache.put(hash, c, gen)
	return c, nil
}

// keyOwner checks that the caller may manage the keys of tenantID (0: the
// admin keys, for admin keys only).
func (s *Service) keyOwner(ctx context.Context, c *hookline.Caller, tenantID int64) error {
	if tenantID == 0 {
		if !c.IsAdmin() {
			return hookline.Errorf(hookline.CodeForbidden, "only admin keys manage admin keys")
		}
		return nil
	}
	_, err := s.tenants.FindTenant(ctx, c.Scope(), tenantID)
	return err
}

// CreateKey creates a key for tenantID (0: an admin key) and returns it
// with its secret, the only time the secret is shown.
func (s *Service) CreateKey(ctx context.Context, c *hookline.Caller, tenantID int64) (*hookline.NewKey, error) {
	if err := s.keyOwner(ctx, c, tenantID); err != nil {
		return nil, err
	}
	secret, key := hookline.NewAPIKey(tenantID)
	if err := s.keys.CreateKey(ctx, key); err != nil {
		return nil, err
	}
	return &hookline.NewKey{APIKey: *key, Secret: secret}, nil
}

// FindKeys lists one page of a tenant's keys, prefixes only.
func (s *Service) FindKeys(ctx context.Context, c *hookline.Caller, tenantID int64, page hookline.PageRequest) (hookline.Page[*hookline.APIKey], error) {
	var none hookline.Page[*hookline.APIKey]
	if err := s.keyOwner(ctx, c, tenantID); err != nil {
		return none, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return none, err
	}
	ks, err := s.keys.FindKeys(ctx, hookline.KeyFilter{TenantID: tenantID, After: after, Limit: limit + 1})
	if err != nil {
		return none, err
	}
	return hookline.PageOf(ks, limit, func(k *hookline.APIKey) int64 { return k.ID }), nil
}

// RevokeKey deletes a key; it stops working at once on this node.
func (s *Service) RevokeKey(ctx context.Context, c *hookline.Caller, tenantID, keyID int64) error {
	if err := s.keyOwner(ctx, c, tenantID); err != nil {
		return err
	}
	if err := s.keys.DeleteKey(ctx, tenantID, keyID); err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// EnsureAdminKey generates the operator's first admin key when none is
// stored and no admin token is configured. It returns the new key's secret,
// to be shown once, or "" when nothing was generated. Callers that share a
// store between processes run it under the store's lock.
func (s *Service) EnsureAdminKey(ctx context.Context) (*hookline.NewKey, error) {
	if s.adminHash != nil {
		return nil, nil
	}
	n, err := s.keys.CountAdminKeys(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	secret, key := hookline.NewAPIKey(0)
	if err := s.keys.CreateKey(ctx, key); err != nil {
		return nil, fmt.Errorf("store the generated admin key: %w", err)
	}
	return &hookline.NewKey{APIKey: *key, Secret: secret}, nil
}
