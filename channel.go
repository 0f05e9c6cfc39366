package hookline

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhook channels (seed 004): outside systems talk to a bot over
// JWT-authenticated webhooks. A channel belongs to one bot and, through it,
// to the bot's company; it is associated with an app, whose client id and
// secret sign the calls. A channel answers only once the operator has
// approved it and while its company keeps it enabled.

// App is a company's client credentials: the client id that JWTs name in
// their appId claim and the client secret that signs them (HS256). The
// secret is sealed at rest and shown only when it is made or rotated.
type App struct {
	ID           int64     `json:"id" doc:"the app's id"`
	CompanyID    int64     `json:"company_id" doc:"the company the app belongs to"`
	Name         string    `json:"name" doc:"1 to 200 bytes, no line breaks"`
	ClientID     string    `json:"client_id" doc:"the appId claim of the JWTs signed with the client secret"`
	ClientSecret string    `json:"client_secret" doc:"******** (shown only when the app is created or its secret rotated)"`
	CreatedAt    time.Time `json:"created_at" doc:"when the app was created"`
	UpdatedAt    time.Time `json:"updated_at" doc:"when its secret last changed"`
	// PreviousSecret is the secret a rotation replaced, still valid until
	// PreviousUntil; stores fill it only where secrets are opened.
	PreviousSecret string     `json:"-"`
	PreviousUntil  *time.Time `json:"previous_secret_valid_until,omitempty" doc:"after a rotation: until when the previous secret still signs valid tokens; absent otherwise"`
}

// NewAppSecret is an app whose client secret was just made or rotated: the
// only time it is shown.
type NewAppSecret struct {
	ID            int64      `json:"id" doc:"the app's id"`
	CompanyID     int64      `json:"company_id" doc:"the company the app belongs to"`
	Name          string     `json:"name" doc:"the app's name"`
	ClientID      string     `json:"client_id" doc:"the appId claim of the JWTs signed with the client secret"`
	ClientSecret  string     `json:"client_secret" doc:"the HS256 key of the JWTs; shown only in this response, store it now"`
	PreviousUntil *time.Time `json:"previous_secret_valid_until,omitempty" doc:"after a rotation: until when the previous secret still signs valid tokens (24 hours)"`
	CreatedAt     time.Time  `json:"created_at" doc:"when the app was created"`
}

// AppInput is the body of POST /api/v1/apps.
type AppInput struct {
	Name      *string `json:"name" required:"true" doc:"1 to 200 bytes, no line breaks"`
	CompanyID *int64  `json:"company_id" doc:"the company it belongs to; required for agency and admin keys"`
}

// ChannelTypeWebhook is the one channel type: a webhook channel.
const ChannelTypeWebhook = "webhook"

// ChannelMode says how a channel answers.
type ChannelMode string

const (
	// ChannelSync answers in the HTTP response, {"text": [...]}.
	ChannelSync ChannelMode = "sync"
	// ChannelAsync answers 200 with an empty body once the message is
	// committed, and posts the answer to the channel's POST_URL.
	ChannelAsync ChannelMode = "async"
)

// Valid reports whether m is a known mode.
func (m ChannelMode) Valid() bool { return m == ChannelSync || m == ChannelAsync }

// Size bounds of channels, apps and hook calls, in bytes.
const (
	MaxChannelNameLen = 200
	MaxAccessTokenLen = 4 << 10
	MaxChannelURLLen  = 8 << 10
	MaxHookTextLen    = 4 << 10
	MaxHookIDLen      = 255
	MaxHookBodyBytes  = 256 << 10
	MaxHookTokenLen   = 8 << 10
	MaxHookKeyLen     = 255
)

// Times of channels and apps.
const (
	// HookTokenLeeway is the clock skew allowed on a JWT's exp and nbf.
	HookTokenLeeway = 60 * time.Second
	// AppSecretRotation is how long a rotated client secret stays valid.
	AppSecretRotation = 24 * time.Hour
	// HookKeyWindow is how long a hook call's Idempotency-Key is kept.
	HookKeyWindow = 24 * time.Hour
)

// Channel is a bot's webhook channel. AccessToken is a secret: sealed at
// rest and shown masked.
type Channel struct {
	ID        int64  `json:"id" doc:"the channel's id (the webHookId of its URL)"`
	CompanyID int64  `json:"company_id" doc:"the company of its bot"`
	BotID     int64  `json:"bot_id" doc:"the bot it talks to"`
	Type      string `json:"type" enum:"webhook" doc:"webhook"`
	Name      string `json:"name" doc:"unique among the bot's channels; per-channel overrides and metrics use it"`
	// AppID is nil for a channel imported with its bot and not yet
	// associated with an app.
	AppID    *int64      `json:"app_id" nullable:"true" doc:"the app whose client secret signs its JWTs; null until one is associated (PATCH)"`
	ClientID string      `json:"client_id,omitempty" doc:"the app's client id: the appId claim its JWTs carry; absent without an app"`
	Mode     ChannelMode `json:"mode" doc:"sync: the answer is the HTTP response; async: 200 at once, the answer is posted to post_url"`
	PostURL  string      `json:"post_url,omitempty" doc:"async: where answers are posted, {\"text\": [...], \"to\", \"from\"}"`
	// AccessToken is sent as a bearer token with the answers to PostURL.
	AccessToken string `json:"access_token,omitempty" doc:"async: sent as Authorization: Bearer with each answer; a secret, shown as ********"`
	// RequireExp makes the exp claim mandatory in its JWTs.
	RequireExp bool       `json:"require_exp" doc:"JWTs without an exp claim are refused"`
	Approved   bool       `json:"approved" doc:"the operator approved it (POST /api/v1/channels/{id}/approve, admin keys only); it answers 403 until then"`
	ApprovedAt *time.Time `json:"approved_at,omitempty" doc:"when it was approved"`
	Enabled    bool       `json:"enabled" doc:"its company has it enabled; it answers 403 while disabled"`
	// URL is where it answers; the service sets it.
	URL       string    `json:"url" doc:"where outside systems post messages: /chatbot/hooks/{botId}/hookInstance/{id} (the bot's first channel also at /chatbot/hooks/{botId})"`
	CreatedAt time.Time `json:"created_at" doc:"when the channel was created"`
	UpdatedAt time.Time `json:"updated_at" doc:"when it last changed"`
}

// NewChannel is a channel just created; ClientSecret is set only when an
// app was created for it, and is the only time that secret is shown.
type NewChannel struct {
	Channel
	ClientSecret string `json:"client_secret,omitempty" doc:"when an app was created for the channel: its client secret, shown only in this response"`
}

// ChannelInput is the body of POST /api/v1/bots/{id}/channels.
type ChannelInput struct {
	Type        *string      `json:"type" required:"true" enum:"webhook" doc:"webhook"`
	Name        *string      `json:"name" required:"true" doc:"1 to 200 bytes, no line breaks, unique among the bot's channels"`
	CompanyID   *int64       `json:"company_id" doc:"if sent, the bot's company"`
	AppID       *int64       `json:"app_id" doc:"an app of the bot's company; absent: a new app named after the channel is created, and its secret returned"`
	Mode        *ChannelMode `json:"mode" doc:"sync (default) or async"`
	PostURL     *string      `json:"post_url" doc:"where async answers go; required for async"`
	AccessToken *string      `json:"access_token" doc:"sent as a bearer token with async answers; stored sealed"`
	RequireExp  *bool        `json:"require_exp" doc:"refuse JWTs without an exp claim (default false)"`
}

// ChannelPatch is the body of PATCH /api/v1/channels/{id}: absent fields
// keep their value.
type ChannelPatch struct {
	Name        *string      `json:"name" doc:"a new name, unique among the bot's channels"`
	AppID       *int64       `json:"app_id" doc:"associate this app of the bot's company (after an import, or to change credentials)"`
	Mode        *ChannelMode `json:"mode" doc:"sync or async; async needs a post_url"`
	PostURL     *string      `json:"post_url" doc:"where async answers go; \"\" removes it (sync only)"`
	AccessToken *string      `json:"access_token" doc:"the bearer token of async answers; \"\" removes it, ******** keeps it"`
	RequireExp  *bool        `json:"require_exp" doc:"refuse JWTs without an exp claim"`
}

// ValidateChannelName checks a channel's or an app's name.
func ValidateChannelName(field, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Invalid(field, "must not be empty")
	case len(name) > MaxChannelNameLen:
		return Invalid(field, "must be at most %d bytes long", MaxChannelNameLen)
	case !utf8.ValidString(name):
		return Invalid(field, "must be valid UTF-8")
	case strings.ContainsAny(name, "\x00\r\n"):
		return Invalid(field, "must not contain line breaks or NUL")
	}
	return nil
}

// Validate checks a channel's own rules: its type, name, mode, and the
// post_url async mode needs. prefix goes before the fields it names (""
// or "channels[2].").
func (ch *Channel) Validate(prefix string) error {
	if ch.Type != ChannelTypeWebhook {
		return Invalid(prefix+"type", "%q is not a channel type; use %q", ch.Type, ChannelTypeWebhook)
	}
	if err := ValidateChannelName(prefix+"name", ch.Name); err != nil {
		return err
	}
	if !ch.Mode.Valid() {
		return Invalid(prefix+"mode", "%q is not a mode; use sync or async", ch.Mode)
	}
	if ch.PostURL != "" {
		if len(ch.PostURL) > MaxChannelURLLen {
			return Invalid(prefix+"post_url", "must be at most %d bytes long", MaxChannelURLLen)
		}
		if _, err := ParseWebhookURL(ch.PostURL); err != nil {
			return &Error{Code: CodeInvalid, Field: prefix + "post_url", Message: ErrorMessage(err), Err: err}
		}
	}
	if ch.Mode == ChannelAsync && ch.PostURL == "" {
		return Invalid(prefix+"post_url", "async mode posts its answers to post_url: send one")
	}
	if len(ch.AccessToken) > MaxAccessTokenLen {
		return Invalid(prefix+"access_token", "must be at most %d bytes long", MaxAccessTokenLen)
	}
	if strings.ContainsAny(ch.AccessToken, "\x00\r\n") {
		return Invalid(prefix+"access_token", "must not contain line breaks or NUL")
	}
	return nil
}

// Masked returns a copy of ch with its access token replaced by SecretMask.
func (ch Channel) Masked() Channel {
	if ch.AccessToken != "" {
		ch.AccessToken = SecretMask
	}
	return ch
}

// AppFilter narrows an app listing, as WebhookFilter does webhooks.
type AppFilter struct {
	Scope     Scope
	CompanyID int64
	After     int64
	Limit     int
}

// ChannelFilter narrows a channel listing. BotID, when set, narrows to
// one bot's channels; Approved, when set, to the channels the operator has
// approved (true) or that wait for approval (false).
type ChannelFilter struct {
	Scope    Scope
	BotID    int64
	Approved *bool
	After    int64
	Limit    int
}

// ChannelListFilter narrows GET /api/v1/channels, the channels of every
// bot the caller sees.
type ChannelListFilter struct {
	// Approved, when set, keeps the approved channels (true) or those
	// waiting for the operator's approval (false).
	Approved *bool
}

// HookChannel is a channel as the hook edge checks a call to it: with its
// app's secrets opened.
type HookChannel struct {
	Channel
	// Secret is the app's client secret; Previous the one a rotation
	// replaced, valid until PreviousUntil.
	Secret        string
	Previous      string
	PreviousUntil time.Time
}

// ChannelStore stores apps, channels and the Idempotency-Keys of hook
// calls. Methods taking a Scope answer CodeNotFound outside it. Client
// secrets and access tokens are sealed at rest; they are opened only where
// a method says so, and read as SecretMask everywhere else.
type ChannelStore interface {
	// CreateApp stores a (its CompanyID in scope, its ClientSecret in
	// clear) and sets its ID and times.
	CreateApp(ctx context.Context, scope Scope, a *App) error
	FindApp(ctx context.Context, scope Scope, id int64) (*App, error)
	// FindApps lists apps by ID.
	FindApps(ctx context.Context, f AppFilter) ([]*App, error)
	// DeleteApp removes an app no channel uses; CodeConflict naming the
	// channels that do.
	DeleteApp(ctx context.Context, scope Scope, id int64) error
	// RotateAppSecret makes secret the app's client secret; the current
	// one stays valid until previousUntil.
	RotateAppSecret(ctx context.Context, scope Scope, id int64, secret string, previousUntil time.Time) (*App, error)

	// CreateChannel stores ch; with app, it first creates app (as
	// CreateApp) and associates it, in one transaction. ch.AppID must name
	// an app of ch's company (CodeNotFound naming app_id); names are
	// unique per bot (CodeConflict naming name).
	CreateChannel(ctx context.Context, scope Scope, ch *Channel, app *App) error
	// CreateChannels stores channels of one company in one transaction.
	CreateChannels(ctx context.Context, chs []*Channel) error
	FindChannel(ctx context.Context, scope Scope, id int64) (*Channel, error)
	// FindChannels lists channels by ID.
	FindChannels(ctx context.Context, f ChannelFilter) ([]*Channel, error)
	// UpdateChannel saves what update makes of the stored channel (its
	// access token masked: left masked, the stored one stays), in one
	// transaction with the read. The company, bot and creation time stay.
	UpdateChannel(ctx context.Context, scope Scope, id int64, update func(*Channel) error) (*Channel, error)
	DeleteChannel(ctx context.Context, scope Scope, id int64) error
	// FindHookChannel returns channel id of bot botID (id 0: the bot's
	// first channel) with its app's secrets opened.
	FindHookChannel(ctx context.Context, botID, id int64) (*HookChannel, error)
	// FindChannelToken returns a channel of the company with its access
	// token opened.
	FindChannelToken(ctx context.Context, companyID, id int64) (*Channel, error)

	// ClaimHookKey claims an Idempotency-Key of a channel for a call
	// whose request hashes to hash, forgetting first the channel's keys
	// older than window (HookKeyWindow) and a claim of this key left
	// running for longer than stale (its call died). It returns the
	// answer stored for the key (nil: claimed, run the call), or
	// CodeConflict when the key is claimed by a call still running or
	// came with another request.
	ClaimHookKey(ctx context.Context, channelID int64, key string, hash []byte, window, stale time.Duration) (*HookAnswer, error)
	// SaveHookAnswer stores the answer of a claimed key.
	SaveHookAnswer(ctx context.Context, channelID int64, key string, a *HookAnswer) error
	// ReleaseHookKey forgets a claimed key whose call failed, so that it
	// can be tried again.
	ReleaseHookKey(ctx context.Context, channelID int64, key string) error
}

// HookPayload is the body of a call to a channel's hook (seed 004).
type HookPayload struct {
	Message    HookMessage     `json:"message"`
	From       HookParty       `json:"from"`
	To         HookParty       `json:"to"`
	CustomData json.RawMessage `json:"customData,omitempty"`
}

// HookMessage is what the user said.
type HookMessage struct {
	Text        string          `json:"text"`
	Attachments json.RawMessage `json:"attachments,omitempty"`
}

// HookParty names the sender or the recipient.
type HookParty struct {
	ID string `json:"id"`
}

// Validate checks a hook payload: from.id and to.id are required, text is
// at most MaxHookTextLen bytes, attachments an array and customData an
// object when present (null stands for absent, and is dropped).
func (p *HookPayload) Validate() error {
	for _, f := range []struct {
		name, id string
	}{{"from.id", p.From.ID}, {"to.id", p.To.ID}} {
		switch {
		case strings.TrimSpace(f.id) == "":
			return Invalid(f.name, "missing required field %q", f.name)
		case len(f.id) > MaxHookIDLen:
			return Invalid(f.name, "must be at most %d bytes long", MaxHookIDLen)
		case !utf8.ValidString(f.id):
			return Invalid(f.name, "must be valid UTF-8")
		case strings.ContainsFunc(f.id, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return Invalid(f.name, "must not contain control characters")
		}
	}
	switch {
	case len(p.Message.Text) > MaxHookTextLen:
		return Invalid("message.text", "must be at most %d bytes long, got %d", MaxHookTextLen, len(p.Message.Text))
	case !utf8.ValidString(p.Message.Text):
		return Invalid("message.text", "must be valid UTF-8")
	}
	if isNull(p.Message.Attachments) {
		p.Message.Attachments = nil
	}
	if isNull(p.CustomData) {
		p.CustomData = nil
	}
	if a := p.Message.Attachments; len(a) > 0 && !isJSON(a, '[') {
		return Invalid("message.attachments", "must be an array")
	}
	if c := p.CustomData; len(c) > 0 && !isJSON(c, '{') {
		return Invalid("customData", "must be an object")
	}
	if strings.TrimSpace(p.Message.Text) == "" && len(p.Message.Attachments) == 0 {
		return Invalid("message.text", "missing required field %q: send the user's text (or attachments)", "message.text")
	}
	return nil
}

// isJSON reports whether raw's first byte after white space is open: the
// JSON value is an array ('[') or an object ('{').
func isJSON(raw json.RawMessage, open byte) bool {
	s := strings.TrimLeft(string(raw), " \t\r\n")
	return s != "" && s[0] == open
}

// isNull reports whether raw is JSON null, which stands for absent.
func isNull(raw json.RawMessage) bool {
	return strings.TrimSpace(string(raw)) == "null"
}

// HookAnswer is a channel's answer to a call: the bot's words in sync
// mode, nothing (200, empty body) in async mode.
type HookAnswer struct {
	Async bool
	Text  []json.RawMessage
}

// AppService is the use cases of apps. Apps outside the caller's scope
// answer CodeNotFound.
type AppService interface {
	CreateApp(ctx context.Context, c *Caller, in AppInput) (*NewAppSecret, error)
	FindApp(ctx context.Context, c *Caller, id int64) (*App, error)
	// FindApps lists the apps the caller sees, of one company when
	// companyID is not 0, ordered by ID.
	FindApps(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*App], error)
	// DeleteApp deletes an app no channel uses (CodeConflict naming them).
	DeleteApp(ctx context.Context, c *Caller, id int64) error
	// RotateAppSecret makes a new client secret; the old one stays valid
	// for AppSecretRotation.
	RotateAppSecret(ctx context.Context, c *Caller, id int64) (*NewAppSecret, error)
}

// ChannelService is the use cases of webhook channels. Channels, bots
// and apps outside the caller's scope answer CodeNotFound.
type ChannelService interface {
	CreateChannel(ctx context.Context, c *Caller, botID int64, in ChannelInput) (*NewChannel, error)
	FindChannel(ctx context.Context, c *Caller, id int64) (*Channel, error)
	// FindChannels lists a bot's channels, ordered by ID.
	FindChannels(ctx context.Context, c *Caller, botID int64, page PageRequest) (Page[*Channel], error)
	// FindAllChannels lists the channels of every bot the caller sees, of
	// one company when companyID is not 0, ordered by ID: with
	// Approved false, the channels waiting for the operator's approval.
	FindAllChannels(ctx context.Context, c *Caller, companyID int64, f ChannelListFilter, page PageRequest) (Page[*Channel], error)
	UpdateChannel(ctx context.Context, c *Caller, id int64, in ChannelPatch) (*Channel, error)
	DeleteChannel(ctx context.Context, c *Caller, id int64) error
	// ApproveChannel is the operator's: other callers get CodeForbidden.
	ApproveChannel(ctx context.Context, c *Caller, id int64) (*Channel, error)
	// SetChannelEnabled enables or disables a channel.
	SetChannelEnabled(ctx context.Context, c *Caller, id int64, enabled bool) (*Channel, error)
}

// HookService is the use case of the hook edge: a call from an outside
// system to a channel.
type HookService interface {
	// AuthenticateHook finds channel id of bot botID (0: the bot's first)
	// and checks the call's JWT against it: CodeNotFound for no such
	// channel, CodeUnauthorized for a bad token, CodeForbidden for a
	// channel without an app, not approved or disabled. The channel it
	// returns has its secrets cleared.
	AuthenticateHook(ctx context.Context, botID, id int64, token string) (*HookChannel, error)
	// ReceiveMessage hands the payload to the bot as the channel's mode
	// says. With an Idempotency-Key seen within HookKeyWindow it returns
	// the first answer instead.
	ReceiveMessage(ctx context.Context, ch *HookChannel, p HookPayload, idempotencyKey string) (answer *HookAnswer, replayed bool, err error)
}
