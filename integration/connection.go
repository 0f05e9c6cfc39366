package integration

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

// showConnection is a connection as callers see it: secrets masked, with
// the URL to configure at the provider.
func (s *Service) showConnection(c *hookline.Connection) *hookline.Connection {
	out := *c
	out.Provider = c.Provider.Masked()
	out.InboundURL = s.cfg.PublicURL + c.InboundPath()
	return &out
}

// CreateConnection creates a connection; its code is unique across all
// tenants.
func (s *Service) CreateConnection(ctx context.Context, c *hookline.Caller, in hookline.ConnectionInput) (*hookline.Connection, error) {
	defer s.lookups.clear()
	if err := hookline.Required(hookline.Has("type", in.Type != nil), hookline.Has("code", in.Code != nil), hookline.Has("provider", in.Provider != nil)); err != nil {
		return nil, err
	}
	company, err := s.cfg.Tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	conn := &hookline.Connection{CompanyID: company.ID, Type: hookline.ConnectionType(strings.ToLower(strings.TrimSpace(string(*in.Type)))),
		Code: strings.TrimSpace(*in.Code), Provider: *in.Provider}
	if conn.Type != hookline.ConnectionSMS && conn.Type != hookline.ConnectionWhatsApp {
		return nil, hookline.Invalid("type", "%q is not supported; use sms or whatsapp", *in.Type)
	}
	if err := hookline.ValidateConnectionCode(conn.Code); err != nil {
		return nil, err
	}
	if err := conn.Provider.Validate(conn.Type); err != nil {
		return nil, err
	}
	if err := s.cfg.Connections.CreateConnection(ctx, c.Scope(), conn); err != nil {
		return nil, err
	}
	return s.showConnection(conn), nil
}

// FindConnection returns a connection the caller may see.
func (s *Service) FindConnection(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Connection, error) {
	conn, err := s.cfg.Connections.FindConnection(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	return s.showConnection(conn), nil
}

// FindConnections lists one page of connections.
func (s *Service) FindConnections(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Connection], error) {
	scope, err := s.cfg.Tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Connection]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Connection]{}, err
	}
	cs, err := s.cfg.Connections.FindConnections(ctx, hookline.ConnectionFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Connection]{}, err
	}
	for n, conn := range cs {
		cs[n] = s.showConnection(conn)
	}
	return hookline.PageOf(cs, limit, func(c *hookline.Connection) int64 { return c.ID }), nil
}

// DeleteConnection deletes a connection nothing holds; replies waiting
// in the queue for it are canceled.
func (s *Service) DeleteConnection(ctx context.Context, c *hookline.Caller, id int64) error {
	defer s.lookups.clear()
	if err := s.cfg.Connections.DeleteConnection(ctx, c.Scope(), id); err != nil {
		return err
	}
	if _, err := s.cfg.Secrets.CancelTargetDeliveries(ctx, hookline.TargetConnection, id); err != nil {
		return fmt.Errorf("connection %d deleted, but its pending replies were not canceled: %w", id, err)
	}
	return nil
}

// CreateCampaign creates a draft campaign holding its connection.
func (s *Service) CreateCampaign(ctx context.Context, c *hookline.Caller, in hookline.CampaignInput) (*hookline.Campaign, error) {
	defer s.lookups.clear()
	company, err := s.cfg.Tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	camp, err := in.Campaign()
	if err != nil {
		return nil, err
	}
	camp.CompanyID = company.ID
	if camp.BotID != nil {
		if s.cfg.Bots == nil || s.cfg.Runtime == nil {
			return nil, hookline.Invalid("bot_id", "this server runs no bots; link an integration instead")
		}
		if err := s.cfg.Bots.CheckBot(ctx, company.ID, *camp.BotID); err != nil {
			if hookline.ErrorCode(err) == hookline.CodeNotFound {
				return nil, &hookline.Error{Code: hookline.CodeNotFound, Field: "bot_id", Message: fmt.Sprintf("bot %d not found", *camp.BotID), Err: err}
			}
			return nil, err
		}
	}
	if err := s.cfg.Campaigns.CreateCampaign(ctx, c.Scope(), camp); err != nil {
		return nil, err
	}
	return camp, nil
}

// FindCampaign returns a campaign the caller may see.
func (s *Service) FindCampaign(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Campaign, error) {
	return s.cfg.Campaigns.FindCampaign(ctx, c.Scope(), id)
}

// FindCampaigns lists one page of campaigns.
func (s *Service) FindCampaigns(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Campaign], error) {
	scope, err := s.cfg.Tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Campaign]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Campaign]{}, err
	}
	cs, err := s.cfg.Campaigns.FindCampaigns(ctx, hookline.CampaignFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Campaign]{}, err
	}
	return hookline.PageOf(cs, limit, func(c *hookline.Campaign) int64 { return c.ID }), nil
}

// GoLive makes a campaign act on its connection's messages.
func (s *Service) GoLive(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Campaign, error) {
	defer s.lookups.clear()
	return s.cfg.Campaigns.SetCampaignStatus(ctx, c.Scope(), id, hookline.CampaignLive)
}

// Pause stops a campaign acting.
func (s *Service) Pause(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Campaign, error) {
	defer s.lookups.clear()
	return s.cfg.Campaigns.SetCampaignStatus(ctx, c.Scope(), id, hookline.CampaignPaused)
}

// DeleteCampaign deletes a campaign that is not live.
func (s *Service) DeleteCampaign(ctx context.Context, c *hookline.Caller, id int64) error {
	defer s.lookups.clear()
	return s.cfg.Campaigns.DeleteCampaign(ctx, c.Scope(), id)
}
