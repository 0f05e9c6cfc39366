package tenant

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// countingKeys counts the store lookups Authenticate makes.
type countingKeys struct {
	hookline.KeyStore
	lookups int
}

func (c *countingKeys) FindKeyByHash(ctx context.Context, hash []byte) (*hookline.APIKey, error) {
	c.lookups++
	return c.KeyStore.FindKeyByHash(ctx, hash)
}

func TestAuthenticateCachesAndRevokes(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	keys := &countingKeys{KeyStore: db}
	s := NewService(db, keys, "")
	now := time.Unix(1000, 0)
	s.cache.now = func() time.Time { return now }
	admin := &hookline.Caller{}
	name := "Shop"
	kind := hookline.KindCompany
	shop, err := s.CreateTenant(ctx, admin, hookline.TenantInput{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.CreateKey(ctx, admin, shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c, err := s.Authenticate(ctx, key.Secret)
		if err != nil || c.Tenant == nil || c.Tenant.ID != shop.ID || c.KeyID != key.ID {
			t.Fatalf("authenticate: %+v, %v", c, err)
		}
		c.Tenant.Name = "changed by a request"
	}
	if keys.lookups != 1 {
		t.Fatalf("three requests looked the key up %d times, want 1", keys.lookups)
	}
	if c, _ := s.Authenticate(ctx, key.Secret); c.Tenant.Name != "Shop" {
		t.Fatalf("a request changed what the next one sees: %q", c.Tenant.Name)
	}
	// After the TTL, the store is asked again: a key revoked on another
	// node stops working within it.
	now = now.Add(keyCacheTTL + time.Millisecond)
	if _, err := s.Authenticate(ctx, key.Secret); err != nil || keys.lookups != 2 {
		t.Fatalf("after the TTL: %v, %d lookups", err, keys.lookups)
	}
	// Revoked on another node: still cached here until the TTL ends.
	if err := db.DeleteKey(ctx, shop.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, key.Secret); err != nil {
		t.Fatalf("within the TTL: %v", err)
	}
	now = now.Add(keyCacheTTL + time.Millisecond)
	if _, err := s.Authenticate(ctx, key.Secret); hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("a key revoked elsewhere works past the TTL: %v", err)
	}
	// Revoked on this node: refused at once.
	key2, _ := s.CreateKey(ctx, admin, shop.ID)
	if _, err := s.Authenticate(ctx, key2.Secret); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(ctx, admin, shop.ID, key2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, key2.Secret); hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("a key revoked here still works: %v", err)
	}
	// Deleting the tenant ends its keys at once too.
	key3, _ := s.CreateKey(ctx, admin, shop.ID)
	s.Authenticate(ctx, key3.Secret)
	if err := s.DeleteTenant(ctx, admin, shop.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, key3.Secret); hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("a deleted tenant's key still works: %v", err)
	}
}

// TestCacheClearWins: a lookup that began before a revocation does not put
// the revoked key back into the cache.
func TestCacheClearWins(t *testing.T) {
	c := newKeyCache(time.Minute, 10)
	hash := hookline.HashAPIKey("k")
	gen := c.generation()
	c.clear()
	c.put(hash, &hookline.Caller{KeyID: 1}, gen)
	if _, ok := c.get(hash); ok {
		t.Fatal("a put from before the clear was kept")
	}
	c.put(hash, &hookline.Caller{KeyID: 1}, c.generation())
	if got, ok := c.get(hash); !ok || got.KeyID != 1 {
		t.Fatal("a current put was lost")
	}
	// The cache stays bounded.
	for i := range 50 {
		c.put(hookline.HashAPIKey(string(rune('a'+i))), &hookline.Caller{}, c.generation())
	}
	if len(c.entries) > 10 {
		t.Fatalf("%d entries, bound 10", len(c.entries))
	}
}

func TestAdminToken(t *testing.T) {
	db := storetest.SQLite(t)
	s := NewService(db, db, "operator-token-0123456789")
	c, err := s.Authenticate(context.Background(), "operator-token-0123456789")
	if err != nil || !c.IsAdmin() {
		t.Fatalf("admin token: %+v, %v", c, err)
	}
	if _, err := s.Authenticate(context.Background(), "operator-token-012345678"); hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("a near miss: %v", err)
	}
	if k, err := s.EnsureAdminKey(context.Background()); k != nil || err != nil {
		t.Fatalf("with an admin token no key is generated: %v, %v", k, err)
	}
	gen := NewService(db, db, "")
	k, err := gen.EnsureAdminKey(context.Background())
	if err != nil || k == nil || k.Secret == "" {
		t.Fatalf("first start: %v, %v", k, err)
	}
	if again, err := gen.EnsureAdminKey(context.Background()); again != nil || err != nil {
		t.Fatalf("second start minted another key: %v, %v", again, err)
	}
}
