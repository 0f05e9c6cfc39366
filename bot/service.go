package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// Service is the use cases of bots over the stores: it parses documents
// (JSON or YAML), resolves the company a bot belongs to and the webhooks
// its connections name, validates and compiles each definition once per
// save, exports documents with webhooks named, and talks to a bot through
// the runtime for the builder's try console. The HTTP API and the CLI
// call it.
type Service struct {
	tenants  hookline.TenantService
	bots     hookline.BotStore
	sessions hookline.BotSessionStore
	webhooks hookline.WebhookStore
	runtime  hookline.BotRuntime
	channels hookline.BotChannels
	now      func() time.Time
}

var _ hookline.BotService = (*Service)(nil)

// NewService returns the bot service. runtime may be nil where no bot is
// talked to (the CLI); TryBot then answers CodeUnavailable.
func NewService(tenants hookline.TenantService, bots hookline.BotStore, sessions hookline.BotSessionStore, webhooks hookline.WebhookStore, runtime hookline.BotRuntime) *Service {
	return &Service{tenants: tenants, bots: bots, sessions: sessions, webhooks: webhooks, runtime: runtime, now: time.Now}
}

// UseChannels makes export list a bot's channels and import recreate
// them. Without it, a document with channels is refused on import.
func (s *Service) UseChannels(ch hookline.BotChannels) { s.channels = ch }

// CreateBot parses, checks and stores a new bot; its channels, if the
// document has any, are recreated unapproved and without an app.
func (s *Service) CreateBot(ctx context.Context, c *hookline.Caller, src hookline.BotSource) (*hookline.Bot, error) {
	in, err := ParseDocument(src)
	if err != nil {
		return nil, err
	}
	if src.CompanyID != nil {
		if in.CompanyID != nil && *in.CompanyID != *src.CompanyID {
			return nil, hookline.Invalid("company_id", "the document names company %d, but it is imported into company %d; leave company_id out of it", *in.CompanyID, *src.CompanyID)
		}
		in.CompanyID = src.CompanyID
	}
	company, err := s.tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	if len(in.Channels) > 0 {
		if s.channels == nil {
			return nil, hookline.Invalid("channels", "this server has no channel service to recreate channels with; leave channels out")
		}
		if err := hookline.ValidateChannelDocs(in.Channels); err != nil {
			return nil, err
		}
	}
	def, err := s.check(ctx, company.ID, in.BotDefinition)
	if err != nil {
		return nil, err
	}
	b := &hookline.Bot{CompanyID: company.ID, BotDefinition: def}
	if err := s.bots.CreateBot(ctx, c.Scope(), b); err != nil {
		return nil, err
	}
	if len(in.Channels) > 0 {
		if err := s.channels.ImportChannels(ctx, company.ID, b.ID, in.Channels); err != nil {
			// The bot is not kept without the channels its document
			// names: the import is all or nothing.
			if derr := s.bots.DeleteBot(ctx, hookline.AdminScope(), b.ID); derr != nil {
				return nil, fmt.Errorf("import channels: %w (and the bot %d created for them could not be deleted: %v)", err, b.ID, derr)
			}
			return nil, err
		}
	}
	return b, nil
}

// check validates a definition, resolves its webhook names in the
// company, and compiles it; it returns the definition to store.
func (s *Service) check(ctx context.Context, companyID int64, def hookline.BotDefinition) (hookline.BotDefinition, error) {
	def = def.Clone()
	if err := def.Validate(); err != nil {
		return def, err
	}
	if err := s.resolveNames(ctx, companyID, &def); err != nil {
		return def, err
	}
	compiled, err := Compile(def)
	if err != nil {
		return def, err
	}
	return compiled.Definition(), nil
}

// resolveNames replaces the webhook names of def by the ids of the
// company's webhooks of those names; a name the company lacks is a 400
// naming it and where it is used.
func (s *Service) resolveNames(ctx context.Context, companyID int64, def *hookline.BotDefinition) error {
	refs := def.WebhookRefs()
	if !slices.ContainsFunc(refs, func(r hookline.WebhookRef) bool { return r.Ref.ID == 0 }) {
		return nil
	}
	ids, err := s.webhookIDs(ctx, companyID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Ref.ID != 0 {
			continue
		}
		id, ok := ids[strings.TrimSpace(r.Ref.Name)]
		if !ok {
			return hookline.Invalid(r.Path, "company %d has no webhook named %q; create it first, or name another", companyID, r.Ref.Name)
		}
		*r.Ref = hookline.BotWebhookRef{ID: id}
	}
	return nil
}

// webhookIDs maps the names of a company's webhooks to their ids.
func (s *Service) webhookIDs(ctx context.Context, companyID int64) (map[string]int64, error) {
	scope := hookline.Scope{TenantID: companyID, Kind: hookline.KindCompany}
	out := map[string]int64{}
	after := int64(0)
	for {
		page, err := s.webhooks.FindWebhooks(ctx, hookline.WebhookFilter{Scope: scope, CompanyID: companyID, After: after, Limit: hookline.MaxPageLimit})
		if err != nil {
			return nil, err
		}
		for _, w := range page {
			out[w.Name] = w.ID
		}
		if len(page) < hookline.MaxPageLimit {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// FindBot returns a bot the caller may see.
func (s *Service) FindBot(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Bot, error) {
	return s.bots.FindBot(ctx, c.Scope(), id)
}

// BotCompany returns the company of bot id when the bot lies within
// scope, CodeNotFound otherwise: the channels service asks it which
// company a bot's channels belong to.
func (s *Service) BotCompany(ctx context.Context, scope hookline.Scope, id int64) (int64, error) {
	b, err := s.bots.FindBot(ctx, scope, id)
	if err != nil {
		return 0, err
	}
	return b.CompanyID, nil
}

// CheckBot reports whether the company has bot id: nil when it has,
// CodeNotFound otherwise (a chatbot campaign names its bot).
func (s *Service) CheckBot(ctx context.Context, companyID, id int64) error {
	_, err := s.bots.FindBot(ctx, hookline.Scope{TenantID: companyID, Kind: hookline.KindCompany}, id)
	return err
}

// FindBots lists one page of the bots the caller sees.
func (s *Service) FindBots(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Bot], error) {
	scope, err := s.tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Bot]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Bot]{}, err
	}
	bs, err := s.bots.FindBots(ctx, hookline.BotFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Bot]{}, err
	}
	return hookline.PageOf(bs, limit, func(b *hookline.Bot) int64 { return b.ID }), nil
}

// ReplaceBot replaces a bot's definition; its company stays, and its
// channels are managed on their own.
func (s *Service) ReplaceBot(ctx context.Context, c *hookline.Caller, id int64, src hookline.BotSource) (*hookline.Bot, error) {
	in, err := ParseDocument(src)
	if err != nil {
		return nil, err
	}
	stored, err := s.bots.FindBot(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	switch {
	case in.CompanyID != nil && *in.CompanyID != stored.CompanyID:
		return nil, hookline.Invalid("company_id", "a bot stays in its company (%d); import it into the other company instead", stored.CompanyID)
	case len(in.Channels) > 0:
		return nil, hookline.Invalid("channels", "a bot's channels are managed at /api/v1/bots/%d/channels, not with its definition; leave channels out", id)
	}
	def, err := s.check(ctx, stored.CompanyID, in.BotDefinition)
	if err != nil {
		return nil, err
	}
	return s.bots.UpdateBot(ctx, c.Scope(), id, func(current *hookline.Bot) (hookline.BotDefinition, error) {
		if current.CompanyID != stored.CompanyID {
			return hookline.BotDefinition{}, hookline.Errorf(hookline.CodeConflict, "bot %d changed meanwhile; send the change again", id)
		}
		return def, nil
	})
}

// DeleteBot deletes a bot with its sessions and counters.
func (s *Service) DeleteBot(ctx context.Context, c *hookline.Caller, id int64) error {
	return s.bots.DeleteBot(ctx, c.Scope(), id)
}

// ExportBot writes a bot's document: webhooks named, channels listed.
func (s *Service) ExportBot(ctx context.Context, c *hookline.Caller, id int64, format hookline.BotFormat) ([]byte, error) {
	if format != hookline.BotJSON && format != hookline.BotYAML {
		return nil, hookline.Invalid("format", "%q is not a bot document format; use json or yaml", format)
	}
	b, err := s.bots.FindBot(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	doc := &hookline.BotDocument{BotDefinition: b.BotDefinition.Clone()}
	scope := hookline.Scope{TenantID: b.CompanyID, Kind: hookline.KindCompany}
	names := map[int64]string{}
	for _, r := range doc.WebhookRefs() {
		name, ok := names[r.Ref.ID]
		if !ok {
			w, err := s.webhooks.FindWebhook(ctx, scope, r.Ref.ID)
			if err != nil {
				return nil, fmt.Errorf("export bot %d: %s: %w", id, r.Path, err)
			}
			name, names[r.Ref.ID] = w.Name, w.Name
		}
		*r.Ref = hookline.BotWebhookRef{Name: name}
	}
	if s.channels != nil {
		if doc.Channels, err = s.channels.ExportChannels(ctx, id); err != nil {
			return nil, fmt.Errorf("export bot %d: channels: %w", id, err)
		}
	}
	return EncodeDocument(doc, format)
}

// TryBot talks to a bot as a sync channel would: the builder's test
// console, channel 0.
func (s *Service) TryBot(ctx context.Context, c *hookline.Caller, id int64, in hookline.BotTryInput) (*hookline.BotTryReply, error) {
	if err := hookline.Required(hookline.Has("text", in.Text != nil)); err != nil {
		return nil, err
	}
	if _, err := s.bots.FindBot(ctx, c.Scope(), id); err != nil {
		return nil, err
	}
	if s.runtime == nil {
		return nil, hookline.Errorf(hookline.CodeUnavailable, "this process runs no bots")
	}
	from := in.From
	if strings.TrimSpace(from) == "" {
		from = "try"
	}
	r, err := s.runtime.HandleMessage(ctx, hookline.InboundMessage{BotID: id, From: from, Text: *in.Text})
	if err != nil {
		return nil, err
	}
	return &hookline.BotTryReply{Text: r.Text, SessionID: r.SessionID}, nil
}

// FindBotSessions lists one page of a bot's sessions, newest first.
func (s *Service) FindBotSessions(ctx context.Context, c *hookline.Caller, botID int64, f hookline.BotSessionListFilter, page hookline.PageRequest) (hookline.Page[*hookline.BotSession], error) {
	if f.State != "" && f.State != hookline.SessionOpen && f.State != hookline.SessionEnded {
		return hookline.Page[*hookline.BotSession]{}, hookline.Invalid("state", "%q is not a session state; use open or ended", f.State)
	}
	before, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.BotSession]{}, err
	}
	if _, err := s.bots.FindBot(ctx, c.Scope(), botID); err != nil {
		return hookline.Page[*hookline.BotSession]{}, err
	}
	ss, err := s.sessions.FindBotSessions(ctx, hookline.BotSessionFilter{Scope: c.Scope(), BotID: botID, ChannelID: f.ChannelID, State: f.State, Before: before, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.BotSession]{}, err
	}
	return hookline.PageOf(ss, limit, func(s *hookline.BotSession) int64 { return s.ID }), nil
}

// FindBotSession returns a session with its history.
func (s *Service) FindBotSession(ctx context.Context, c *hookline.Caller, id int64) (*hookline.BotSession, error) {
	sess, err := s.sessions.FindBotSession(ctx, c.Scope(), id, true)
	if err != nil {
		return nil, err
	}
	if sess.History == nil {
		sess.History = []hookline.BotStep{}
	}
	return sess, nil
}

// BotMetrics counts a bot's traffic per channel and hour over whole
// hours: by default the 24 hours up to the end of the current one.
func (s *Service) BotMetrics(ctx context.Context, c *hookline.Caller, botID int64, q hookline.BotMetricsQuery) (*hookline.BotMetrics, error) {
	if _, err := s.bots.FindBot(ctx, c.Scope(), botID); err != nil {
		return nil, err
	}
	to := q.To
	if to.IsZero() {
		to = s.now()
	}
	to = to.UTC()
	if t := to.Truncate(time.Hour); !t.Equal(to) {
		to = t.Add(time.Hour)
	}
	from := q.From
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	from = from.UTC().Truncate(time.Hour)
	switch {
	case !from.Before(to):
		return nil, hookline.Invalid("from", "must be before to")
	case to.Sub(from) > hookline.MaxBotMetricsRange:
		return nil, hookline.Invalid("from", "the range must be at most 31 days (744 hours)")
	}
	counters, err := s.sessions.FindBotCounters(ctx, botID, q.ChannelID, from, to)
	if err != nil {
		return nil, err
	}
	out := &hookline.BotMetrics{BotID: botID, From: from, To: to, Channels: []hookline.BotChannelMetrics{}}
	for _, k := range counters {
		n := len(out.Channels)
		if n == 0 || out.Channels[n-1].ChannelID != k.ChannelID {
			out.Channels = append(out.Channels, hookline.BotChannelMetrics{ChannelID: k.ChannelID, Hours: []hookline.BotHourMetrics{}})
			n++
		}
		ch := &out.Channels[n-1]
		ch.ChannelName = k.ChannelName
		h := len(ch.Hours)
		if h == 0 || !ch.Hours[h-1].Hour.Equal(k.Hour) {
			ch.Hours = append(ch.Hours, hookline.BotHourMetrics{Hour: k.Hour})
			h++
		}
		ch.Hours[h-1].Add(k.Name, k.Value)
		ch.Totals.Add(k.Name, k.Value)
	}
	for i := range out.Channels {
		fillCalls(&out.Channels[i].Totals)
		for j := range out.Channels[i].Hours {
			fillCalls(&out.Channels[i].Hours[j].BotMetricCounts)
		}
	}
	return out, nil
}

// fillCalls makes an absent webhook count {} rather than null.
func fillCalls(c *hookline.BotMetricCounts) {
	if c.WebhookCalls == nil {
		c.WebhookCalls = map[string]int64{}
	}
}
