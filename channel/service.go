// Package channel is the webhook channel of seed 004: apps (client
// credentials), a bot's webhook channels, the calls outside systems make to
// them (JWT check, approval, idempotency, the bot's answer in sync mode)
// and the answers of async mode, posted to the channel's POST_URL through
// the delivery queue. The JSON API and the /chatbot/hooks edge call it.
package channel

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// BotFinder tells the service which company a bot belongs to: a channel
// is created for a bot the caller may see, in the bot's company. The bots
// service implements it.
type BotFinder interface {
	// BotCompany returns the company of bot id when the bot lies within
	// scope; CodeNotFound otherwise.
	BotCompany(ctx context.Context, scope hookline.Scope, id int64) (companyID int64, err error)
}

// Config is what the service works with.
type Config struct {
	Tenants hookline.TenantService
	Store   hookline.ChannelStore
	// Bots checks the bots channels are created for and listed by; the
	// channel routes need it, the CLI's approval does not.
	Bots BotFinder
	// Runtime runs the bots the hooks talk to.
	Runtime hookline.BotRuntime
	// Queue carries async answers to POST_URLs.
	Queue hookline.DeliveryQueue
	// PublicURL is the address outside systems reach hookline at; the
	// channels' URLs start with it.
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock (time.Now if nil), for token times and rotations.
	Now func() time.Time
}

// Service is the webhook channel's use cases. It is safe for concurrent
// use.
type Service struct {
	cfg Config
	log *slog.Logger
	// hooks keeps the channels hook calls found (see hookCache); every
	// change of a channel or an app clears it.
	hooks *hookCache
}

var (
	_ hookline.AppService     = (*Service)(nil)
	_ hookline.ChannelService = (*Service)(nil)
	_ hookline.HookService    = (*Service)(nil)
	_ hookline.BotChannels    = (*Service)(nil)
	_ hookline.ReplySink      = (*Service)(nil)
)

// NewService returns the service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log, hooks: newHookCache(hookCacheTTL, hookCacheSize, cfg.Now)}
}

// clientIDPrefix marks client ids, so that people tell them from secrets.
const clientIDPrefix = "app-"

// newApp makes an app of company with fresh credentials.
func newApp(companyID int64, name string) *hookline.App {
	var id [12]byte
	// crypto/rand.Read never returns an error.
	_, _ = rand.Read(id[:])
	return &hookline.App{CompanyID: companyID, Name: name, ClientID: clientIDPrefix + hex.EncodeToString(id[:]),
		ClientSecret: newSecret()}
}

// newSecret makes a client secret: 32 random bytes, base64url, the HS256
// key of the app's tokens.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// showApp is an app as callers see it: its secret masked, and the end of a
// rotation's overlap only while it lasts.
func (s *Service) showApp(a *hookline.App) *hookline.App {
	out := *a
	out.ClientSecret, out.PreviousSecret = hookline.SecretMask, ""
	if out.PreviousUntil != nil && !out.PreviousUntil.After(s.cfg.Now()) {
		out.PreviousUntil = nil
	}
	return &out
}

// CreateApp creates an app with fresh credentials for the caller's
// company (or the one it names).
func (s *Service) CreateApp(ctx context.Context, c *hookline.Caller, in hookline.AppInput) (*hookline.NewAppSecret, error) {
	if err := hookline.Required(hookline.Has("name", in.Name != nil)); err != nil {
		return nil, err
	}
	if err := hookline.ValidateChannelName("name", *in.Name); err != nil {
		return nil, err
	}
	company, err := s.cfg.Tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	a := newApp(company.ID, *in.Name)
	if err := s.cfg.Store.CreateApp(ctx, c.Scope(), a); err != nil {
		return nil, err
	}
	return &hookline.NewAppSecret{ID: a.ID, CompanyID: a.CompanyID, Name: a.Name, ClientID: a.ClientID,
		ClientSecret: a.ClientSecret, CreatedAt: a.CreatedAt}, nil
}

// FindApp returns an app the caller may see.
func (s *Service) FindApp(ctx context.Context, c *hookline.Caller, id int64) (*hookline.App, error) {
	a, err := s.cfg.Store.FindApp(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	return s.showApp(a), nil
}

// FindApps lists one page of the apps the caller sees.
func (s *Service) FindApps(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.App], error) {
	scope, err := s.cfg.Tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.App]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.App]{}, err
	}
	apps, err := s.cfg.Store.FindApps(ctx, hookline.AppFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.App]{}, err
	}
	for i, a := range apps {
		apps[i] = s.showApp(a)
	}
	return hookline.PageOf(apps, limit, func(a *hookline.App) int64 { return a.ID }), nil
}

// DeleteApp deletes an app no channel uses.
func (s *Service) DeleteApp(ctx context.Context, c *hookline.Caller, id int64) error {
	defer s.hooks.clear()
	return s.cfg.Store.DeleteApp(ctx, c.Scope(), id)
}

// RotateAppSecret gives an app a new client secret; tokens signed with the
// old one are accepted for hookline.AppSecretRotation more.
func (s *Service) RotateAppSecret(ctx context.Context, c *hookline.Caller, id int64) (*hookline.NewAppSecret, error) {
	secret := newSecret()
	defer s.hooks.clear()
	a, err := s.cfg.Store.RotateAppSecret(ctx, c.Scope(), id, secret, s.cfg.Now().Add(hookline.AppSecretRotation))
	if err != nil {
		return nil, err
	}
	return &hookline.NewAppSecret{ID: a.ID, CompanyID: a.CompanyID, Name: a.Name, ClientID: a.ClientID,
		ClientSecret: secret, PreviousUntil: a.PreviousUntil, CreatedAt: a.CreatedAt}, nil
}

// hookPath is where a channel answers, below the public URL.
func hookPath(botID, id int64) string {
	return fmt.Sprintf("/chatbot/hooks/%d/hookInstance/%d", botID, id)
}

// show is a channel as callers see it: its token masked, its URL set.
func (s *Service) show(ch *hookline.Channel) *hookline.Channel {
	out := ch.Masked()
	out.URL = s.cfg.PublicURL + hookPath(ch.BotID, ch.ID)
	return &out
}

// botCompany resolves the bot a channel call names, within the caller's
// scope.
func (s *Service) botCompany(ctx context.Context, c *hookline.Caller, botID int64) (int64, error) {
	if s.cfg.Bots == nil {
		return 0, fmt.Errorf("channel service: no bot finder configured")
	}
	companyID, err := s.cfg.Bots.BotCompany(ctx, c.Scope(), botID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return 0, hookline.NotFound("bot", botID)
	}
	return companyID, err
}

// CreateChannel creates a webhook channel for a bot, with a new app named
// after it unless in names one of the bot's company.
func (s *Service) CreateChannel(ctx context.Context, c *hookline.Caller, botID int64, in hookline.ChannelInput) (*hookline.NewChannel, error) {
	if err := hookline.Required(hookline.Has("type", in.Type != nil), hookline.Has("name", in.Name != nil)); err != nil {
		return nil, err
	}
	companyID, err := s.botCompany(ctx, c, botID)
	if err != nil {
		return nil, err
	}
	if in.CompanyID != nil && *in.CompanyID != companyID {
		return nil, &hookline.Error{Code: hookline.CodeNotFound, Field: "company_id",
			Message: fmt.Sprintf("bot %d is not in company %d; leave company_id out, a channel belongs to its bot's company", botID, *in.CompanyID)}
	}
	ch := &hookline.Channel{CompanyID: companyID, BotID: botID, Type: *in.Type, Name: *in.Name,
		Mode: hookline.ChannelSync, AppID: in.AppID, Enabled: true}
	if in.Mode != nil {
		ch.Mode = *in.Mode
	}
	if in.PostURL != nil {
		ch.PostURL = *in.PostURL
	}
	if in.AccessToken != nil {
		if *in.AccessToken == hookline.SecretMask {
			return nil, hookline.Invalid("access_token", "is masked but no token is stored; send the token itself")
		}
		ch.AccessToken = *in.AccessToken
	}
	if in.RequireExp != nil {
		ch.RequireExp = *in.RequireExp
	}
	if err := ch.Validate(""); err != nil {
		return nil, err
	}
	var app *hookline.App
	if in.AppID == nil {
		app = newApp(companyID, ch.Name)
	}
	defer s.hooks.clear()
	if err := s.cfg.Store.CreateChannel(ctx, c.Scope(), ch, app); err != nil {
		return nil, err
	}
	out := &hookline.NewChannel{Channel: *s.show(ch)}
	if app != nil {
		out.ClientSecret = app.ClientSecret
	}
	return out, nil
}

// FindChannel returns a channel the caller may see.
func (s *Service) FindChannel(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Channel, error) {
	ch, err := s.cfg.Store.FindChannel(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	return s.show(ch), nil
}

// FindChannels lists one page of a bot's channels.
func (s *Service) FindChannels(ctx context.Context, c *hookline.Caller, botID int64, page hookline.PageRequest) (hookline.Page[*hookline.Channel], error) {
	if _, err := s.botCompany(ctx, c, botID); err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	chs, err := s.cfg.Store.FindChannels(ctx, hookline.ChannelFilter{Scope: c.Scope(), BotID: botID, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	for i, ch := range chs {
		chs[i] = s.show(ch)
	}
	return hookline.PageOf(chs, limit, func(ch *hookline.Channel) int64 { return ch.ID }), nil
}

// FindAllChannels lists one page of the channels of every bot the caller
// sees, narrowed to one company and by approval: the operator's list of
// channels waiting for approval is this with Approved false.
func (s *Service) FindAllChannels(ctx context.Context, c *hookline.Caller, companyID int64, f hookline.ChannelListFilter, page hookline.PageRequest) (hookline.Page[*hookline.Channel], error) {
	scope, err := s.cfg.Tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	chs, err := s.cfg.Store.FindChannels(ctx, hookline.ChannelFilter{Scope: scope, Approved: f.Approved, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Channel]{}, err
	}
	for i, ch := range chs {
		chs[i] = s.show(ch)
	}
	return hookline.PageOf(chs, limit, func(ch *hookline.Channel) int64 { return ch.ID }), nil
}

// UpdateChannel changes what the patch sends: the app (one of the bot's
// company), mode, POST_URL, access token, name, require_exp.
func (s *Service) UpdateChannel(ctx context.Context, c *hookline.Caller, id int64, in hookline.ChannelPatch) (*hookline.Channel, error) {
	defer s.hooks.clear()
	ch, err := s.cfg.Store.UpdateChannel(ctx, c.Scope(), id, func(ch *hookline.Channel) error {
		if in.Name != nil {
			ch.Name = *in.Name
		}
		if in.AppID != nil {
			ch.AppID = in.AppID
		}
		if in.Mode != nil {
			ch.Mode = *in.Mode
		}
		if in.PostURL != nil {
			ch.PostURL = *in.PostURL
		}
		if in.AccessToken != nil {
			if *in.AccessToken == hookline.SecretMask && ch.AccessToken != hookline.SecretMask {
				return hookline.Invalid("access_token", "is masked but no token is stored; send the token itself")
			}
			ch.AccessToken = *in.AccessToken
		}
		if in.RequireExp != nil {
			ch.RequireExp = *in.RequireExp
		}
		return ch.Validate("")
	})
	if err != nil {
		return nil, err
	}
	return s.show(ch), nil
}

// DeleteChannel deletes a channel; answers waiting for its POST_URL are
// canceled when their turn comes.
func (s *Service) DeleteChannel(ctx context.Context, c *hookline.Caller, id int64) error {
	defer s.hooks.clear()
	return s.cfg.Store.DeleteChannel(ctx, c.Scope(), id)
}

// ApproveChannel approves a channel: the operator's decision, so only admin
// keys (and the CLI) make it. Approving an approved channel keeps its
// first approval time.
func (s *Service) ApproveChannel(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Channel, error) {
	if !c.IsAdmin() {
		return nil, hookline.Errorf(hookline.CodeForbidden, "only the operator approves channels, with an admin key (or hookline channel approve %d)", id)
	}
	defer s.hooks.clear()
	ch, err := s.cfg.Store.UpdateChannel(ctx, c.Scope(), id, func(ch *hookline.Channel) error {
		if ch.ApprovedAt == nil {
			now := s.cfg.Now().UTC()
			ch.ApprovedAt = &now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.show(ch), nil
}

// SetChannelEnabled enables or disables a channel.
func (s *Service) SetChannelEnabled(ctx context.Context, c *hookline.Caller, id int64, enabled bool) (*hookline.Channel, error) {
	defer s.hooks.clear()
	ch, err := s.cfg.Store.UpdateChannel(ctx, c.Scope(), id, func(ch *hookline.Channel) error {
		ch.Enabled = enabled
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.show(ch), nil
}
