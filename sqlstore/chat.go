package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

const chatColumns = "id, company_id, integration_id, connection_id, connection_type, connection_code, campaign_id, contact, status, end_reason, created_at, last_message_at, ended_at"

func scanChat(scan func(...any) error) (*hookline.Chat, error) {
	var c hookline.Chat
	var campaign sql.NullInt64
	var ended sql.NullTime
	if err := scan(&c.ID, &c.CompanyID, &c.IntegrationID, &c.ConnectionID, &c.ConnectionType, &c.ConnectionCode, &campaign,
		&c.Contact, &c.Status, &c.EndReason, &c.CreatedAt, &c.LastMessageAt, &ended); err != nil {
		return nil, err
	}
	c.CreatedAt, c.LastMessageAt = c.CreatedAt.UTC(), c.LastMessageAt.UTC()
	if campaign.Valid {
		c.CampaignID = &campaign.Int64
	}
	if ended.Valid {
		t := ended.Time.UTC()
		c.EndedAt = &t
	}
	return &c, nil
}

const chatMessageColumns = "id, chat_id, direction, text, multimedia, provider_id, delivery_ids, created_at"

func scanChatMessage(scan func(...any) error) (*hookline.ChatMessage, error) {
	var m hookline.ChatMessage
	var media, ids string
	if err := scan(&m.ID, &m.ChatID, &m.Direction, &m.Text, &media, &m.ProviderID, &ids, &m.CreatedAt); err != nil {
		return nil, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	if media != "" {
		m.Multimedia = &hookline.Multimedia{}
		if err := json.Unmarshal([]byte(media), m.Multimedia); err != nil {
			return nil, fmt.Errorf("chat message %d: %w", m.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(ids), &m.DeliveryIDs); err != nil {
		return nil, fmt.Errorf("chat message %d: %w", m.ID, err)
	}
	return &m, nil
}

func encodeMedia(m *hookline.Multimedia) string {
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func encodeIDs(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// insertMessage stores m on chat chatID and moves the chat's last message
// time.
func (s *IntegrationStore) insertMessage(ctx context.Context, q conn, chatID int64, m *hookline.ChatMessage, now time.Time) error {
	m.ChatID, m.CreatedAt = chatID, now
	if m.DeliveryIDs == nil {
		m.DeliveryIDs = []int64{}
	}
	if err := q.queryRow(ctx, `INSERT INTO chat_messages (chat_id, direction, text, multimedia, provider_id, delivery_ids, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{chatID, m.Direction, m.Text, encodeMedia(m.Multimedia), m.ProviderID, encodeIDs(m.DeliveryIDs), now}, &m.ID); err != nil {
		return fmt.Errorf("store chat message: %w", err)
	}
	return nil
}

// AddInbound stores a contact's message on its open chat, opening one, in
// one transaction with the record of its provider id; a provider id seen
// before returns what was stored then.
func (s *IntegrationStore) AddInbound(ctx context.Context, tmpl *hookline.Chat, m *hookline.ChatMessage, event hookline.InboundEvent) (*hookline.InboundResult, error) {
	var out *hookline.InboundResult
	err := s.inbound.write(ctx, struct{}{}, func(q conn) error {
		// The write may run twice (again alone if its batch failed).
		out, m.ID, m.DeliveryIDs = nil, 0, nil
		now := s.db.timestamp()
		res, err := q.exec(ctx, `INSERT INTO provider_messages (connection_id, provider_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (connection_id, provider_id) DO NOTHING`, tmpl.ConnectionID, m.ProviderID, now)
		if err != nil {
			return fmt.Errorf("record provider message: %w", err)
		}
		if n, err := rowsChanged(res, "record provider message"); err != nil {
			return err
		} else if n == 0 {
			out, err = s.seenBefore(ctx, q, tmpl.ConnectionID, m.ProviderID)
			return err
		}
		// The contact's open chat, its last message now, or a new one; a
		// chat opened at the same time by another message is found by the
		// second try.
		touch := func() (*hookline.Chat, error) {
			row := q.row(ctx, "UPDATE chats SET last_message_at = ? WHERE integration_id = ? AND connection_id = ? AND contact = ? AND status = 'open' RETURNING "+chatColumns,
				now, tmpl.IntegrationID, tmpl.ConnectionID, tmpl.Contact)
			c, err := scanChat(row.Scan)
			return c, q.d.translate(err)
		}
		chat, err := touch()
		if isCode(err, hookline.CodeNotFound) {
			if _, err := q.exec(ctx, `INSERT INTO chats (company_id, integration_id, connection_id, connection_type, connection_code, campaign_id, contact, status, created_at, last_message_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (integration_id, connection_id, contact) WHERE status = 'open' DO NOTHING`,
				tmpl.CompanyID, tmpl.IntegrationID, tmpl.ConnectionID, tmpl.ConnectionType, tmpl.ConnectionCode, nullRef(tmpl.CampaignID),
				tmpl.Contact, now, now); err != nil {
				return fmt.Errorf("open chat: %w", err)
			}
			chat, err = touch()
		}
		if err != nil {
			return fmt.Errorf("find open chat: %w", err)
		}
		m.Direction, m.ChatID, m.CreatedAt = hookline.DirectionIn, chat.ID, now
		var d *hookline.Delivery
		if event != nil {
			// The event goes first, so that the message is written once,
			// with its delivery's id.
			if d, err = event(chat, m); err != nil {
				return err
			}
		}
		if d != nil {
			request, err := json.Marshal(d.Request)
			if err != nil {
				return fmt.Errorf("queue the message's event: encode request: %w", err)
			}
			if err := insertDelivery(ctx, q, d, request, now); err != nil {
				return err
			}
			m.DeliveryIDs = []int64{d.ID}
		}
		if err := s.insertMessage(ctx, q, chat.ID, m, now); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "UPDATE provider_messages SET chat_message_id = ? WHERE connection_id = ? AND provider_id = ?", m.ID, tmpl.ConnectionID, m.ProviderID); err != nil {
			return fmt.Errorf("record provider message: %w", err)
		}
		out = &hookline.InboundResult{Chat: chat, Message: m, Delivery: d}
		return nil
	})
	return out, err
}

// seenBefore returns what a provider message seen before became.
func (s *IntegrationStore) seenBefore(ctx context.Context, q conn, connectionID int64, providerID string) (*hookline.InboundResult, error) {
	out := &hookline.InboundResult{Duplicate: true}
	var msgID sql.NullInt64
	if err := q.queryRow(ctx, "SELECT chat_message_id FROM provider_messages WHERE connection_id = ? AND provider_id = ?", []any{connectionID, providerID}, &msgID); err != nil {
		return nil, fmt.Errorf("find provider message: %w", err)
	}
	if !msgID.Valid {
		return out, nil
	}
	m, err := scanChatMessage(q.row(ctx, "SELECT "+chatMessageColumns+" FROM chat_messages WHERE id = ?", msgID.Int64).Scan)
	if err != nil {
		if err = q.d.translate(err); isCode(err, hookline.CodeNotFound) {
			// Its chat was deleted with its integration since.
			return out, nil
		}
		return nil, err
	}
	c, err := scanChat(q.row(ctx, "SELECT "+chatColumns+" FROM chats WHERE id = ?", m.ChatID).Scan)
	if err != nil {
		return nil, q.d.translate(err)
	}
	out.Chat, out.Message = c, m
	return out, nil
}

// SeeProviderMessage records a provider message handled outside a chat.
func (s *IntegrationStore) SeeProviderMessage(ctx context.Context, connectionID int64, providerID string) (bool, error) {
	res, err := s.db.conn().exec(ctx, `INSERT INTO provider_messages (connection_id, provider_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (connection_id, provider_id) DO NOTHING`, connectionID, providerID, s.db.timestamp())
	if err != nil {
		return false, fmt.Errorf("record provider message: %w", err)
	}
	n, err := rowsChanged(res, "record provider message")
	return n == 1, err
}

// ForgetProviderMessage undoes SeeProviderMessage.
func (s *IntegrationStore) ForgetProviderMessage(ctx context.Context, connectionID int64, providerID string) error {
	_, err := s.db.conn().exec(ctx, "DELETE FROM provider_messages WHERE connection_id = ? AND provider_id = ?", connectionID, providerID)
	return err
}

// AddOutbound stores a reply on an open chat.
func (s *IntegrationStore) AddOutbound(ctx context.Context, chatID int64, m *hookline.ChatMessage) error {
	return s.db.inTx(ctx, func(q conn) error {
		now := s.db.timestamp()
		res, err := q.exec(ctx, "UPDATE chats SET last_message_at = ? WHERE id = ? AND status = 'open'", now, chatID)
		if err != nil {
			return fmt.Errorf("reply: %w", err)
		}
		if n, err := rowsChanged(res, "reply"); err != nil {
			return err
		} else if n == 0 {
			return chatGoneOrEnded(ctx, q, chatID)
		}
		m.Direction = hookline.DirectionOut
		return s.insertMessage(ctx, q, chatID, m, now)
	})
}

// chatGoneOrEnded is the error of a change refused on chat id: not found,
// or ended.
func chatGoneOrEnded(ctx context.Context, q conn, id int64) error {
	var ended sql.NullTime
	err := q.queryRow(ctx, "SELECT ended_at FROM chats WHERE id = ?", []any{id}, &ended)
	if err != nil {
		return notFoundAs(err, "chat %d not found", id)
	}
	return hookline.Errorf(hookline.CodeConflict, "chat %d ended at %s; a new message from the contact starts a new chat", id, ended.Time.UTC().Format(time.RFC3339))
}

// SetMessageDeliveries records the deliveries carrying a message.
func (s *IntegrationStore) SetMessageDeliveries(ctx context.Context, messageID int64, ids []int64) error {
	return s.inbound.write(ctx, struct{}{}, func(q conn) error {
		_, err := q.exec(ctx, "UPDATE chat_messages SET delivery_ids = ? WHERE id = ?", encodeIDs(ids), messageID)
		return err
	})
}

// FindChat returns chat chatID of integration integrationID within scope.
func (s *IntegrationStore) FindChat(ctx context.Context, scope hookline.Scope, integrationID, chatID int64) (*hookline.Chat, error) {
	cond, args := companyScope(scope, "company_id")
	row := s.db.conn().row(ctx, "SELECT "+chatColumns+" FROM chats WHERE id = ? AND integration_id = ? AND "+cond, append([]any{chatID, integrationID}, args...)...)
	c, err := scanChat(row.Scan)
	if err != nil {
		return nil, notFoundAs(s.db.dialect.translate(err), "chat %d of integration %d not found", chatID, integrationID)
	}
	return c, nil
}

// FindChats lists an integration's chats by id.
func (s *IntegrationStore) FindChats(ctx context.Context, f hookline.ChatFilter) ([]*hookline.Chat, error) {
	cond, args := companyScope(f.Scope, "company_id")
	cond += " AND integration_id = ?"
	args = append(args, f.IntegrationID)
	if f.Status != "" {
		cond += " AND status = ?"
		args = append(args, f.Status)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "chats", "SELECT "+chatColumns+" FROM chats WHERE "+cond, args, scanChat)
}

// FindChatMessages lists a chat's messages, oldest first.
func (s *IntegrationStore) FindChatMessages(ctx context.Context, chatID int64) ([]*hookline.ChatMessage, error) {
	return queryAll(ctx, s.db.conn(), "chat messages", "SELECT "+chatMessageColumns+" FROM chat_messages WHERE chat_id = ? ORDER BY id", []any{chatID}, scanChatMessage)
}

// EndChat ends an open chat.
func (s *IntegrationStore) EndChat(ctx context.Context, chatID int64, reason string) (*hookline.Chat, error) {
	var out *hookline.Chat
	err := s.db.inTx(ctx, func(q conn) error {
		now := s.db.timestamp()
		res, err := q.exec(ctx, "UPDATE chats SET status = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND status = 'open'", reason, now, chatID)
		if err != nil {
			return fmt.Errorf("end chat %d: %w", chatID, err)
		}
		if n, err := rowsChanged(res, "end chat"); err != nil {
			return err
		} else if n == 0 {
			return chatGoneOrEnded(ctx, q, chatID)
		}
		out, err = scanChat(q.row(ctx, "SELECT "+chatColumns+" FROM chats WHERE id = ?", chatID).Scan)
		return q.d.translate(err)
	})
	return out, err
}

// FindIdleChats lists open chats quiet since before.
func (s *IntegrationStore) FindIdleChats(ctx context.Context, before time.Time, limit int) ([]*hookline.Chat, error) {
	return queryAll(ctx, s.db.conn(), "idle chats", "SELECT "+chatColumns+" FROM chats WHERE status = 'open' AND last_message_at < ? ORDER BY last_message_at LIMIT ?",
		[]any{storedTime(before), limit}, scanChat)
}

// PruneProviderMessages forgets provider ids seen before before.
func (s *IntegrationStore) PruneProviderMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.conn().exec(ctx, `DELETE FROM provider_messages WHERE (connection_id, provider_id) IN (
		SELECT connection_id, provider_id FROM provider_messages WHERE created_at < ? LIMIT ?)`, storedTime(before), limit)
	if err != nil {
		return 0, errors.Join(errors.New("prune provider messages"), err)
	}
	return rowsChanged(res, "prune provider messages")
}
