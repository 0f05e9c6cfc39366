package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookline/hookline"
)

// WebhookStore stores webhook definitions and webhook templates in a DB.
// It seals the secrets of definitions (basic password, bearer token, API
// key value, secret header and param values) with its SecretSealer before
// they reach the database and opens them when a definition is read, so the
// database file never holds them in clear. Templates hold no secrets at
// all (the service refuses them); were one given, it would be sealed too.
type WebhookStore struct {
	db     *DB
	sealer hookline.SecretSealer
	opened *definitionCache
}

var (
	_ hookline.WebhookStore         = (*WebhookStore)(nil)
	_ hookline.WebhookTemplateStore = (*WebhookStore)(nil)
)

// NewWebhookStore returns the webhook services of db, sealing secrets with
// sealer.
func NewWebhookStore(db *DB, sealer hookline.SecretSealer) *WebhookStore {
	return &WebhookStore{db: db, sealer: sealer, opened: newDefinitionCache()}
}

// storedDefinition is the JSON document of the definition column: every
// field of a hookline.WebhookDefinition, with the auth secrets sealed. Its
// field names are the storage format; they change only with a migration.
// TestStoredDefinitionCoversDefinition checks that it keeps every field.
type storedDefinition struct {
	// Name is stored for templates only (the default name of the webhooks
	// made from them); a webhook's name has a column.
	Name               string                    `json:"name,omitempty"`
	Method             string                    `json:"method"`
	URL                string                    `json:"url"`
	ResponseType       hookline.ResponseType     `json:"response_type"`
	Execution          hookline.Execution        `json:"execution"`
	TimeoutMS          int                       `json:"timeout_ms"`
	Auth               storedAuth                `json:"auth"`
	Headers            []storedKeyValue          `json:"headers"`
	Params             []storedKeyValue          `json:"params"`
	ContextValues      map[string]string         `json:"context_values"`
	Body               string                    `json:"body"`
	CustomVariables    []hookline.CustomVariable `json:"custom_variables"`
	RetryNonIdempotent bool                      `json:"retry_non_idempotent"`
}

// storedAuth keeps the secrets only in sealed form.
type storedAuth struct {
	Type           hookline.AuthType `json:"type"`
	Username       string            `json:"username,omitempty"`
	SealedPassword string            `json:"sealed_password,omitempty"`
	SealedToken    string            `json:"sealed_token,omitempty"`
	Name           string            `json:"name,omitempty"`
	SealedValue    string            `json:"sealed_value,omitempty"`
	In             string            `json:"in,omitempty"`
}

// storedKeyValue is a header or param: a secret one (see
// hookline.KeyValue.IsSecret) keeps its value only in sealed form. Before
// migration 0004 items had no secret and no sealed_value, and every value
// was in clear; that migration sealed the secret ones.
type storedKeyValue struct {
	Key         string             `json:"key"`
	Value       string             `json:"value"`
	SealedValue string             `json:"sealed_value,omitempty"`
	Type        hookline.ValueType `json:"type"`
	Secret      *bool              `json:"secret,omitempty"`
}

// encodeKeyValues turns items into their stored form, sealing the secret
// values with seal.
func encodeKeyValues(items []hookline.KeyValue, seal func(dst *string, secret string) error) ([]storedKeyValue, error) {
	if items == nil {
		return nil, nil
	}
	out := make([]storedKeyValue, len(items))
	for i, kv := range items {
		out[i] = storedKeyValue{Key: kv.Key, Value: kv.Value, Type: kv.Type, Secret: kv.Secret}
		if kv.IsSecret() {
			out[i].Value = ""
			if err := seal(&out[i].SealedValue, kv.Value); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// decodeKeyValues turns stored items back, opening sealed values with
// reveal.
func decodeKeyValues(items []storedKeyValue, reveal func(dst *string, sealed string) error) ([]hookline.KeyValue, error) {
	if items == nil {
		return nil, nil
	}
	out := make([]hookline.KeyValue, len(items))
	for i, kv := range items {
		out[i] = hookline.KeyValue{Key: kv.Key, Value: kv.Value, Type: kv.Type, Secret: kv.Secret}
		if err := reveal(&out[i].Value, kv.SealedValue); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodeDefinition turns w's definition into the stored JSON, sealing its
// secrets; withName keeps w.Name in it too.
func (s *WebhookStore) encodeDefinition(w *hookline.WebhookDefinition, withName bool) (string, error) {
	d := storedDefinition{
		Method: w.Method, URL: w.URL, ResponseType: w.ResponseType, Execution: w.Execution,
		TimeoutMS: w.TimeoutMS, ContextValues: w.ContextValues,
		Body: w.Body, CustomVariables: w.CustomVariables, RetryNonIdempotent: w.RetryNonIdempotent,
		Auth: storedAuth{Type: w.Auth.Type, Username: w.Auth.Username, Name: w.Auth.Name, In: w.Auth.In},
	}
	seal := sealWith(s.sealer)
	if withName {
		d.Name = w.Name
	}
	if err := errors.Join(seal(&d.Auth.SealedPassword, w.Auth.Password), seal(&d.Auth.SealedToken, w.Auth.Token),
		seal(&d.Auth.SealedValue, w.Auth.Value)); err != nil {
		return "", err
	}
	var err error
	if d.Headers, err = encodeKeyValues(w.Headers, seal); err != nil {
		return "", err
	}
	if d.Params, err = encodeKeyValues(w.Params, seal); err != nil {
		return "", err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode definition: %w", err)
	}
	return string(b), nil
}

// sealWith returns a function that seals a non-empty secret into dst with
// sealer.
func sealWith(sealer hookline.SecretSealer) func(dst *string, secret string) error {
	return func(dst *string, secret string) error {
		if secret == "" {
			return nil
		}
		if sealer == nil {
			return errors.New("no secret sealer configured")
		}
		sealed, err := sealer.Seal(secret)
		if err != nil {
			return fmt.Errorf("seal secret: %w", err)
		}
		*dst = sealed
		return nil
	}
}

// decodeDefinition fills w's definition from the stored JSON. With open,
// its secrets are opened; without, each stored secret reads as
// hookline.SecretMask, so that a listing, which only shows them masked,
// never unseals one. A stored name is set only when there is one.
func (s *WebhookStore) decodeDefinition(raw string, w *hookline.WebhookDefinition, open bool) error {
	var d storedDefinition
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return fmt.Errorf("decode definition: %w", err)
	}
	if d.Name != "" {
		w.Name = d.Name
	}
	w.Method, w.URL, w.ResponseType, w.Execution = d.Method, d.URL, d.ResponseType, d.Execution
	w.TimeoutMS, w.ContextValues = d.TimeoutMS, d.ContextValues
	w.Body, w.CustomVariables, w.RetryNonIdempotent = d.Body, d.CustomVariables, d.RetryNonIdempotent
	w.Auth = hookline.Auth{Type: d.Auth.Type, Username: d.Auth.Username, Name: d.Auth.Name, In: d.Auth.In}
	reveal := func(dst *string, sealed string) error {
		switch {
		case sealed == "":
			return nil
		case !open:
			*dst = hookline.SecretMask
			return nil
		case s.sealer == nil:
			return errors.New("no secret sealer configured")
		}
		plain, err := s.sealer.Open(sealed)
		if err != nil {
			return fmt.Errorf("open secret: %w", err)
		}
		*dst = plain
		return nil
	}
	if err := errors.Join(reveal(&w.Auth.Password, d.Auth.SealedPassword), reveal(&w.Auth.Token, d.Auth.SealedToken),
		reveal(&w.Auth.Value, d.Auth.SealedValue)); err != nil {
		return err
	}
	var err error
	if w.Headers, err = decodeKeyValues(d.Headers, reveal); err != nil {
		return err
	}
	w.Params, err = decodeKeyValues(d.Params, reveal)
	return err
}

const webhookColumns = "id, company_id, name, template_id, definition, created_at, updated_at"

// scanWebhook scans a row of webhookColumns, opening its secrets.
func (s *WebhookStore) scanWebhook(scan func(...any) error) (*hookline.Webhook, error) {
	return s.scanWebhookSecrets(scan, true)
}

// scanMaskedWebhook scans a row of webhookColumns with its secrets masked.
func (s *WebhookStore) scanMaskedWebhook(scan func(...any) error) (*hookline.Webhook, error) {
	return s.scanWebhookSecrets(scan, false)
}

func (s *WebhookStore) scanWebhookSecrets(scan func(...any) error, open bool) (*hookline.Webhook, error) {
	var w hookline.Webhook
	var template sql.NullInt64
	var def string
	if err := scan(&w.ID, &w.CompanyID, &w.Name, &template, &def, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	if template.Valid {
		id := template.Int64
		w.TemplateID = &id
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	// A webhook's name has its column; its stored definition has none.
	name := w.Name
	if cached, ok := s.opened.get(def); ok && open {
		w.WebhookDefinition = cached
		w.Name = name
		return &w, nil
	}
	if err := s.decodeDefinition(def, &w.WebhookDefinition, open); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	if open {
		s.opened.put(def, w.WebhookDefinition)
	}
	return &w, nil
}

func webhookNameTaken(err error, companyID int64, name string) error {
	return withMessage(err, "name", "company %d already has a webhook named %q", companyID, name)
}

// CreateWebhook stores w for its company, which must lie within scope. The
// service has validated the definition.
func (s *WebhookStore) CreateWebhook(ctx context.Context, scope hookline.Scope, w *hookline.Webhook) error {
	def, err := s.encodeDefinition(&w.WebhookDefinition, false)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return s.db.inTx(ctx, func(c conn) error {
		if err := findCompany(ctx, c, scope, w.CompanyID); err != nil {
			return err
		}
		now := s.db.timestamp()
		err := c.queryRow(ctx, "INSERT INTO webhooks (company_id, name, template_id, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			[]any{w.CompanyID, w.Name, nullRef(w.TemplateID), def, now, now}, &w.ID)
		if isCode(err, hookline.CodeConflict) {
			return webhookNameTaken(err, w.CompanyID, w.Name)
		}
		if err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		w.CreatedAt, w.UpdatedAt = now, now
		return nil
	})
}

// findCompany checks that id names a company within scope; anything else
// is CodeNotFound naming company_id.
func findCompany(ctx context.Context, c conn, scope hookline.Scope, id int64) error {
	t, err := findTenant(ctx, c, scope, id)
	if err == nil && t.Kind != hookline.KindCompany {
		err = hookline.NotFound("company", id)
	}
	if err != nil {
		return withMessage(err, "company_id", "company %d not found", id)
	}
	return nil
}

// FindWebhook returns webhook id when its company lies within scope.
func (s *WebhookStore) FindWebhook(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Webhook, error) {
	return s.findWebhook(ctx, s.db.conn(), scope, id)
}

func (s *WebhookStore) findWebhook(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.Webhook, error) {
	cond, args := companyScope(scope, "company_id")
	row := c.row(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ? AND "+cond,
		append([]any{id}, args...)...)
	w, err := s.scanWebhook(row.Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "webhook %d not found", id)
		}
		return nil, fmt.Errorf("find webhook %d: %w", id, err)
	}
	return w, nil
}

// FindWebhooks lists the webhooks in the filter's scope, ordered by ID,
// with their secrets masked: a listing never unseals.
func (s *WebhookStore) FindWebhooks(ctx context.Context, f hookline.WebhookFilter) ([]*hookline.Webhook, error) {
	cond, args := companyScope(f.Scope, "company_id")
	if f.CompanyID != 0 {
		cond += " AND company_id = ?"
		args = append(args, f.CompanyID)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "webhooks", "SELECT "+webhookColumns+" FROM webhooks WHERE "+cond, args, s.scanMaskedWebhook)
}

// UpdateWebhook replaces webhook id's definition, when it lies within
// scope, with what update makes of the stored one, in one transaction. Its
// company, template link and creation time stay.
func (s *WebhookStore) UpdateWebhook(ctx context.Context, scope hookline.Scope, id int64, update func(stored *hookline.Webhook) (hookline.WebhookDefinition, error)) (*hookline.Webhook, error) {
	var out *hookline.Webhook
	err := s.db.inTx(ctx, func(c conn) error {
		stored, err := s.findWebhook(ctx, c, scope, id)
		if err != nil {
			return err
		}
		// update gets a copy: what it changes must not reach the stored
		// webhook returned when the change is refused.
		shown := stored.Clone()
		def, err := update(&shown)
		if err != nil {
			return err
		}
		enc, err := s.encodeDefinition(&def, false)
		if err != nil {
			return fmt.Errorf("update webhook %d: %w", id, err)
		}
		now := s.db.timestamp()
		_, err = c.exec(ctx, "UPDATE webhooks SET name = ?, definition = ?, updated_at = ? WHERE id = ?", def.Name, enc, now, id)
		if isCode(err, hookline.CodeConflict) {
			return webhookNameTaken(err, stored.CompanyID, def.Name)
		}
		if err != nil {
			return fmt.Errorf("update webhook %d: %w", id, err)
		}
		out = stored
		out.WebhookDefinition, out.UpdatedAt = def, now
		return nil
	})
	return out, err
}

// DeleteWebhook removes webhook id when it lies within scope. A webhook
// that bots use is kept: CodeConflict names the bots, so that no edge can
// leave a bot's connection pointing at nothing.
func (s *WebhookStore) DeleteWebhook(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(c conn) error {
		cond, args := companyScope(scope, "company_id")
		var one int
		err := c.queryRow(ctx, "SELECT 1 FROM webhooks WHERE id = ? AND "+cond, append([]any{id}, args...), &one)
		if isCode(err, hookline.CodeNotFound) {
			return hookline.NotFound("webhook", id)
		}
		if err != nil {
			return fmt.Errorf("delete webhook %d: %w", id, err)
		}
		if err := webhookUsers(ctx, c, id); err != nil {
			return err
		}
		_, err = c.exec(ctx, "DELETE FROM webhooks WHERE id = ?", id)
		if isCode(err, hookline.CodeConflict) {
			// A bot saved meanwhile refers to it (PostgreSQL: the
			// foreign key, checked when that save committed).
			if users := webhookUsers(ctx, c, id); users != nil {
				return users
			}
			return withMessage(err, "", "webhook %d is used by a bot; remove it from the bot's connections first", id)
		}
		if err != nil {
			return fmt.Errorf("delete webhook %d: %w", id, err)
		}
		return nil
	})
}
