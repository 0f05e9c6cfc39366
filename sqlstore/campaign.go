package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookline/hookline"
)

const campaignColumns = "c.id, c.company_id, c.name, c.type, n.code, c.integration_id, c.bot_id, c.keywords, c.reply, c.status, c.integrated_at, c.created_at, c.updated_at"

const campaignFrom = " FROM campaigns c JOIN connections n ON n.id = c.connection_id"

func scanCampaign(scan func(...any) error) (*hookline.Campaign, error) {
	var c hookline.Campaign
	var integration, bot sql.NullInt64
	var keywords string
	var at sql.NullTime
	if err := scan(&c.ID, &c.CompanyID, &c.Name, &c.Type, &c.Connection, &integration, &bot, &keywords, &c.Reply, &c.Status, &at, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if integration.Valid {
		c.IntegrationID = &integration.Int64
	}
	if bot.Valid {
		c.BotID = &bot.Int64
	}
	if at.Valid {
		t := at.Time.UTC()
		c.IntegratedAt = &t
	}
	if err := json.Unmarshal([]byte(keywords), &c.Keywords); err != nil {
		return nil, fmt.Errorf("campaign %d: keywords: %w", c.ID, err)
	}
	return &c, nil
}

// CreateCampaign stores c, checks its integration and claims its
// connection.
func (s *IntegrationStore) CreateCampaign(ctx context.Context, scope hookline.Scope, c *hookline.Campaign) error {
	keywords, err := json.Marshal(c.Keywords)
	if err != nil {
		return err
	}
	if c.Keywords == nil {
		keywords = []byte("[]")
	}
	return s.db.inTx(ctx, func(q conn) error {
		if err := findCompany(ctx, q, scope, c.CompanyID); err != nil {
			return err
		}
		if c.IntegrationID != nil {
			// Locking the integration's row (a no-op write) keeps it from
			// being stopped until this campaign is stored.
			res, err := q.exec(ctx, "UPDATE integrations SET updated_at = updated_at WHERE id = ? AND company_id = ?", *c.IntegrationID, c.CompanyID)
			if err != nil {
				return err
			}
			if n, err := rowsChanged(res, "lock integration"); err != nil || n == 0 {
				return errors.Join(err, &hookline.Error{Code: hookline.CodeNotFound, Field: "integration_id", Message: fmt.Sprintf("integration %d not found", *c.IntegrationID)})
			}
			i, err := s.findIntegration(ctx, q, hookline.AdminScope(), *c.IntegrationID, false)
			if err != nil {
				return err
			}
			if len(i.Connections) > 0 {
				return &hookline.Error{Code: hookline.CodeConflict, Field: "integration_id",
					Message: fmt.Sprintf("integration %d has connections of its own (%v): a chatbot campaign takes an integration without connections", i.ID, i.Connections)}
			}
			if i.Status != hookline.IntegrationActive {
				return &hookline.Error{Code: hookline.CodeConflict, Field: "integration_id",
					Message: fmt.Sprintf("integration %d is inactive: start it (POST /api/v1/integrations/%d/start) before linking a campaign to it", i.ID, i.ID)}
			}
		}
		now := s.db.timestamp()
		// The row names its connection; the claim after the insert sets
		// the connection's holder, refusing one held by something else.
		var connID int64
		var holderKind sql.NullString
		var holderID sql.NullInt64
		err := q.queryRow(ctx, "SELECT id, holder_kind, holder_id FROM connections WHERE company_id = ? AND code = ?", []any{c.CompanyID, c.Connection},
			&connID, &holderKind, &holderID)
		if isCode(err, hookline.CodeNotFound) {
			return withMessage(err, "connection", "connection %q not found", c.Connection)
		}
		if err != nil {
			return err
		}
		if holderKind.Valid {
			// Checked before the insert: on PostgreSQL a refused insert
			// would abort the transaction this error is worded in.
			e := holderConflict(ctx, q, c.Connection, holderKind.String, holderID.Int64, "free it first")
			return &hookline.Error{Code: hookline.CodeConflict, Field: "connection", Message: hookline.ErrorMessage(e)}
		}
		err = q.queryRow(ctx, `INSERT INTO campaigns (company_id, name, type, connection_id, integration_id, bot_id, keywords, reply, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{c.CompanyID, c.Name, c.Type, connID, nullRef(c.IntegrationID), nullRef(c.BotID), string(keywords), c.Reply, hookline.CampaignDraft, now, now}, &c.ID)
		if isCode(err, hookline.CodeConflict) {
			return withMessage(err, "connection", "connection %q was taken by another campaign meanwhile", c.Connection)
		}
		if err != nil {
			return fmt.Errorf("create campaign: %w", err)
		}
		if _, err := claimConnection(ctx, q, c.CompanyID, c.Connection, hookline.HolderCampaign, c.ID, "connection"); err != nil {
			return err
		}
		c.Status, c.CreatedAt, c.UpdatedAt = hookline.CampaignDraft, now, now
		return nil
	})
}

func (s *IntegrationStore) findCampaign(ctx context.Context, q conn, scope hookline.Scope, id int64) (*hookline.Campaign, error) {
	cond, args := companyScope(scope, "c.company_id")
	row := q.row(ctx, "SELECT "+campaignColumns+campaignFrom+" WHERE c.id = ? AND "+cond, append([]any{id}, args...)...)
	c, err := scanCampaign(row.Scan)
	if err != nil {
		return nil, notFoundAs(q.d.translate(err), "campaign %d not found", id)
	}
	return c, nil
}

// FindCampaign returns campaign id when its company lies within scope.
func (s *IntegrationStore) FindCampaign(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Campaign, error) {
	return s.findCampaign(ctx, s.db.conn(), scope, id)
}

// FindCampaigns lists campaigns by id.
func (s *IntegrationStore) FindCampaigns(ctx context.Context, f hookline.CampaignFilter) ([]*hookline.Campaign, error) {
	cond, args := companyScope(f.Scope, "c.company_id")
	if f.After != 0 {
		cond += " AND c.id > ?"
		args = append(args, f.After)
	}
	cond += " ORDER BY c.id"
	if f.Limit > 0 {
		cond += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return queryAll(ctx, s.db.conn(), "campaigns", "SELECT "+campaignColumns+campaignFrom+" WHERE "+cond, args, scanCampaign)
}

// SetCampaignStatus makes a campaign live or paused. Going live with an
// integration locks the integration's row while it checks that it is
// active, so that a stop at the same time waits and then sees the
// campaign live.
func (s *IntegrationStore) SetCampaignStatus(ctx context.Context, scope hookline.Scope, id int64, status hookline.CampaignStatus) (*hookline.Campaign, error) {
	var out *hookline.Campaign
	err := s.db.inTx(ctx, func(q conn) error {
		c, err := s.findCampaign(ctx, q, scope, id)
		if err != nil {
			return err
		}
		now := s.db.timestamp()
		integrated := sql.NullTime{}
		if c.IntegratedAt != nil {
			integrated = sql.NullTime{Time: *c.IntegratedAt, Valid: true}
		}
		if status == hookline.CampaignLive && c.IntegrationID != nil {
			res, err := q.exec(ctx, "UPDATE integrations SET updated_at = updated_at WHERE id = ? AND status = ?", *c.IntegrationID, hookline.IntegrationActive)
			if err != nil {
				return err
			}
			if n, err := rowsChanged(res, "lock integration"); err != nil || n == 0 {
				return errors.Join(err, hookline.Errorf(hookline.CodeConflict, "campaign %d cannot go live: its integration %d is inactive; start it first", id, *c.IntegrationID))
			}
			if !integrated.Valid {
				integrated = sql.NullTime{Time: now, Valid: true}
			}
		}
		if _, err := q.exec(ctx, "UPDATE campaigns SET status = ?, integrated_at = ?, updated_at = ? WHERE id = ?", status, integrated, now, id); err != nil {
			return fmt.Errorf("set campaign %d %s: %w", id, status, err)
		}
		out, err = s.findCampaign(ctx, q, scope, id)
		return err
	})
	return out, err
}

// DeleteCampaign removes a campaign that is not live and frees its
// connection.
func (s *IntegrationStore) DeleteCampaign(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(q conn) error {
		c, err := s.findCampaign(ctx, q, scope, id)
		if err != nil {
			return err
		}
		if c.Status == hookline.CampaignLive {
			return hookline.Errorf(hookline.CodeConflict, "campaign %d is live; pause it (POST /api/v1/campaigns/%d/pause) before deleting it", id, id)
		}
		if err := releaseConnections(ctx, q, hookline.HolderCampaign, id, nil); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM campaigns WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete campaign %d: %w", id, err)
		}
		return nil
	})
}

// FindConnectionCampaign returns the campaign holding a connection.
func (s *IntegrationStore) FindConnectionCampaign(ctx context.Context, connectionID int64) (*hookline.Campaign, error) {
	row := s.db.conn().row(ctx, "SELECT "+campaignColumns+campaignFrom+" WHERE c.connection_id = ?", connectionID)
	c, err := scanCampaign(row.Scan)
	if err != nil {
		return nil, notFoundAs(s.db.dialect.translate(err), "no campaign holds connection %d", connectionID)
	}
	return c, nil
}
