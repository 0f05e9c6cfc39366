package hookline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CampaignType is what a campaign does with its connection's messages.
type CampaignType string

const (
	// CampaignChatbot forwards messages to an integration or runs a bot.
	CampaignChatbot CampaignType = "chatbot"
	// CampaignKeyword answers its keywords with its reply.
	CampaignKeyword CampaignType = "keyword"
)

// CampaignStatus is where a campaign stands.
type CampaignStatus string

const (
	CampaignDraft  CampaignStatus = "draft"
	CampaignLive   CampaignStatus = "live"
	CampaignPaused CampaignStatus = "paused"
)

// Campaign is a company's campaign on one connection.
type Campaign struct {
	ID            int64          `json:"id" doc:"the campaign's id"`
	CompanyID     int64          `json:"company_id" doc:"the company it belongs to"`
	Name          string         `json:"name" doc:"1 to 200 bytes"`
	Type          CampaignType   `json:"type" enum:"chatbot,keyword" doc:"chatbot or keyword"`
	Connection    string         `json:"connection" doc:"the code of the connection it serves"`
	IntegrationID *int64         `json:"integration_id,omitempty" doc:"chatbot: the integration its messages go to"`
	BotID         *int64         `json:"bot_id,omitempty" doc:"chatbot: the bot that answers"`
	Keywords      []string       `json:"keywords,omitempty" doc:"keyword: the messages it answers (whole message, case-insensitive, trimmed)"`
	Reply         string         `json:"reply,omitempty" doc:"keyword: its answer"`
	Status        CampaignStatus `json:"status" enum:"draft,live,paused" doc:"draft, live or paused; only live campaigns act"`
	IntegratedAt  *time.Time     `json:"integration_date,omitempty" doc:"when it first went live with its integration"`
	CreatedAt     time.Time      `json:"created_at" doc:"when it was created"`
	UpdatedAt     time.Time      `json:"updated_at" doc:"when it last changed"`
}

// CampaignInput is the body of POST /api/v1/campaigns.
type CampaignInput struct {
	CompanyID     *int64        `json:"company_id" doc:"the company it belongs to; required for agency and admin keys"`
	Name          *string       `json:"name" required:"true" doc:"1 to 200 bytes"`
	Type          *CampaignType `json:"type" required:"true" enum:"chatbot,keyword" doc:"chatbot or keyword"`
	Connection    *string       `json:"connection" required:"true" doc:"the code of a free connection of the same company"`
	IntegrationID *int64        `json:"integration_id" doc:"chatbot: an active integration without connections of its own (exactly one of integration_id and bot_id)"`
	BotID         *int64        `json:"bot_id" doc:"chatbot: a bot of the same company (exactly one of integration_id and bot_id)"`
	Keywords      []string      `json:"keywords" doc:"keyword: 1 to 100 keywords"`
	Reply         *string       `json:"reply" doc:"keyword: the answer, 1 to 1600 bytes"`
}

// Bounds of a keyword campaign.
const (
	MaxKeywords     = 100
	MaxKeywordLen   = 200
	MaxCampaignText = 1600
)

// Campaign checks in and returns the campaign it describes (company and
// connection to be resolved by the service): exactly one of
// integration_id and bot_id for chatbot, keywords and reply for keyword.
func (in *CampaignInput) Campaign() (*Campaign, error) {
	if err := Required(Has("name", in.Name != nil), Has("type", in.Type != nil), Has("connection", in.Connection != nil)); err != nil {
		return nil, err
	}
	c := &Campaign{Name: strings.TrimSpace(*in.Name), Type: *in.Type, Connection: strings.TrimSpace(*in.Connection), Status: CampaignDraft}
	switch {
	case c.Name == "":
		return nil, Invalid("name", "must not be empty")
	case len(c.Name) > MaxAliasLen:
		return nil, Invalid("name", "must be at most %d bytes long", MaxAliasLen)
	case strings.ContainsAny(c.Name, "\x00\r\n"):
		return nil, Invalid("name", "must not contain line breaks or NUL")
	}
	if err := ValidateConnectionCode(c.Connection); err != nil {
		return nil, Invalid("connection", "%s", ErrorMessage(err))
	}
	switch c.Type {
	case CampaignChatbot:
		switch {
		case in.IntegrationID != nil && in.BotID != nil:
			return nil, Invalid("bot_id", "a chatbot campaign takes exactly one of integration_id and bot_id, not both")
		case in.IntegrationID == nil && in.BotID == nil:
			return nil, Invalid("integration_id", "a chatbot campaign takes exactly one of integration_id and bot_id")
		case in.Keywords != nil:
			return nil, Invalid("keywords", "only keyword campaigns take keywords")
		case in.Reply != nil:
			return nil, Invalid("reply", "only keyword campaigns take a reply")
		}
		c.IntegrationID, c.BotID = in.IntegrationID, in.BotID
	case CampaignKeyword:
		switch {
		case in.IntegrationID != nil:
			return nil, Invalid("integration_id", "only chatbot campaigns take an integration")
		case in.BotID != nil:
			return nil, Invalid("bot_id", "only chatbot campaigns take a bot")
		}
		if err := Required(Has("keywords", len(in.Keywords) > 0), Has("reply", in.Reply != nil)); err != nil {
			return nil, err
		}
		if len(in.Keywords) > MaxKeywords {
			return nil, Invalid("keywords", "at most %d keywords are allowed", MaxKeywords)
		}
		seen := map[string]int{}
		for i, k := range in.Keywords {
			k = strings.TrimSpace(k)
			at := fmt.Sprintf("keywords[%d]", i)
			switch {
			case k == "":
				return nil, Invalid(at, "must not be empty")
			case len(k) > MaxKeywordLen:
				return nil, Invalid(at, "must be at most %d bytes long", MaxKeywordLen)
			}
			if j, dup := seen[strings.ToLower(k)]; dup {
				return nil, Invalid(at, "%q repeats keywords[%d] (keywords match case-insensitively)", k, j)
			}
			seen[strings.ToLower(k)] = i
			c.Keywords = append(c.Keywords, k)
		}
		c.Reply = strings.TrimSpace(*in.Reply)
		switch {
		case c.Reply == "":
			return nil, Invalid("reply", "must not be empty")
		case len(c.Reply) > MaxCampaignText:
			return nil, Invalid("reply", "must be at most %d bytes long", MaxCampaignText)
		}
	default:
		return nil, Invalid("type", "%q is not supported; use chatbot or keyword", c.Type)
	}
	return c, nil
}

// MatchKeyword reports whether text is one of c's keywords: the whole
// message, trimmed, case-insensitive.
func (c *Campaign) MatchKeyword(text string) bool {
	text = strings.TrimSpace(text)
	for _, k := range c.Keywords {
		if strings.EqualFold(k, text) {
			return true
		}
	}
	return false
}

// CampaignFilter narrows a campaign listing.
type CampaignFilter struct {
	Scope Scope
	After int64
	Limit int
}

// CampaignStore stores campaigns.
type CampaignStore interface {
	// CreateCampaign stores c and claims its connection (CodeNotFound
	// naming "connection" for an unknown code in its company,
	// CodeConflict naming the holder of a taken one); an integration_id
	// must name an active integration of the company without connections
	// (CodeNotFound, CodeConflict).
	CreateCampaign(ctx context.Context, scope Scope, c *Campaign) error
	FindCampaign(ctx context.Context, scope Scope, id int64) (*Campaign, error)
	FindCampaigns(ctx context.Context, f CampaignFilter) ([]*Campaign, error)
	// SetCampaignStatus makes a campaign live or paused; going live with
	// an integration needs it active (CodeConflict).
	SetCampaignStatus(ctx context.Context, scope Scope, id int64, status CampaignStatus) (*Campaign, error)
	// DeleteCampaign removes a campaign that is not live and frees its
	// connection.
	DeleteCampaign(ctx context.Context, scope Scope, id int64) error
	// FindConnectionCampaign returns the campaign holding a connection,
	// CodeNotFound when none does.
	FindConnectionCampaign(ctx context.Context, connectionID int64) (*Campaign, error)
}

// CampaignService is the use cases of campaigns.
type CampaignService interface {
	CreateCampaign(ctx context.Context, c *Caller, in CampaignInput) (*Campaign, error)
	FindCampaign(ctx context.Context, c *Caller, id int64) (*Campaign, error)
	FindCampaigns(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*Campaign], error)
	GoLive(ctx context.Context, c *Caller, id int64) (*Campaign, error)
	Pause(ctx context.Context, c *Caller, id int64) (*Campaign, error)
	DeleteCampaign(ctx context.Context, c *Caller, id int64) error
}

// ChatStatus is whether a chat goes on.
type ChatStatus string

const (
	ChatOpen  ChatStatus = "open"
	ChatEnded ChatStatus = "ended"
)

// Multimedia is a medium of a chat message.
type Multimedia struct {
	URL         string `json:"url" doc:"where the medium is"`
	Caption     string `json:"caption,omitempty" doc:"its caption"`
	ContentType string `json:"content_type,omitempty" doc:"its media type, when known"`
}

// Chat is an integration's conversation with one contact over one
// connection.
type Chat struct {
	ID             int64          `json:"id" doc:"the chat's id: the events' chatId"`
	CompanyID      int64          `json:"company_id" doc:"the company it belongs to"`
	IntegrationID  int64          `json:"integration_id" doc:"the integration it belongs to"`
	ConnectionID   int64          `json:"connection_id" doc:"the connection it runs on"`
	ConnectionType ConnectionType `json:"connection_type" doc:"sms or whatsapp"`
	ConnectionCode string         `json:"connection_code" doc:"the connection's code"`
	CampaignID     *int64         `json:"campaign_id,omitempty" doc:"the chatbot campaign it came through, if any"`
	Contact        string         `json:"contact" doc:"the contact's number"`
	Status         ChatStatus     `json:"status" enum:"open,ended" doc:"open or ended"`
	EndReason      string         `json:"end_reason,omitempty" enum:"ended,idle" doc:"ended (by the reply API) or idle (the idle timeout)"`
	CreatedAt      time.Time      `json:"created_at" doc:"when the contact started it"`
	LastMessageAt  time.Time      `json:"last_message_at" doc:"its last message, either way"`
	EndedAt        *time.Time     `json:"ended_at,omitempty" doc:"when it ended"`
	Messages       []*ChatMessage `json:"messages,omitempty" doc:"its messages, oldest first (GET .../chats/{chatId} only)"`
}

// ChatMessage is one message of a chat: in from the contact, out from the
// customer's system.
type ChatMessage struct {
	ID         int64       `json:"id" doc:"the message's id"`
	ChatID     int64       `json:"chat_id" doc:"its chat"`
	Direction  string      `json:"direction" enum:"in,out" doc:"in: from the contact; out: a reply"`
	Text       string      `json:"text" doc:"its text"`
	Multimedia *Multimedia `json:"multimedia,omitempty" doc:"its medium"`
	ProviderID string      `json:"provider_id,omitempty" doc:"the provider's id of an inbound message (MessageSid, wamid)"`
	// DeliveryIDs are the deliveries that carry it: its MESSAGE event
	// (in), or the provider calls sending it (out).
	DeliveryIDs []int64   `json:"delivery_ids" doc:"the deliveries carrying it (GET /api/v1/deliveries/{id} shows their attempts)"`
	CreatedAt   time.Time `json:"created_at" doc:"when it was received or sent"`
}

// Directions of a chat message.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// ReplyInput is the body of POST /api/v1/integrations/{id}/chats/{chatId}/messages.
type ReplyInput struct {
	Text       string           `json:"text" doc:"the message; required unless multimedia is sent"`
	Multimedia *ReplyMultimedia `json:"multimedia" doc:"a medium to send"`
}

// ReplyMultimedia is a reply's medium.
type ReplyMultimedia struct {
	URL     string `json:"url" doc:"an absolute http(s) URL the provider fetches"`
	Caption string `json:"caption" doc:"its caption"`
}

// MaxReplyText bounds a reply's text.
const MaxReplyText = 4096

// Validate checks a reply.
func (in *ReplyInput) Validate() error {
	if strings.TrimSpace(in.Text) == "" && in.Multimedia == nil {
		return Invalid("text", "missing required field \"text\" (or send multimedia)")
	}
	if len(in.Text) > MaxReplyText {
		return Invalid("text", "must be at most %d bytes long", MaxReplyText)
	}
	if m := in.Multimedia; m != nil {
		if m.URL == "" {
			return Invalid("multimedia.url", "missing required field \"multimedia.url\"")
		}
		if err := CheckWebhookURL(m.URL); err != nil {
			return Invalid("multimedia.url", "%s", ErrorMessage(err))
		}
		if len(m.Caption) > MaxReplyText {
			return Invalid("multimedia.caption", "must be at most %d bytes long", MaxReplyText)
		}
	}
	return nil
}

// ChatFilter narrows a chat listing to one integration.
type ChatFilter struct {
	Scope         Scope
	IntegrationID int64
	Status        ChatStatus
	After         int64
	Limit         int
}

// InboundResult is what storing a provider message made.
type InboundResult struct {
	// Duplicate: the message was received before; Message is the one
	// stored then.
	Duplicate bool
	Chat      *Chat
	Message   *ChatMessage
	// Delivery is the event stored with a new message, if any.
	Delivery *Delivery
}

// InboundEvent builds the delivery that carries a new inbound message's
// event, for AddInbound to store in the message's own transaction (an
// outbox). It gets the chat and the message with its time but before its
// id, and may be called more than once for one message. A nil delivery
// stores none.
type InboundEvent func(chat *Chat, m *ChatMessage) (*Delivery, error)

// ChatStore stores chats, their messages and the provider message ids
// seen.
type ChatStore interface {
	// AddInbound stores a contact's message on the open chat of
	// (integration, connection, contact), opening one if there is none,
	// unless the connection has seen the provider id before: then it
	// returns what was stored then, with Duplicate set. With event, a new
	// message's event is queued in the same transaction, and the message
	// records its delivery.
	AddInbound(ctx context.Context, chat *Chat, m *ChatMessage, event InboundEvent) (*InboundResult, error)
	// SeeProviderMessage records that a connection received a provider
	// message outside any chat (a campaign's); false when it had before.
	SeeProviderMessage(ctx context.Context, connectionID int64, providerID string) (bool, error)
	// ForgetProviderMessage undoes SeeProviderMessage, after a failure,
	// so that the provider's retry is handled.
	ForgetProviderMessage(ctx context.Context, connectionID int64, providerID string) error
	// AddOutbound stores a reply on an open chat: CodeConflict when the
	// chat has ended.
	AddOutbound(ctx context.Context, chatID int64, m *ChatMessage) error
	// SetMessageDeliveries records the deliveries that carry a message.
	SetMessageDeliveries(ctx context.Context, messageID int64, ids []int64) error
	FindChat(ctx context.Context, scope Scope, integrationID, chatID int64) (*Chat, error)
	FindChats(ctx context.Context, f ChatFilter) ([]*Chat, error)
	// FindChatMessages lists a chat's messages, oldest first.
	FindChatMessages(ctx context.Context, chatID int64) ([]*ChatMessage, error)
	// EndChat ends an open chat: CodeConflict when it has ended already.
	EndChat(ctx context.Context, chatID int64, reason string) (*Chat, error)
	// FindIdleChats lists open chats whose last message is before
	// before, at most limit of them.
	FindIdleChats(ctx context.Context, before time.Time, limit int) ([]*Chat, error)
	// PruneProviderMessages forgets provider ids seen before before.
	PruneProviderMessages(ctx context.Context, before time.Time, limit int) (int, error)
}

// ChatEvent is the event an integration is sent, before its body fields
// shape it (seed 003).
type ChatEvent struct {
	ChatID     int64           `json:"chatId"`
	Contact    string          `json:"contact"`
	Event      string          `json:"event"`
	Text       string          `json:"text"`
	Multimedia EventMultimedia `json:"multimedia"`
	Connection EventConnection `json:"connection"`
	Timestamp  string          `json:"timestamp"`
	Campaign   *EventCampaign  `json:"campaign,omitempty"`
}

// EventMultimedia is an event's medium; empty strings when there is none.
type EventMultimedia struct {
	URL         string `json:"url"`
	Caption     string `json:"caption"`
	ContentType string `json:"content_type"`
}

// EventConnection names the connection of an event.
type EventConnection struct {
	Type ConnectionType `json:"type"`
	Code string         `json:"code"`
}

// EventCampaign names the chatbot campaign of an event.
type EventCampaign struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// JSON returns the event as JSON.
func (e *ChatEvent) JSON() json.RawMessage {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("hookline: marshal chat event: %v", err))
	}
	return b
}
