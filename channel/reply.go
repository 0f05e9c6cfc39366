package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
)

// replyBody is what an async channel posts to its POST_URL (seed 004).
type replyBody struct {
	Text []json.RawMessage `json:"text"`
	To   string            `json:"to"`
	From string            `json:"from"`
}

// replyKey is the ordering key of a session's answers: they reach the
// POST_URL in the order the bot said them.
func replyKey(m hookline.InboundMessage, r *hookline.BotReply) string {
	if r.SessionID != 0 {
		return fmt.Sprintf("session:%d", r.SessionID)
	}
	// Without a session id, the session is what the runtime keys it by:
	// its bot, channel and user.
	return fmt.Sprintf("bot:%d:from:%s", m.BotID, m.From)
}

// DeliverReply queues the answer of an accepted (async) message for the
// channel's POST_URL: {"text": [...], "to": <from.id>, "from": <to.id>},
// with the channel's access token as a bearer token, read when it is sent.
// A channel deleted, or without a POST_URL since (switched to sync), has
// nowhere to send it: the answer is dropped and logged, not retried.
func (s *Service) DeliverReply(ctx context.Context, m hookline.InboundMessage, r *hookline.BotReply) error {
	if s.cfg.Queue == nil {
		return fmt.Errorf("channel service: no delivery queue configured")
	}
	ch, err := s.cfg.Store.FindChannel(ctx, hookline.AdminScope(), m.ChannelID)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		s.log.Warn("answer dropped: its channel was deleted", "channel_id", m.ChannelID, "bot_id", m.BotID, "session_id", r.SessionID)
		return nil
	case err != nil:
		return err
	case ch.PostURL == "":
		s.log.Warn("answer dropped: its channel has no post_url", "channel_id", ch.ID, "bot_id", m.BotID, "session_id", r.SessionID)
		return nil
	}
	text := r.Text
	if text == nil {
		text = []json.RawMessage{}
	}
	body, err := json.Marshal(replyBody{Text: text, To: m.From, From: m.To})
	if err != nil {
		return fmt.Errorf("encode the answer: %w", err)
	}
	_, _, err = s.cfg.Queue.Enqueue(ctx, &hookline.Delivery{
		CompanyID:   ch.CompanyID,
		TargetKind:  hookline.TargetChannel,
		TargetID:    ch.ID,
		OrderingKey: replyKey(m, r),
		Request: hookline.DeliveryRequest{
			Method: http.MethodPost,
			URL:    ch.PostURL,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   body,
		},
	}, nil)
	return err
}

// NewTargets resolves the queue's channel targets (hookline.TargetChannel):
// the answers of async channels, authorized with the channel's current
// access token. It needs only the store, so that the queue's worker, which
// the service's queue wakes, is made before the service.
func NewTargets(store hookline.ChannelStore) delivery.TargetResolver { return targets{store} }

type targets struct{ store hookline.ChannelStore }

// ResolveTarget reads the channel's access token at send time, so that a
// new token applies to the answers still waiting.
func (t targets) ResolveTarget(ctx context.Context, _ hookline.TargetKind, companyID, id int64) (*delivery.Target, error) {
	ch, err := t.store.FindChannelToken(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	out := &delivery.Target{}
	if token := ch.AccessToken; token != "" {
		out.Authorize = func(r *egress.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}
		out.Secrets = []string{token}
	}
	return out, nil
}

// ExportChannels lists a bot's channels for its document: name, type,
// mode and POST_URL, never an app or a secret.
func (s *Service) ExportChannels(ctx context.Context, botID int64) ([]hookline.BotChannelDoc, error) {
	chs, err := s.cfg.Store.FindChannels(ctx, hookline.ChannelFilter{Scope: hookline.AdminScope(), BotID: botID})
	if err != nil {
		return nil, err
	}
	out := make([]hookline.BotChannelDoc, len(chs))
	for i, ch := range chs {
		out[i] = hookline.BotChannelDoc{Name: ch.Name, Type: ch.Type, Mode: string(ch.Mode), PostURL: ch.PostURL}
	}
	return out, nil
}

// ImportChannels recreates a document's channels for a new bot of company:
// unapproved and without an app, as seed 004 says, until the company
// associates one and the operator approves them. All or none are created;
// errors name the field under channels[i].
func (s *Service) ImportChannels(ctx context.Context, companyID, botID int64, docs []hookline.BotChannelDoc) error {
	if len(docs) == 0 {
		return nil
	}
	chs := make([]*hookline.Channel, len(docs))
	for i, d := range docs {
		ch := &hookline.Channel{CompanyID: companyID, BotID: botID, Type: d.Type, Name: d.Name,
			Mode: hookline.ChannelMode(d.Mode), PostURL: d.PostURL, Enabled: true}
		if ch.Type == "" {
			ch.Type = hookline.ChannelTypeWebhook
		}
		if ch.Mode == "" {
			ch.Mode = hookline.ChannelSync
		}
		if err := ch.Validate(fmt.Sprintf("channels[%d].", i)); err != nil {
			return err
		}
		chs[i] = ch
	}
	defer s.hooks.clear()
	return s.cfg.Store.CreateChannels(ctx, chs)
}
