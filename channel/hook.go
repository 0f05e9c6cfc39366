package channel

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
)

// staleClaim is how long a call may hold its Idempotency-Key before a
// repeat takes the key over, taking the first call for dead: far longer
// than a bot's step runs (its sync webhooks time out within 30 s each).
const staleClaim = 10 * time.Minute

// AuthenticateHook finds the channel a hook call names and checks its JWT,
// then whether the channel may answer: it has an app, is approved, and is
// enabled. A caller learns the channel's state only with a valid token.
// The channel comes from the hook cache when it was read within the last
// second and has not changed through this service since.
func (s *Service) AuthenticateHook(ctx context.Context, botID, id int64, token string) (*hookline.HookChannel, error) {
	ch, gen := s.hooks.get(botID, id)
	if ch == nil {
		var err error
		if ch, err = s.cfg.Store.FindHookChannel(ctx, botID, id); err != nil {
			return nil, err
		}
		s.hooks.put(botID, id, ch, gen)
	}
	if ch.AppID == nil {
		return nil, hookline.Errorf(hookline.CodeForbidden, "channel %d has no app yet: associate one with PATCH /api/v1/channels/%d {\"app_id\": ...}, and have the channel approved", ch.ID, ch.ID)
	}
	now := s.cfg.Now()
	secrets := []string{ch.Secret}
	if ch.Previous != "" && now.Before(ch.PreviousUntil) {
		secrets = append(secrets, ch.Previous)
	}
	// The edge holds the channel for the rest of the call; the secrets
	// stay here.
	ch.Secret, ch.Previous = "", ""
	if err := VerifyToken(token, ch.ClientID, secrets, ch.RequireExp, now); err != nil {
		return nil, err
	}
	var why []string
	if !ch.Approved {
		why = append(why, fmt.Sprintf("is not approved yet (the operator approves it: POST /api/v1/channels/%d/approve)", ch.ID))
	}
	if !ch.Enabled {
		why = append(why, fmt.Sprintf("is disabled (its company enables it: POST /api/v1/channels/%d/enable)", ch.ID))
	}
	if len(why) > 0 {
		return nil, hookline.Errorf(hookline.CodeForbidden, "channel %d %s", ch.ID, strings.Join(why, " and "))
	}
	return ch, nil
}

// checkKey checks an Idempotency-Key: at most MaxHookKeyLen bytes of
// printable text.
func checkKey(key string) error {
	switch {
	case len(key) > hookline.MaxHookKeyLen:
		return hookline.Invalid("Idempotency-Key", "must be at most %d bytes long", hookline.MaxHookKeyLen)
	case !utf8.ValidString(key):
		return hookline.Invalid("Idempotency-Key", "must be valid UTF-8")
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return hookline.Invalid("Idempotency-Key", "must not contain control characters")
	}
	return nil
}

// ReceiveMessage hands a call's message to the bot: in sync mode its answer
// is returned, in async mode the message is committed and the answer goes
// to the POST_URL later (DeliverReply). With an Idempotency-Key seen for
// the channel within hookline.HookKeyWindow, the first answer comes back
// and the bot does not run again.
func (s *Service) ReceiveMessage(ctx context.Context, ch *hookline.HookChannel, p hookline.HookPayload, key string) (*hookline.HookAnswer, bool, error) {
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	if s.cfg.Runtime == nil {
		return nil, false, fmt.Errorf("channel service: no bot runtime configured")
	}
	if key != "" {
		if err := checkKey(key); err != nil {
			return nil, false, err
		}
		// The payload as decoded, encoded again: the same message hashes
		// the same whatever its spacing and key order.
		canonical, err := json.Marshal(p)
		if err != nil {
			return nil, false, fmt.Errorf("hash the message: %w", err)
		}
		hash := sha256.Sum256(canonical)
		first, err := s.cfg.Store.ClaimHookKey(ctx, ch.ID, key, hash[:], hookline.HookKeyWindow, staleClaim)
		if err != nil {
			return nil, false, err
		}
		if first != nil {
			return first, true, nil
		}
	}
	answer, err := s.answer(ctx, ch, p)
	// The key's fate is recorded whatever became of the request's context:
	// a client that hung up will send the key again.
	store := context.WithoutCancel(ctx)
	if err != nil {
		if key != "" {
			if rerr := s.cfg.Store.ReleaseHookKey(store, ch.ID, key); rerr != nil {
				s.log.Error("release Idempotency-Key", "channel_id", ch.ID, "error", rerr.Error())
			}
		}
		return nil, false, err
	}
	if key != "" {
		if err := s.cfg.Store.SaveHookAnswer(store, ch.ID, key, answer); err != nil {
			// The bot has answered: the caller gets the answer, and a
			// repeat of the key waits until the claim is stale.
			s.log.Error("save the answer of an Idempotency-Key", "channel_id", ch.ID, "error", err.Error())
		}
	}
	return answer, false, nil
}

// answer runs the bot as the channel's mode says.
func (s *Service) answer(ctx context.Context, ch *hookline.HookChannel, p hookline.HookPayload) (*hookline.HookAnswer, error) {
	m := hookline.InboundMessage{
		BotID: ch.BotID, ChannelID: ch.ID, ChannelName: ch.Name,
		From: p.From.ID, To: p.To.ID, Text: p.Message.Text,
		Attachments: p.Message.Attachments, CustomData: p.CustomData,
	}
	if ch.Mode == hookline.ChannelAsync {
		if err := s.cfg.Runtime.AcceptMessage(ctx, m); err != nil {
			return nil, err
		}
		return &hookline.HookAnswer{Async: true}, nil
	}
	reply, err := s.cfg.Runtime.HandleMessage(ctx, m)
	if err != nil {
		return nil, err
	}
	text := []json.RawMessage{}
	if reply != nil && reply.Text != nil {
		text = reply.Text
	}
	return &hookline.HookAnswer{Text: text}, nil
}
