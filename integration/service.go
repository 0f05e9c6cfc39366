// Package integration is the Custom Webhook integration (seed 003):
// integrations, the provider connections contacts write to, campaigns,
// and the chats that tie them together. A contact's message on a
// connection opens or continues a chat and goes to the integration as a
// signed MESSAGE event; the customer's replies go back to the contact
// through the connection's provider; ending a chat sends END after
// everything before it. Every event and every reply goes through the
// delivery queue, the chat being the ordering key.
package integration

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/webhook"
)

// Bots checks the bots chatbot campaigns name; the bot runtime implements
// it.
type Bots interface {
	// CheckBot returns nil when the company has the bot, CodeNotFound
	// otherwise.
	CheckBot(ctx context.Context, companyID, botID int64) error
}

// SigningSecrets is the part of the delivery store the service uses: an
// integration's Standard Webhooks secret, and the deliveries left waiting
// for a deleted target.
type SigningSecrets interface {
	RotateSigningSecret(ctx context.Context, kind hookline.TargetKind, id, companyID int64, secret string, previousUntil time.Time) error
	CancelTargetDeliveries(ctx context.Context, kind hookline.TargetKind, id int64) (int, error)
}

// Config is what the service needs.
type Config struct {
	Tenants      hookline.TenantService
	Connections  hookline.ConnectionStore
	Integrations hookline.IntegrationStore
	Campaigns    hookline.CampaignStore
	Chats        hookline.ChatStore
	Queue        hookline.DeliveryOutbox
	Secrets      SigningSecrets
	// NewSecret makes a signing secret (delivery.NewSecret).
	NewSecret func() string
	// Exec renders an integration's method, URL, params and headers as
	// the Webhook Builder renders a webhook's.
	Exec *webhook.Executor
	// Client resolves WhatsApp media ids through the Graph API.
	Client *egress.Client
	// PublicURL is where outside systems reach hookline.
	PublicURL string
	// Bots and Runtime serve chatbot campaigns with a bot; nil: bot_id
	// is refused.
	Bots    Bots
	Runtime hookline.BotRuntime
	// Lookups keeps the connections and integrations provider messages
	// look up; the queue's IntegrationTargets should share it. nil: the
	// service makes its own.
	Lookups *Lookups
	Logger  *slog.Logger
	Now     func() time.Time
}

// Service implements the integration, connection, campaign and inbound
// services. It is safe for concurrent use. Every change it makes to
// integrations, connections and campaigns clears its Lookups.
type Service struct {
	cfg     Config
	log     *slog.Logger
	lookups *Lookups
}

var (
	_ hookline.IntegrationService = (*Service)(nil)
	_ hookline.ConnectionService  = (*Service)(nil)
	_ hookline.CampaignService    = (*Service)(nil)
	_ hookline.InboundService     = (*Service)(nil)
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
	lookups := cfg.Lookups
	if lookups == nil {
		lookups = NewLookups(cfg.Now)
	}
	return &Service{cfg: cfg, log: log, lookups: lookups}
}

// showIntegration is an integration as callers see it: secrets masked,
// empty lists as [].
func showIntegration(i *hookline.Integration) *hookline.Integration {
	out := i.Clone()
	def := out.Webhook().Masked()
	out.Auth, out.Headers, out.Params = def.Auth, def.Headers, def.Params
	if out.Headers == nil {
		out.Headers = []hookline.KeyValue{}
	}
	if out.Params == nil {
		out.Params = []hookline.KeyValue{}
	}
	if out.Connections == nil {
		out.Connections = []string{}
	}
	out.ReplyToken, out.SigningSecret = hookline.SecretMask, hookline.SecretMask
	return &out
}

// checkDefinition validates an integration definition for saving against
// the stored one (nil when new): its own rules, then the Webhook Builder's
// for its method, URL, auth, headers and params (secret policy included).
func checkDefinition(def *hookline.IntegrationDefinition, stored *hookline.IntegrationDefinition) error {
	if err := def.Validate(); err != nil {
		return err
	}
	if err := CheckBodyFields(def.BodyFields); err != nil {
		return err
	}
	wd := def.Webhook()
	var before *hookline.WebhookDefinition
	if stored != nil {
		b := stored.Webhook()
		before = &b
	}
	if err := webhook.CheckSave(&wd, before); err != nil {
		if hookline.ErrorField(err) == "name" {
			return &hookline.Error{Code: hookline.ErrorCode(err), Field: "alias", Message: hookline.ErrorMessage(err), Err: err}
		}
		return err
	}
	def.Auth, def.Headers, def.Params = wd.Auth, wd.Headers, wd.Params
	return nil
}

func checkCodes(codes []string) error {
	seen := map[string]int{}
	for i, code := range codes {
		if err := hookline.ValidateConnectionCode(code); err != nil {
			return hookline.Invalid(fmt.Sprintf("connections[%d]", i), "%s", hookline.ErrorMessage(err))
		}
		if j, dup := seen[code]; dup {
			return hookline.Invalid(fmt.Sprintf("connections[%d]", i), "%q repeats connections[%d]", code, j)
		}
		seen[code] = i
	}
	return nil
}

// CreateIntegration creates an inactive integration with its signing
// secret and reply token, both shown in this answer only.
func (s *Service) CreateIntegration(ctx context.Context, c *hookline.Caller, in hookline.IntegrationInput) (*hookline.NewIntegration, error) {
	defer s.lookups.clear()
	company, err := s.cfg.Tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	def := in.IntegrationDefinition
	if err := checkDefinition(&def, nil); err != nil {
		return nil, err
	}
	if err := checkCodes(in.Connections); err != nil {
		return nil, err
	}
	token, hash := hookline.NewReplyTokenSecret()
	i := &hookline.Integration{CompanyID: company.ID, IntegrationDefinition: def, Status: hookline.IntegrationInactive,
		Connections: in.Connections, ReplyTokenHash: hash}
	if err := s.cfg.Integrations.CreateIntegration(ctx, c.Scope(), i); err != nil {
		return nil, err
	}
	secret := s.cfg.NewSecret()
	if err := s.cfg.Secrets.RotateSigningSecret(ctx, hookline.TargetIntegration, i.ID, i.CompanyID, secret, s.cfg.Now()); err != nil {
		// Without its secret the integration could not sign: it goes.
		_ = s.cfg.Integrations.DeleteIntegration(context.WithoutCancel(ctx), hookline.AdminScope(), i.ID)
		return nil, fmt.Errorf("create integration: signing secret: %w", err)
	}
	return &hookline.NewIntegration{Integration: *showIntegration(i), SigningSecret: secret, ReplyToken: token}, nil
}

// FindIntegration returns an integration the caller may see.
func (s *Service) FindIntegration(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Integration, error) {
	i, err := s.cfg.Integrations.FindIntegration(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	return showIntegration(i), nil
}

// FindIntegrations lists one page of integrations.
func (s *Service) FindIntegrations(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Integration], error) {
	scope, err := s.cfg.Tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Integration]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Integration]{}, err
	}
	is, err := s.cfg.Integrations.FindIntegrations(ctx, hookline.IntegrationFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Integration]{}, err
	}
	for n, i := range is {
		is[n] = showIntegration(i)
	}
	return hookline.PageOf(is, limit, func(i *hookline.Integration) int64 { return i.ID }), nil
}

// ReplaceIntegration replaces an integration's definition and connections.
// Secrets sent masked, or left out while the auth type stays, keep the
// stored ones.
func (s *Service) ReplaceIntegration(ctx context.Context, c *hookline.Caller, id int64, in hookline.IntegrationInput) (*hookline.Integration, error) {
	defer s.lookups.clear()
	if err := checkCodes(in.Connections); err != nil {
		return nil, err
	}
	i, err := s.cfg.Integrations.UpdateIntegration(ctx, c.Scope(), id, func(stored *hookline.Integration) (*hookline.Integration, error) {
		if in.CompanyID != nil && *in.CompanyID != stored.CompanyID {
			return nil, hookline.Invalid("company_id", "an integration stays in its company (%d)", stored.CompanyID)
		}
		def := in.IntegrationDefinition
		if err := checkDefinition(&def, &stored.IntegrationDefinition); err != nil {
			return nil, err
		}
		next := stored.Clone()
		next.IntegrationDefinition, next.Connections = def, in.Connections
		return &next, nil
	})
	if err != nil {
		return nil, err
	}
	return showIntegration(i), nil
}

// DeleteIntegration deletes an integration no campaign links, with its
// chats; what waits in the queue for it is canceled.
func (s *Service) DeleteIntegration(ctx context.Context, c *hookline.Caller, id int64) error {
	defer s.lookups.clear()
	if err := s.cfg.Integrations.DeleteIntegration(ctx, c.Scope(), id); err != nil {
		return err
	}
	if _, err := s.cfg.Secrets.CancelTargetDeliveries(ctx, hookline.TargetIntegration, id); err != nil {
		return fmt.Errorf("integration %d deleted, but its pending events were not canceled: %w", id, err)
	}
	return nil
}

// StartIntegration makes an integration forward chats.
func (s *Service) StartIntegration(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Integration, error) {
	defer s.lookups.clear()
	i, err := s.cfg.Integrations.SetIntegrationStatus(ctx, c.Scope(), id, hookline.IntegrationActive)
	if err != nil {
		return nil, err
	}
	return showIntegration(i), nil
}

// StopIntegration stops it; refused while live campaigns use it.
func (s *Service) StopIntegration(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Integration, error) {
	defer s.lookups.clear()
	i, err := s.cfg.Integrations.SetIntegrationStatus(ctx, c.Scope(), id, hookline.IntegrationInactive)
	if err != nil {
		return nil, err
	}
	return showIntegration(i), nil
}

// RotateReplyToken makes a new reply token; the previous one keeps working
// for hookline.ReplyTokenOverlap.
func (s *Service) RotateReplyToken(ctx context.Context, c *hookline.Caller, id int64) (*hookline.NewReplyToken, error) {
	defer s.lookups.clear()
	token, hash := hookline.NewReplyTokenSecret()
	until := s.cfg.Now().Add(hookline.ReplyTokenOverlap).UTC().Truncate(time.Second)
	if err := s.cfg.Integrations.SetReplyToken(ctx, c.Scope(), id, hash, until); err != nil {
		return nil, err
	}
	return &hookline.NewReplyToken{ReplyToken: token, PreviousUntil: until}, nil
}

// FindIntegrationCampaigns lists the campaigns linked to an integration.
func (s *Service) FindIntegrationCampaigns(ctx context.Context, c *hookline.Caller, id int64, page hookline.PageRequest) (hookline.Page[*hookline.IntegrationCampaign], error) {
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.IntegrationCampaign]{}, err
	}
	cs, err := s.cfg.Integrations.FindIntegrationCampaigns(ctx, c.Scope(), id, after, limit+1)
	if err != nil {
		return hookline.Page[*hookline.IntegrationCampaign]{}, err
	}
	return hookline.PageOf(cs, limit, func(c *hookline.IntegrationCampaign) int64 { return c.ID }), nil
}

// APIDetails is the API Details tab: the reply URL, its headers and
// parameters, an example request and the answers.
func (s *Service) APIDetails(ctx context.Context, c *hookline.Caller, id int64) (*hookline.APIDetails, error) {
	i, err := s.cfg.Integrations.FindIntegration(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("%s/api/v1/integrations/%d/chats/{chatId}", s.cfg.PublicURL, i.ID)
	sample := hookline.ChatEvent{ChatID: 1042, Contact: "+15551234567", Event: hookline.EventMessage, Text: "Hello, I need help with my order",
		Connection: hookline.EventConnection{Type: hookline.ConnectionSMS, Code: "my-sms"}, Timestamp: "2026-01-02T15:04:05Z"}
	ev, _ := decodeEvent(sample.JSON())
	body, err := Body(i.BodyFields, ev)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	return &hookline.APIDetails{
		ReplyURL: base + "/messages",
		EndURL:   base + "/end",
		Method:   http.MethodPost,
		Headers: map[string]string{
			"Authorization": "Bearer <reply_token> (or an API key of the company)",
			"Content-Type":  "application/json",
		},
		Params:  map[string]string{"chatId": "the chatId of the events: the chat to answer in; the contact must have started it"},
		Request: json.RawMessage(`{"text": "Thanks for writing! Your order ships today.", "multimedia": {"url": "https://example.com/receipt.pdf", "caption": "Your receipt"}}`),
		Responses: map[string]any{
			"202": hookline.ChatMessage{ID: 1, ChatID: 1042, Direction: hookline.DirectionOut, Text: "Thanks for writing! Your order ships today.", DeliveryIDs: []int64{1}, CreatedAt: now},
			"401": map[string]any{"error": map[string]string{"code": "unauthorized", "message": "the reply token is not valid for this integration"}},
			"404": map[string]any{"error": map[string]string{"code": "not_found", "message": fmt.Sprintf("chat 1042 of integration %d not found", i.ID)}},
			"409": map[string]any{"error": map[string]string{"code": "conflict", "message": "chat 1042 ended at 2026-01-02T16:00:00Z; a new message from the contact starts a new chat"}},
		},
		SampleEvent: body,
	}, nil
}

// requestHash is the idempotency hash of a queue key whose request is
// made once per key: the key itself, so that the same event queued again
// after its integration changed still finds the first delivery.
func requestHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// authorizeReply checks a reply credential for an integration: an API key
// that sees it, or its reply token (the current one, or the previous one
// within its day). It returns the integration, secrets opened.
func (s *Service) authorizeReply(ctx context.Context, cred hookline.ReplyCredential, integrationID int64) (*hookline.Integration, error) {
	if cred.Caller != nil {
		return s.cfg.Integrations.FindIntegration(ctx, cred.Caller.Scope(), integrationID)
	}
	refused := hookline.Errorf(hookline.CodeUnauthorized, "the reply token is not valid for integration %d", integrationID)
	if cred.ReplyToken == "" {
		return nil, refused
	}
	i, err := s.cfg.Integrations.FindIntegration(ctx, hookline.AdminScope(), integrationID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	hash := hookline.HashReplyToken(cred.ReplyToken)
	if subtle.ConstantTimeCompare(hash, i.ReplyTokenHash) == 1 {
		return i, nil
	}
	if i.PreviousReplyUntil != nil && s.cfg.Now().Before(*i.PreviousReplyUntil) && subtle.ConstantTimeCompare(hash, i.PreviousReplyTokenHash) == 1 {
		return i, nil
	}
	return nil, refused
}
