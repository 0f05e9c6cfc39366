package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/provider/twilio"
	"github.com/hookline/hookline/provider/whatsapp"
)

// InboundConnection returns the connection of a public inbound path,
// secrets opened, for the edge to check the provider's signature with.
func (s *Service) InboundConnection(ctx context.Context, t hookline.ConnectionType, code string) (*hookline.Connection, error) {
	if hookline.ValidateConnectionCode(code) != nil {
		return nil, hookline.NotFound("connection", code)
	}
	return s.lookups.connection(ctx, t, code, s.cfg.Connections.FindConnectionByCode)
}

// Receive routes the messages of one provider request: to the chat of the
// integration holding the connection, or to the live campaign holding it.
// Each provider message is handled once however often it comes: a
// duplicate's event is queued again under the same idempotency key, which
// finds the first delivery, so that one stored but not yet queued when the
// process died is queued now.
func (s *Service) Receive(ctx context.Context, conn *hookline.Connection, msgs []hookline.ProviderMessage) error {
	switch conn.HolderKind {
	case hookline.HolderIntegration:
		i, err := s.lookups.integration(ctx, 0, conn.HolderID, s.cfg.Integrations.FindIntegration)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if i.Status != hookline.IntegrationActive {
			s.log.Info("message on the connection of an inactive integration dropped", "connection", conn.Code, "integration_id", i.ID)
			return nil
		}
		return s.toChats(ctx, conn, i, nil, msgs)
	case hookline.HolderCampaign:
		camp, err := s.cfg.Campaigns.FindConnectionCampaign(ctx, conn.ID)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if camp.Status != hookline.CampaignLive {
			s.log.Info("message on the connection of a campaign that is not live dropped", "connection", conn.Code, "campaign_id", camp.ID)
			return nil
		}
		return s.toCampaign(ctx, conn, camp, msgs)
	}
	s.log.Info("message on a free connection dropped", "connection", conn.Code)
	return nil
}

// resolveMedia turns WhatsApp media ids into URLs through the Graph API,
// before anything is stored, so that events carry a URL; a failure fails
// the request and the provider sends it again.
func (s *Service) resolveMedia(ctx context.Context, conn *hookline.Connection, m *hookline.ProviderMessage) error {
	if m.Media == nil || m.Media.URL != "" || m.Media.MediaID == "" {
		return nil
	}
	u, ct, err := whatsapp.ResolveMedia(ctx, s.cfg.Client, &conn.Provider, m.Media.MediaID)
	if err != nil {
		return hookline.Errorf(hookline.CodeUnavailable, "the provider's media %s could not be read: %v", m.Media.MediaID, err)
	}
	m.Media.URL = u
	if ct != "" {
		m.Media.ContentType = ct
	}
	return nil
}

func media(m *hookline.InboundMedia) *hookline.Multimedia {
	if m == nil {
		return nil
	}
	return &hookline.Multimedia{URL: m.URL, Caption: m.Caption, ContentType: m.ContentType}
}

// toChats stores each message on its contact's chat with integration i
// and queues its MESSAGE event.
func (s *Service) toChats(ctx context.Context, conn *hookline.Connection, i *hookline.Integration, camp *hookline.Campaign, msgs []hookline.ProviderMessage) error {
	for _, m := range msgs {
		if err := s.resolveMedia(ctx, conn, &m); err != nil {
			return err
		}
		tmpl := &hookline.Chat{CompanyID: i.CompanyID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type,
			ConnectionCode: conn.Code, Contact: m.From}
		if camp != nil {
			tmpl.CampaignID = &camp.ID
		}
		// The MESSAGE event is stored with the message, in its
		// transaction: one commit instead of three, and never a message
		// without its event.
		var ev hookline.InboundEvent
		if i.Wants(hookline.EventMessage) {
			ev = func(chat *hookline.Chat, msg *hookline.ChatMessage) (*hookline.Delivery, error) {
				d, err := s.eventDelivery(ctx, i, chat, s.messageEvent(ctx, chat, msg, camp))
				if err != nil {
					return nil, err
				}
				return d, s.cfg.Queue.Prepare(d)
			}
		}
		res, err := s.cfg.Chats.AddInbound(ctx, tmpl, &hookline.ChatMessage{ProviderID: m.ProviderID, Text: m.Text, Multimedia: media(m.Media)}, ev)
		if err != nil {
			return err
		}
		switch {
		case res.Delivery != nil:
			s.cfg.Queue.Wake()
		case res.Duplicate && res.Message != nil && len(res.Message.DeliveryIDs) == 0:
			// Stored before without its event (the integration did not
			// want MESSAGE events then, or an older version stored them
			// apart): queue it now, once.
			if err := s.queueMessageEvent(ctx, i, res.Chat, res.Message, camp); err != nil {
				return err
			}
		}
	}
	return nil
}

// messageEvent is the MESSAGE event of inbound message m. It names the
// live campaign camp the message came through, or else the one that
// opened the chat.
func (s *Service) messageEvent(ctx context.Context, chat *hookline.Chat, m *hookline.ChatMessage, camp *hookline.Campaign) hookline.ChatEvent {
	if camp == nil && chat.CampaignID != nil {
		if c, err := s.cfg.Campaigns.FindCampaign(ctx, hookline.AdminScope(), *chat.CampaignID); err == nil {
			camp = c
		}
	}
	return event(chat, hookline.EventMessage, m, m.CreatedAt, camp)
}

// event is the event of a chat as integration i is sent it.
func event(chat *hookline.Chat, kind string, m *hookline.ChatMessage, at time.Time, camp *hookline.Campaign) hookline.ChatEvent {
	ev := hookline.ChatEvent{ChatID: chat.ID, Contact: chat.Contact, Event: kind,
		Connection: hookline.EventConnection{Type: chat.ConnectionType, Code: chat.ConnectionCode},
		Timestamp:  at.UTC().Format(time.RFC3339)}
	if m != nil {
		ev.Text = m.Text
		if m.Multimedia != nil {
			ev.Multimedia = hookline.EventMultimedia{URL: m.Multimedia.URL, Caption: m.Multimedia.Caption, ContentType: m.Multimedia.ContentType}
		}
	}
	if camp != nil {
		ev.Campaign = &hookline.EventCampaign{ID: camp.ID, Name: camp.Name}
	}
	return ev
}

// queueMessageEvent queues the MESSAGE event of an inbound message (once:
// its idempotency key is the message) and records its delivery.
func (s *Service) queueMessageEvent(ctx context.Context, i *hookline.Integration, chat *hookline.Chat, m *hookline.ChatMessage, camp *hookline.Campaign) error {
	if !i.Wants(hookline.EventMessage) {
		return nil
	}
	d, err := s.queueEvent(ctx, i, chat, s.messageEvent(ctx, chat, m, camp), fmt.Sprintf("message-%d", m.ID))
	if err != nil {
		return err
	}
	if len(m.DeliveryIDs) == 1 && m.DeliveryIDs[0] == d.ID {
		return nil
	}
	m.DeliveryIDs = []int64{d.ID}
	return s.cfg.Chats.SetMessageDeliveries(ctx, m.ID, m.DeliveryIDs)
}

// queueEvent queues an event of integration i on the chat's key, once per
// key.
func (s *Service) queueEvent(ctx context.Context, i *hookline.Integration, chat *hookline.Chat, ev hookline.ChatEvent, key string) (*hookline.Delivery, error) {
	d, err := s.eventDelivery(ctx, i, chat, ev)
	if err != nil {
		return nil, err
	}
	out, _, err := s.cfg.Queue.Enqueue(ctx, d, &hookline.IdempotencyKey{Key: key, RequestHash: requestHash(key)})
	return out, err
}

// eventDelivery renders an event as integration i sends it (its method,
// URL, params and headers as the Webhook Builder renders them, its body
// fields in the body or, for GET and DELETE, the query), as a delivery on
// the chat's key.
func (s *Service) eventDelivery(ctx context.Context, i *hookline.Integration, chat *hookline.Chat, ev hookline.ChatEvent) (*hookline.Delivery, error) {
	raw := ev.JSON()
	req, err := s.cfg.Exec.Freeze(ctx, i.Webhook(), raw)
	if err != nil {
		return nil, fmt.Errorf("integration %d: render the %s event: %w", i.ID, ev.Event, err)
	}
	decoded, err := decodeEvent(raw)
	if err != nil {
		return nil, err
	}
	switch i.Method {
	case http.MethodGet, http.MethodDelete:
		u, err := url.Parse(req.URL)
		if err != nil {
			return nil, fmt.Errorf("integration %d: the rendered URL does not parse: %w", i.ID, err)
		}
		u.RawQuery = Query(u.RawQuery, i.BodyFields, decoded)
		req.URL = u.String()
	default:
		if req.Body, err = Body(i.BodyFields, decoded); err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
	}
	return &hookline.Delivery{CompanyID: i.CompanyID, TargetKind: hookline.TargetIntegration, TargetID: i.ID,
		OrderingKey: fmt.Sprintf("chat-%d", chat.ID), Request: *req}, nil
}

// toCampaign hands messages to a live campaign: a chatbot campaign's
// integration or bot, or a keyword campaign's answer.
func (s *Service) toCampaign(ctx context.Context, conn *hookline.Connection, camp *hookline.Campaign, msgs []hookline.ProviderMessage) error {
	if camp.Type == hookline.CampaignChatbot && camp.IntegrationID != nil {
		i, err := s.cfg.Integrations.FindIntegration(ctx, hookline.AdminScope(), *camp.IntegrationID)
		if err != nil {
			return err
		}
		if i.Status != hookline.IntegrationActive {
			return nil
		}
		return s.toChats(ctx, conn, i, camp, msgs)
	}
	for _, m := range msgs {
		if err := s.toCampaignOnce(ctx, conn, camp, m); err != nil {
			return err
		}
	}
	return nil
}

// toCampaignOnce answers one message by a keyword campaign or a bot, once
// per provider id: a failure forgets the id, so that the provider's retry
// is answered.
func (s *Service) toCampaignOnce(ctx context.Context, conn *hookline.Connection, camp *hookline.Campaign, m hookline.ProviderMessage) (err error) {
	fresh, err := s.cfg.Chats.SeeProviderMessage(ctx, conn.ID, m.ProviderID)
	if err != nil || !fresh {
		return err
	}
	defer func() {
		if err != nil {
			if ferr := s.cfg.Chats.ForgetProviderMessage(context.WithoutCancel(ctx), conn.ID, m.ProviderID); ferr != nil {
				s.log.Warn("forget a provider message after a failure", "connection", conn.Code, "error", ferr.Error())
			}
		}
	}()
	var texts []string
	switch {
	case camp.Type == hookline.CampaignKeyword:
		if !camp.MatchKeyword(m.Text) {
			return nil
		}
		texts = []string{camp.Reply}
	case camp.BotID != nil:
		if s.cfg.Runtime == nil {
			return hookline.Errorf(hookline.CodeUnavailable, "campaign %d runs bot %d, but this server runs no bots", camp.ID, *camp.BotID)
		}
		if err := s.resolveMedia(ctx, conn, &m); err != nil {
			return err
		}
		in := hookline.InboundMessage{BotID: *camp.BotID, ChannelName: string(conn.Type) + ":" + conn.Code, From: m.From, To: conn.Code, Text: m.Text}
		if m.Media != nil {
			in.Attachments, _ = json.Marshal([]hookline.Multimedia{*media(m.Media)})
		}
		reply, err := s.cfg.Runtime.HandleMessage(ctx, in)
		if err != nil {
			return err
		}
		for _, t := range reply.Text {
			texts = append(texts, botText(t))
		}
	}
	for n, text := range texts {
		if text == "" {
			continue
		}
		for k, req := range providerRequests(conn, m.From, text, nil) {
			key := fmt.Sprintf("answer-%s-%d-%d", m.ProviderID, n, k)
			d := &hookline.Delivery{CompanyID: conn.CompanyID, TargetKind: hookline.TargetConnection, TargetID: conn.ID,
				OrderingKey: "contact-" + m.From, Request: req}
			if _, _, err := s.cfg.Queue.Enqueue(ctx, d, &hookline.IdempotencyKey{Key: key, RequestHash: requestHash(key)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// botText is what an SMS or WhatsApp contact reads of one element of a
// bot's reply: a string as it is, a rich template's text or title.
func botText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		for _, k := range []string{"text", "title", "message"} {
			if v, ok := obj[k].(string); ok {
				return v
			}
		}
	}
	return ""
}

// providerRequests are the provider API calls that send text and a medium
// to a contact through conn.
func providerRequests(conn *hookline.Connection, to, text string, m *hookline.Multimedia) []hookline.DeliveryRequest {
	if conn.Type == hookline.ConnectionWhatsApp {
		return whatsapp.SendRequests(&conn.Provider, to, text, m)
	}
	body, mediaURL := text, ""
	if m != nil {
		mediaURL = m.URL
		if body == "" {
			body = m.Caption
		} else if m.Caption != "" {
			body += "\n" + m.Caption
		}
	}
	return []hookline.DeliveryRequest{twilio.SendRequest(&conn.Provider, to, body, mediaURL)}
}

// FindChats lists one page of an integration's chats.
func (s *Service) FindChats(ctx context.Context, c *hookline.Caller, integrationID int64, status hookline.ChatStatus, page hookline.PageRequest) (hookline.Page[*hookline.Chat], error) {
	if status != "" && status != hookline.ChatOpen && status != hookline.ChatEnded {
		return hookline.Page[*hookline.Chat]{}, hookline.Invalid("status", "%q is not a chat status; use open or ended", status)
	}
	if _, err := s.cfg.Integrations.FindIntegration(ctx, c.Scope(), integrationID); err != nil {
		return hookline.Page[*hookline.Chat]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Chat]{}, err
	}
	cs, err := s.cfg.Chats.FindChats(ctx, hookline.ChatFilter{Scope: c.Scope(), IntegrationID: integrationID, Status: status, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Chat]{}, err
	}
	return hookline.PageOf(cs, limit, func(c *hookline.Chat) int64 { return c.ID }), nil
}

// FindChat returns a chat with its messages.
func (s *Service) FindChat(ctx context.Context, c *hookline.Caller, integrationID, chatID int64) (*hookline.Chat, error) {
	chat, err := s.cfg.Chats.FindChat(ctx, c.Scope(), integrationID, chatID)
	if err != nil {
		return nil, err
	}
	if chat.Messages, err = s.cfg.Chats.FindChatMessages(ctx, chat.ID); err != nil {
		return nil, err
	}
	return chat, nil
}

// Reply sends a message to a chat's contact through its connection, on
// the chat's key, so that replies go out in order and never wait for the
// integration's endpoint.
func (s *Service) Reply(ctx context.Context, cred hookline.ReplyCredential, integrationID, chatID int64, in hookline.ReplyInput) (*hookline.ChatMessage, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	i, err := s.authorizeReply(ctx, cred, integrationID)
	if err != nil {
		return nil, err
	}
	chat, err := s.cfg.Chats.FindChat(ctx, hookline.Scope{TenantID: i.CompanyID, Kind: hookline.KindCompany}, i.ID, chatID)
	if err != nil {
		return nil, err
	}
	if chat.Status == hookline.ChatEnded {
		return nil, hookline.Errorf(hookline.CodeConflict, "chat %d ended at %s; a new message from the contact starts a new chat", chat.ID, chat.EndedAt.Format(time.RFC3339))
	}
	conn, err := s.cfg.Connections.FindConnection(ctx, hookline.AdminScope(), chat.ConnectionID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return nil, hookline.Errorf(hookline.CodeConflict, "chat %d's connection %q was deleted; the contact cannot be reached", chat.ID, chat.ConnectionCode)
	}
	if err != nil {
		return nil, err
	}
	var m *hookline.Multimedia
	if in.Multimedia != nil {
		m = &hookline.Multimedia{URL: in.Multimedia.URL, Caption: in.Multimedia.Caption}
	}
	msg := &hookline.ChatMessage{Text: in.Text, Multimedia: m}
	if err := s.cfg.Chats.AddOutbound(ctx, chat.ID, msg); err != nil {
		return nil, err
	}
	for _, req := range providerRequests(conn, chat.Contact, in.Text, m) {
		d := &hookline.Delivery{CompanyID: conn.CompanyID, TargetKind: hookline.TargetConnection, TargetID: conn.ID,
			OrderingKey: fmt.Sprintf("chat-%d", chat.ID), Request: req}
		out, _, err := s.cfg.Queue.Enqueue(ctx, d, nil)
		if err != nil {
			return nil, err
		}
		msg.DeliveryIDs = append(msg.DeliveryIDs, out.ID)
	}
	if err := s.cfg.Chats.SetMessageDeliveries(ctx, msg.ID, msg.DeliveryIDs); err != nil {
		return nil, err
	}
	return msg, nil
}

// EndChat ends a chat through the reply URL.
func (s *Service) EndChat(ctx context.Context, cred hookline.ReplyCredential, integrationID, chatID int64) (*hookline.Chat, error) {
	i, err := s.authorizeReply(ctx, cred, integrationID)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Chats.FindChat(ctx, hookline.Scope{TenantID: i.CompanyID, Kind: hookline.KindCompany}, i.ID, chatID); err != nil {
		return nil, err
	}
	return s.endChat(ctx, i, chatID, "ended")
}

// endChat ends a chat and queues END after everything before it: the
// MESSAGE events of its messages are queued first (each once, by its
// key), so that one whose request was still between storing and queuing
// cannot come after END.
func (s *Service) endChat(ctx context.Context, i *hookline.Integration, chatID int64, reason string) (*hookline.Chat, error) {
	chat, err := s.cfg.Chats.EndChat(ctx, chatID, reason)
	if err != nil {
		return nil, err
	}
	if i.Wants(hookline.EventMessage) {
		msgs, err := s.cfg.Chats.FindChatMessages(ctx, chat.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Direction == hookline.DirectionIn && len(m.DeliveryIDs) == 0 {
				if err := s.queueMessageEvent(ctx, i, chat, m, nil); err != nil {
					return nil, err
				}
			}
		}
	}
	if i.Wants(hookline.EventEnd) {
		var camp *hookline.Campaign
		if chat.CampaignID != nil {
			camp, _ = s.cfg.Campaigns.FindCampaign(ctx, hookline.AdminScope(), *chat.CampaignID)
		}
		if _, err := s.queueEvent(ctx, i, chat, event(chat, hookline.EventEnd, nil, *chat.EndedAt, camp), fmt.Sprintf("end-%d", chat.ID)); err != nil {
			return nil, err
		}
	}
	return chat, nil
}

// Names of the chat upkeep's lock and its batch.
const (
	IdleLock  = "chat-idle"
	idleBatch = 100
	// ProviderIDRetention is how long a provider message id is kept to
	// tell a repeat: providers retry for a day or two at most.
	ProviderIDRetention = 7 * 24 * time.Hour
)

// EndIdleChats ends the open chats quiet for longer than timeout, each
// with END queued, and forgets provider ids older than
// ProviderIDRetention; it returns how many chats it ended.
func (s *Service) EndIdleChats(ctx context.Context, timeout time.Duration) (int, error) {
	now := s.cfg.Now()
	ended := 0
	for {
		chats, err := s.cfg.Chats.FindIdleChats(ctx, now.Add(-timeout), idleBatch)
		if err != nil {
			return ended, err
		}
		for _, chat := range chats {
			i, err := s.cfg.Integrations.FindIntegration(ctx, hookline.AdminScope(), chat.IntegrationID)
			if err != nil {
				return ended, err
			}
			if _, err := s.endChat(ctx, i, chat.ID, "idle"); err != nil && hookline.ErrorCode(err) != hookline.CodeConflict {
				return ended, err
			}
			ended++
		}
		if len(chats) < idleBatch {
			break
		}
	}
	for {
		n, err := s.cfg.Chats.PruneProviderMessages(ctx, now.Add(-ProviderIDRetention), 500)
		if err != nil || n < 500 {
			return ended, err
		}
	}
}
