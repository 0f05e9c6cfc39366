// Package channeltest gives the tests of the webhook channel what the bot
// runtime provides in the running service: bots to create channels for
// (Bots) and a runtime that answers messages (Runtime). It is for tests
// only; the bot service implements both for real.
package channeltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hookline/hookline"
)

// Bots is a set of bots, each of a company, as channel.BotFinder sees
// them.
type Bots struct {
	mu   sync.Mutex
	next int64
	bots map[int64]*hookline.Tenant
}

// Add makes a bot of company and returns its id.
func (b *Bots) Add(company *hookline.Tenant) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bots == nil {
		b.bots, b.next = map[int64]*hookline.Tenant{}, 100
	}
	b.next++
	b.bots[b.next] = company
	return b.next
}

// BotCompany returns the company of bot id when scope sees it.
func (b *Bots) BotCompany(_ context.Context, scope hookline.Scope, id int64) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	company, ok := b.bots[id]
	if !ok || !scope.SeesCompany(company) {
		return 0, hookline.NotFound("bot", id)
	}
	return company.ID, nil
}

// Runtime answers every message with two things said: "You said: <text>"
// and a template object naming the channel; the text "fail" makes it fail
// (a hookline error, CodeUnavailable). Accepted messages are answered at
// once, through Sink, before AcceptMessage returns: order per session is
// then the order of the calls. It records every message it gets.
type Runtime struct {
	Sink hookline.ReplySink

	mu       sync.Mutex
	messages []hookline.InboundMessage
	sessions map[string]int64
}

// Messages returns the messages received so far, in order.
func (rt *Runtime) Messages() []hookline.InboundMessage {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]hookline.InboundMessage(nil), rt.messages...)
}

func (rt *Runtime) step(m hookline.InboundMessage) (*hookline.BotReply, error) {
	rt.mu.Lock()
	rt.messages = append(rt.messages, m)
	if rt.sessions == nil {
		rt.sessions = map[string]int64{}
	}
	key := fmt.Sprintf("%d/%d/%s", m.BotID, m.ChannelID, m.From)
	session, ok := rt.sessions[key]
	if !ok {
		session = int64(len(rt.sessions) + 1)
		rt.sessions[key] = session
	}
	rt.mu.Unlock()
	if strings.TrimSpace(m.Text) == "fail" {
		return nil, hookline.Errorf(hookline.CodeUnavailable, "the bot failed, as asked")
	}
	said, err := json.Marshal("You said: " + m.Text)
	if err != nil {
		return nil, err
	}
	card, err := json.Marshal(map[string]any{"type": "template", "payload": map[string]any{"channel": m.ChannelName, "customData": m.CustomData}})
	if err != nil {
		return nil, err
	}
	return &hookline.BotReply{Text: []json.RawMessage{said, card}, SessionID: session}, nil
}

// HandleMessage answers m.
func (rt *Runtime) HandleMessage(_ context.Context, m hookline.InboundMessage) (*hookline.BotReply, error) {
	return rt.step(m)
}

// AcceptMessage answers m through Sink.
func (rt *Runtime) AcceptMessage(ctx context.Context, m hookline.InboundMessage) error {
	r, err := rt.step(m)
	if err != nil {
		return err
	}
	if rt.Sink == nil {
		return fmt.Errorf("channeltest: no reply sink")
	}
	return rt.Sink.DeliverReply(ctx, m, r)
}
