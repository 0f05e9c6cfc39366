package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// storedIntegration is the JSON document of integrations.definition: the
// request part of an integration with its secrets sealed, stored as a
// webhook's auth, headers and params are. Its field names are the storage
// format.
type storedIntegration struct {
	Method     string               `json:"method"`
	URL        string               `json:"url"`
	Params     []storedKeyValue     `json:"params"`
	Auth       storedAuth           `json:"auth"`
	Headers    []storedKeyValue     `json:"headers"`
	BodyFields []hookline.BodyField `json:"body_fields"`
	Events     []string             `json:"events"`
}

func (s *IntegrationStore) encodeIntegration(i *hookline.Integration) (string, error) {
	d := storedIntegration{Method: i.Method, URL: i.URL, BodyFields: i.BodyFields, Events: i.Events,
		Auth: storedAuth{Type: i.Auth.Type, Username: i.Auth.Username, Name: i.Auth.Name, In: i.Auth.In}}
	seal := sealWith(s.sealer)
	if err := errors.Join(seal(&d.Auth.SealedPassword, i.Auth.Password), seal(&d.Auth.SealedToken, i.Auth.Token),
		seal(&d.Auth.SealedValue, i.Auth.Value)); err != nil {
		return "", err
	}
	var err error
	if d.Headers, err = encodeKeyValues(i.Headers, seal); err != nil {
		return "", err
	}
	if d.Params, err = encodeKeyValues(i.Params, seal); err != nil {
		return "", err
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func (s *IntegrationStore) decodeIntegration(raw string, i *hookline.Integration, open bool) error {
	var d storedIntegration
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return fmt.Errorf("decode integration: %w", err)
	}
	i.Method, i.URL, i.BodyFields, i.Events = d.Method, d.URL, d.BodyFields, d.Events
	i.Auth = hookline.Auth{Type: d.Auth.Type, Username: d.Auth.Username, Name: d.Auth.Name, In: d.Auth.In}
	reveal := revealWith(s.sealer, open)
	if err := errors.Join(reveal(&i.Auth.Password, d.Auth.SealedPassword), reveal(&i.Auth.Token, d.Auth.SealedToken),
		reveal(&i.Auth.Value, d.Auth.SealedValue)); err != nil {
		return err
	}
	var err error
	if i.Headers, err = decodeKeyValues(d.Headers, reveal); err != nil {
		return err
	}
	i.Params, err = decodeKeyValues(d.Params, reveal)
	return err
}

const integrationColumns = "id, company_id, alias, status, definition, reply_token_hash, previous_token_hash, previous_until, created_at, updated_at"

func (s *IntegrationStore) scanIntegration(scan func(...any) error, open bool) (*hookline.Integration, error) {
	var i hookline.Integration
	var def string
	var prevUntil sql.NullTime
	if err := scan(&i.ID, &i.CompanyID, &i.Alias, &i.Status, &def, &i.ReplyTokenHash, &i.PreviousReplyTokenHash, &prevUntil, &i.CreatedAt, &i.UpdatedAt); err != nil {
		return nil, err
	}
	i.CreatedAt, i.UpdatedAt = i.CreatedAt.UTC(), i.UpdatedAt.UTC()
	if prevUntil.Valid {
		t := prevUntil.Time.UTC()
		i.PreviousReplyUntil = &t
	}
	if err := s.decodeIntegration(def, &i, open); err != nil {
		return nil, fmt.Errorf("integration %d: %w", i.ID, err)
	}
	return &i, nil
}

// withConnections sets the codes of the connections each integration
// holds, in one query.
func withConnections(ctx context.Context, q conn, is ...*hookline.Integration) error {
	if len(is) == 0 {
		return nil
	}
	byID := make(map[int64]*hookline.Integration, len(is))
	args := []any{hookline.HolderIntegration}
	for _, i := range is {
		i.Connections = []string{}
		byID[i.ID] = i
		args = append(args, i.ID)
	}
	rows, err := q.query(ctx, "SELECT holder_id, code FROM connections WHERE holder_kind = ? AND holder_id IN (?"+
		strings.Repeat(", ?", len(is)-1)+") ORDER BY code", args...)
	if err != nil {
		return fmt.Errorf("integration connections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return fmt.Errorf("integration connections: %w", err)
		}
		byID[id].Connections = append(byID[id].Connections, code)
	}
	return q.d.translate(rows.Err())
}

// CreateIntegration stores i and claims its connections.
func (s *IntegrationStore) CreateIntegration(ctx context.Context, scope hookline.Scope, i *hookline.Integration) error {
	def, err := s.encodeIntegration(i)
	if err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	return s.db.inTx(ctx, func(q conn) error {
		if err := findCompany(ctx, q, scope, i.CompanyID); err != nil {
			return err
		}
		now := s.db.timestamp()
		if i.Status == "" {
			i.Status = hookline.IntegrationInactive
		}
		if err := q.queryRow(ctx, `INSERT INTO integrations (company_id, alias, status, definition, reply_token_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{i.CompanyID, i.Alias, i.Status, def, i.ReplyTokenHash, now, now}, &i.ID); err != nil {
			return fmt.Errorf("create integration: %w", err)
		}
		for n, code := range i.Connections {
			if _, err := claimConnection(ctx, q, i.CompanyID, code, hookline.HolderIntegration, i.ID, fmt.Sprintf("connections[%d]", n)); err != nil {
				return err
			}
		}
		i.CreatedAt, i.UpdatedAt = now, now
		return withConnections(ctx, q, i)
	})
}

func (s *IntegrationStore) findIntegration(ctx context.Context, q conn, scope hookline.Scope, id int64, open bool) (*hookline.Integration, error) {
	cond, args := companyScope(scope, "company_id")
	row := q.row(ctx, "SELECT "+integrationColumns+" FROM integrations WHERE id = ? AND "+cond, append([]any{id}, args...)...)
	i, err := s.scanIntegration(row.Scan, open)
	if err != nil {
		return nil, notFoundAs(q.d.translate(err), "integration %d not found", id)
	}
	return i, withConnections(ctx, q, i)
}

// FindIntegration returns integration id, secrets opened, when its company
// lies within scope.
func (s *IntegrationStore) FindIntegration(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Integration, error) {
	return s.findIntegration(ctx, s.db.conn(), scope, id, true)
}

// FindIntegrations lists integrations by id, secrets masked.
func (s *IntegrationStore) FindIntegrations(ctx context.Context, f hookline.IntegrationFilter) ([]*hookline.Integration, error) {
	cond, args := companyScope(f.Scope, "company_id")
	cond, args = ordered(cond, args, f.After, f.Limit)
	q := s.db.conn()
	is, err := queryAll(ctx, q, "integrations", "SELECT "+integrationColumns+" FROM integrations WHERE "+cond, args,
		func(scan func(...any) error) (*hookline.Integration, error) { return s.scanIntegration(scan, false) })
	if err != nil {
		return nil, err
	}
	return is, withConnections(ctx, q, is...)
}

// UpdateIntegration replaces what update makes of the stored integration,
// its connections included, in one transaction.
func (s *IntegrationStore) UpdateIntegration(ctx context.Context, scope hookline.Scope, id int64, update func(stored *hookline.Integration) (*hookline.Integration, error)) (*hookline.Integration, error) {
	var out *hookline.Integration
	err := s.db.inTx(ctx, func(q conn) error {
		stored, err := s.findIntegration(ctx, q, scope, id, true)
		if err != nil {
			return err
		}
		shown := stored.Clone()
		next, err := update(&shown)
		if err != nil {
			return err
		}
		def, err := s.encodeIntegration(next)
		if err != nil {
			return fmt.Errorf("update integration %d: %w", id, err)
		}
		if len(next.Connections) > 0 {
			var names []string
			if err := linkedCampaigns(ctx, q, id, false, &names); err != nil {
				return err
			}
			if len(names) > 0 {
				return &hookline.Error{Code: hookline.CodeConflict, Field: "connections",
					Message: fmt.Sprintf("integration %d is linked to chatbot campaigns (%s), so it takes no connections of its own", id, strings.Join(names, ", "))}
			}
		}
		now := s.db.timestamp()
		if _, err := q.exec(ctx, "UPDATE integrations SET alias = ?, definition = ?, updated_at = ? WHERE id = ?", next.Alias, def, now, id); err != nil {
			return fmt.Errorf("update integration %d: %w", id, err)
		}
		if err := releaseConnections(ctx, q, hookline.HolderIntegration, id, next.Connections); err != nil {
			return err
		}
		for n, code := range next.Connections {
			if _, err := claimConnection(ctx, q, stored.CompanyID, code, hookline.HolderIntegration, id, fmt.Sprintf("connections[%d]", n)); err != nil {
				return err
			}
		}
		next.ID, next.CompanyID, next.Status, next.CreatedAt, next.UpdatedAt = id, stored.CompanyID, stored.Status, stored.CreatedAt, now
		next.ReplyTokenHash, next.PreviousReplyTokenHash, next.PreviousReplyUntil = stored.ReplyTokenHash, stored.PreviousReplyTokenHash, stored.PreviousReplyUntil
		out = next
		return withConnections(ctx, q, out)
	})
	return out, err
}

// linkedCampaigns appends to names the campaigns linked to integration id
// ("5 \"Spring sale\""), only the live ones with live.
func linkedCampaigns(ctx context.Context, q conn, id int64, live bool, names *[]string) error {
	query := "SELECT id, name FROM campaigns WHERE integration_id = ?"
	if live {
		query += " AND status = 'live'"
	}
	rows, err := q.query(ctx, query+" ORDER BY id", id)
	if err != nil {
		return fmt.Errorf("campaigns of integration %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid int64
		var name string
		if err := rows.Scan(&cid, &name); err != nil {
			return err
		}
		*names = append(*names, fmt.Sprintf("%d %q", cid, name))
	}
	return q.d.translate(rows.Err())
}

// SetIntegrationStatus starts or stops an integration. The status is
// written first, which locks the row, so that a campaign going live at the
// same time waits and then sees it.
func (s *IntegrationStore) SetIntegrationStatus(ctx context.Context, scope hookline.Scope, id int64, status hookline.IntegrationStatus) (*hookline.Integration, error) {
	var out *hookline.Integration
	err := s.db.inTx(ctx, func(q conn) error {
		cond, args := companyScope(scope, "company_id")
		res, err := q.exec(ctx, "UPDATE integrations SET status = ?, updated_at = ? WHERE id = ? AND "+cond,
			append([]any{status, s.db.timestamp(), id}, args...)...)
		if err != nil {
			return fmt.Errorf("set integration %d %s: %w", id, status, err)
		}
		if n, err := rowsChanged(res, "set integration status"); err != nil || n == 0 {
			return errors.Join(err, hookline.NotFound("integration", id))
		}
		if status == hookline.IntegrationInactive {
			var names []string
			if err := linkedCampaigns(ctx, q, id, true, &names); err != nil {
				return err
			}
			if len(names) > 0 {
				return hookline.Errorf(hookline.CodeConflict, "integration %d cannot be stopped while live campaigns use it: %s; pause them first", id, strings.Join(names, ", "))
			}
		}
		out, err = s.findIntegration(ctx, q, scope, id, false)
		return err
	})
	return out, err
}

// SetReplyToken stores a new reply token hash; the current one stays
// valid until previousUntil.
func (s *IntegrationStore) SetReplyToken(ctx context.Context, scope hookline.Scope, id int64, hash []byte, previousUntil time.Time) error {
	cond, args := companyScope(scope, "company_id")
	res, err := s.db.conn().exec(ctx, `UPDATE integrations SET previous_token_hash = reply_token_hash, previous_until = ?, reply_token_hash = ?
		WHERE id = ? AND `+cond, append([]any{storedTime(previousUntil), hash, id}, args...)...)
	if err != nil {
		return fmt.Errorf("rotate the reply token of integration %d: %w", id, err)
	}
	if n, err := rowsChanged(res, "rotate reply token"); err != nil || n == 0 {
		return errors.Join(err, hookline.NotFound("integration", id))
	}
	return nil
}

// DeleteIntegration removes an integration no campaign links, with its
// chats, and frees its connections.
func (s *IntegrationStore) DeleteIntegration(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(q conn) error {
		if _, err := s.findIntegration(ctx, q, scope, id, false); err != nil {
			return err
		}
		var live, all []string
		if err := linkedCampaigns(ctx, q, id, true, &live); err != nil {
			return err
		}
		if len(live) > 0 {
			return hookline.Errorf(hookline.CodeConflict, "integration %d cannot be deleted while live campaigns use it: %s; pause and delete them first", id, strings.Join(live, ", "))
		}
		if err := linkedCampaigns(ctx, q, id, false, &all); err != nil {
			return err
		}
		if len(all) > 0 {
			return hookline.Errorf(hookline.CodeConflict, "integration %d cannot be deleted while campaigns link it: %s; delete them first", id, strings.Join(all, ", "))
		}
		if err := releaseConnections(ctx, q, hookline.HolderIntegration, id, nil); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM chat_messages WHERE chat_id IN (SELECT id FROM chats WHERE integration_id = ?)", id); err != nil {
			return fmt.Errorf("delete integration %d: %w", id, err)
		}
		if _, err := q.exec(ctx, "DELETE FROM chats WHERE integration_id = ?", id); err != nil {
			return fmt.Errorf("delete integration %d: %w", id, err)
		}
		if _, err := q.exec(ctx, "DELETE FROM integrations WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete integration %d: %w", id, err)
		}
		return nil
	})
}

// FindIntegrationCampaigns lists the campaigns linked to an integration.
func (s *IntegrationStore) FindIntegrationCampaigns(ctx context.Context, scope hookline.Scope, id int64, after int64, limit int) ([]*hookline.IntegrationCampaign, error) {
	q := s.db.conn()
	if _, err := s.findIntegration(ctx, q, scope, id, false); err != nil {
		return nil, err
	}
	cond, args := ordered("integration_id = ?", []any{id}, after, limit)
	return queryAll(ctx, q, "campaigns", "SELECT id, name, status, integrated_at FROM campaigns WHERE "+cond, args,
		func(scan func(...any) error) (*hookline.IntegrationCampaign, error) {
			var c hookline.IntegrationCampaign
			var at sql.NullTime
			if err := scan(&c.ID, &c.Name, &c.Status, &at); err != nil {
				return nil, err
			}
			if at.Valid {
				t := at.Time.UTC()
				c.IntegratedAt = &t
			}
			return &c, nil
		})
}
