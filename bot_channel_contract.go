package hookline

import (
	"context"
	"encoding/json"
)

// InboundMessage is one user message to a bot through a channel.
type InboundMessage struct {
	BotID       int64
	ChannelID   int64  // 0: the builder's try console
	ChannelName string // for per-channel overrides and metrics ("" for try)
	From, To    string // from.id, to.id
	Text        string
	Attachments json.RawMessage // as received, may be nil
	CustomData  json.RawMessage // as received, may be nil
}

// BotReply is what the bot says in one step, in order: each element a JSON
// string, or a JSON object for a rich template message.
type BotReply struct {
	Text      []json.RawMessage `json:"text"`
	SessionID int64             `json:"-"`
}

// BotRuntime runs a bot's dialog. Messages of one session (bot, channel, from)
// are handled strictly one after another, across processes on one PostgreSQL.
type BotRuntime interface {
	// HandleMessage runs one step and returns what the bot says (sync mode, try).
	HandleMessage(ctx context.Context, m InboundMessage) (*BotReply, error)
	// AcceptMessage commits m durably and returns; the step runs in the
	// background (after a crash, on restart), in order per session, and its
	// reply is handed to the ReplySink registered for m.ChannelID's kind.
	AcceptMessage(ctx context.Context, m InboundMessage) error
}

// ReplySink receives the replies of accepted (async) messages; channels
// implements it by enqueueing {"text": [...], "to": m.From, "from": m.To} on the
// delivery queue (TargetChannel, ordering key = the session) to POST_URL.
// It is called after the step's session state is committed; an error makes the
// runtime retry the hand-over later (at least once).
type ReplySink interface {
	DeliverReply(ctx context.Context, m InboundMessage, r *BotReply) error
}

// BotChannels is what the bot service asks of the channels service when a
// bot is exported or imported; nil: no channels in the document.
type BotChannels interface {
	// ExportChannels lists a bot's channels for its document (never secrets).
	ExportChannels(ctx context.Context, botID int64) ([]BotChannelDoc, error)
	// ImportChannels recreates them for a new bot: unapproved, without an app.
	ImportChannels(ctx context.Context, companyID, botID int64, cs []BotChannelDoc) error
}

// BotChannelDoc is one channel of a bot's document.
type BotChannelDoc struct {
	Name    string `json:"name" yaml:"name"`
	Type    string `json:"type" yaml:"type"` // "webhook"
	Mode    string `json:"mode" yaml:"mode"` // "sync" | "async"
	PostURL string `json:"post_url,omitempty" yaml:"post_url,omitempty"`
}
