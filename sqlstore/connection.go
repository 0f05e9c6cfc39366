package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

// IntegrationStore stores connections, integrations, campaigns and chats
// in a DB (issue 18). Provider secrets and the secrets of integration
// definitions are sealed with its SecretSealer before they reach the
// database, as the webhook store seals webhook secrets.
type IntegrationStore struct {
	db     *DB
	sealer hookline.SecretSealer
	// inbound commits provider messages and their deliveries' ids in
	// groups (see writeBatcher).
	inbound *writeBatcher[struct{}]
}

var (
	_ hookline.ConnectionStore  = (*IntegrationStore)(nil)
	_ hookline.IntegrationStore = (*IntegrationStore)(nil)
	_ hookline.CampaignStore    = (*IntegrationStore)(nil)
	_ hookline.ChatStore        = (*IntegrationStore)(nil)
)

// NewIntegrationStore returns the integration stores of db, sealing
// secrets with sealer.
func NewIntegrationStore(db *DB, sealer hookline.SecretSealer) *IntegrationStore {
	return &IntegrationStore{db: db, sealer: sealer, inbound: db.batcher(1)}
}

// revealWith returns a function that opens a sealed secret into dst with
// sealer, or, without open, writes the mask: a listing never unseals.
func revealWith(sealer hookline.SecretSealer, open bool) func(dst *string, sealed string) error {
	return func(dst *string, sealed string) error {
		switch {
		case sealed == "":
			return nil
		case !open:
			*dst = hookline.SecretMask
			return nil
		case sealer == nil:
			return errors.New("no secret sealer configured")
		}
		plain, err := sealer.Open(sealed)
		if err != nil {
			return fmt.Errorf("open secret: %w", err)
		}
		*dst = plain
		return nil
	}
}

// storedProvider is the JSON document of connections.provider: the
// secrets only sealed. Its field names are the storage format.
type storedProvider struct {
	AccountSID        string `json:"account_sid,omitempty"`
	SealedAuthToken   string `json:"sealed_auth_token,omitempty"`
	From              string `json:"from,omitempty"`
	PhoneNumberID     string `json:"phone_number_id,omitempty"`
	SealedAccessToken string `json:"sealed_access_token,omitempty"`
	SealedAppSecret   string `json:"sealed_app_secret,omitempty"`
	SealedVerifyToken string `json:"sealed_verify_token,omitempty"`
	BaseURL           string `json:"base_url"`
	APIVersion        string `json:"api_version,omitempty"`
}

func (s *IntegrationStore) encodeProvider(p *hookline.Provider) (string, error) {
	d := storedProvider{AccountSID: p.AccountSID, From: p.From, PhoneNumberID: p.PhoneNumberID, BaseURL: p.BaseURL, APIVersion: p.APIVersion}
	seal := sealWith(s.sealer)
	if err := errors.Join(seal(&d.SealedAuthToken, p.AuthToken), seal(&d.SealedAccessToken, p.AccessToken),
		seal(&d.SealedAppSecret, p.AppSecret), seal(&d.SealedVerifyToken, p.VerifyToken)); err != nil {
		return "", err
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func (s *IntegrationStore) decodeProvider(raw string, open bool) (hookline.Provider, error) {
	var d storedProvider
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return hookline.Provider{}, fmt.Errorf("decode provider: %w", err)
	}
	p := hookline.Provider{AccountSID: d.AccountSID, From: d.From, PhoneNumberID: d.PhoneNumberID, BaseURL: d.BaseURL, APIVersion: d.APIVersion}
	reveal := revealWith(s.sealer, open)
	err := errors.Join(reveal(&p.AuthToken, d.SealedAuthToken), reveal(&p.AccessToken, d.SealedAccessToken),
		reveal(&p.AppSecret, d.SealedAppSecret), reveal(&p.VerifyToken, d.SealedVerifyToken))
	return p, err
}

const connectionColumns = "id, company_id, type, code, provider, holder_kind, holder_id, created_at"

func (s *IntegrationStore) scanConnection(scan func(...any) error, open bool) (*hookline.Connection, error) {
	var c hookline.Connection
	var provider string
	var holderKind sql.NullString
	var holderID sql.NullInt64
	if err := scan(&c.ID, &c.CompanyID, &c.Type, &c.Code, &provider, &holderKind, &holderID, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	c.HolderKind, c.HolderID = holderKind.String, holderID.Int64
	var err error
	if c.Provider, err = s.decodeProvider(provider, open); err != nil {
		return nil, fmt.Errorf("connection %d: %w", c.ID, err)
	}
	return &c, nil
}

// CreateConnection stores c for its company, which must lie within scope.
func (s *IntegrationStore) CreateConnection(ctx context.Context, scope hookline.Scope, c *hookline.Connection) error {
	provider, err := s.encodeProvider(&c.Provider)
	if err != nil {
		return fmt.Errorf("create connection: %w", err)
	}
	return s.db.inTx(ctx, func(q conn) error {
		if err := findCompany(ctx, q, scope, c.CompanyID); err != nil {
			return err
		}
		now := s.db.timestamp()
		err := q.queryRow(ctx, "INSERT INTO connections (company_id, type, code, provider, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			[]any{c.CompanyID, c.Type, c.Code, provider, now}, &c.ID)
		if isCode(err, hookline.CodeConflict) {
			// Whose it is stays unsaid: codes are public, tenants are not.
			return withMessage(err, "code", "connection code %q is taken; choose another", c.Code)
		}
		if err != nil {
			return fmt.Errorf("create connection: %w", err)
		}
		c.CreatedAt = now
		return nil
	})
}

// FindConnection returns connection id, secrets opened, when its company
// lies within scope.
func (s *IntegrationStore) FindConnection(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Connection, error) {
	cond, args := companyScope(scope, "company_id")
	row := s.db.conn().row(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ? AND "+cond, append([]any{id}, args...)...)
	c, err := s.scanConnection(row.Scan, true)
	if err != nil {
		return nil, notFoundAs(s.db.dialect.translate(err), "connection %d not found", id)
	}
	return c, nil
}

// notFoundAs rewords a CodeNotFound error; other errors pass.
func notFoundAs(err error, format string, args ...any) error {
	if isCode(err, hookline.CodeNotFound) {
		return withMessage(err, "", format, args...)
	}
	return err
}

// FindConnectionByCode returns the connection of any tenant with type t
// and code, secrets opened.
func (s *IntegrationStore) FindConnectionByCode(ctx context.Context, t hookline.ConnectionType, code string) (*hookline.Connection, error) {
	row := s.db.conn().row(ctx, "SELECT "+connectionColumns+" FROM connections WHERE code = ? AND type = ?", code, t)
	c, err := s.scanConnection(row.Scan, true)
	if err != nil {
		return nil, notFoundAs(s.db.dialect.translate(err), "no %s connection %q", t, code)
	}
	return c, nil
}

// FindConnections lists the connections in the filter's scope, by id,
// secrets masked.
func (s *IntegrationStore) FindConnections(ctx context.Context, f hookline.ConnectionFilter) ([]*hookline.Connection, error) {
	cond, args := companyScope(f.Scope, "company_id")
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "connections", "SELECT "+connectionColumns+" FROM connections WHERE "+cond, args,
		func(scan func(...any) error) (*hookline.Connection, error) { return s.scanConnection(scan, false) })
}

// DeleteConnection removes a free connection.
func (s *IntegrationStore) DeleteConnection(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(q conn) error {
		cond, args := companyScope(scope, "company_id")
		row := q.row(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ? AND "+cond, append([]any{id}, args...)...)
		c, err := s.scanConnection(row.Scan, false)
		if err != nil {
			return notFoundAs(q.d.translate(err), "connection %d not found", id)
		}
		if c.HolderKind != "" {
			return holderConflict(ctx, q, c.Code, c.HolderKind, c.HolderID, "delete it, or free the connection, first")
		}
		// A campaign row keeps its connection until it is deleted.
		if _, err := q.exec(ctx, "DELETE FROM connections WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete connection %d: %w", id, err)
		}
		return nil
	})
}

// holderConflict is the CodeConflict of a connection held by something
// else, naming the holder.
func holderConflict(ctx context.Context, q conn, code, kind string, id int64, what string) error {
	var name string
	table, column := "integrations", "alias"
	if kind == hookline.HolderCampaign {
		table, column = "campaigns", "name"
	}
	if err := q.queryRow(ctx, "SELECT "+column+" FROM "+table+" WHERE id = ?", []any{id}, &name); err != nil && !isCode(err, hookline.CodeNotFound) {
		return err
	}
	return hookline.Errorf(hookline.CodeConflict, "connection %q is held by %s %d (%q): a connection serves one integration or one campaign, never both; %s", code, kind, id, name, what)
}

// claimConnection makes the connection with code in company companyID
// serve (kind, id), unless something else holds it. field names the code
// in errors.
func claimConnection(ctx context.Context, q conn, companyID int64, code, kind string, id int64, field string) (int64, error) {
	var connID int64
	var holderKind sql.NullString
	var holderID sql.NullInt64
	err := q.queryRow(ctx, "SELECT id, holder_kind, holder_id FROM connections WHERE company_id = ? AND code = ?", []any{companyID, code},
		&connID, &holderKind, &holderID)
	if isCode(err, hookline.CodeNotFound) {
		return 0, withMessage(err, field, "connection %q not found", code)
	}
	if err != nil {
		return 0, fmt.Errorf("claim connection %q: %w", code, err)
	}
	res, err := q.exec(ctx, `UPDATE connections SET holder_kind = ?, holder_id = ?
		WHERE id = ? AND (holder_kind IS NULL OR (holder_kind = ? AND holder_id = ?))`, kind, id, connID, kind, id)
	if err != nil {
		return 0, fmt.Errorf("claim connection %q: %w", code, err)
	}
	if n, err := rowsChanged(res, "claim connection"); err != nil || n == 1 {
		return connID, err
	}
	// Taken meanwhile, or held before: read the holder again to name it.
	if err := q.queryRow(ctx, "SELECT holder_kind, holder_id FROM connections WHERE id = ?", []any{connID}, &holderKind, &holderID); err != nil {
		return 0, err
	}
	e := holderConflict(ctx, q, code, holderKind.String, holderID.Int64, "free it first")
	return 0, &hookline.Error{Code: hookline.CodeConflict, Field: field, Message: hookline.ErrorMessage(e)}
}

// releaseConnections frees the connections (kind, id) holds, all of them
// or those whose codes keep does not list.
func releaseConnections(ctx context.Context, q conn, kind string, id int64, keep []string) error {
	query := "UPDATE connections SET holder_kind = NULL, holder_id = NULL WHERE holder_kind = ? AND holder_id = ?"
	args := []any{kind, id}
	if len(keep) > 0 {
		query += " AND code NOT IN (?" + strings.Repeat(", ?", len(keep)-1) + ")"
		for _, k := range keep {
			args = append(args, k)
		}
	}
	if _, err := q.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("free connections: %w", err)
	}
	return nil
}
