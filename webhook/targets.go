package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

// What the webhook service reads of the delivery queue: each webhook's
// state there (disabled by a 410, signing secret), shown on the webhook,
// and its signing secret, with which Run signs as a delivery is signed.

// DeliveryTargets is the part of the delivery store the webhook service
// reads.
type DeliveryTargets interface {
	FindSigningSecret(ctx context.Context, kind hookline.TargetKind, id int64) (*hookline.SigningSecret, error)
	FindTargetStates(ctx context.Context, kind hookline.TargetKind, ids []int64) (map[int64]hookline.TargetState, error)
	CancelTargetDeliveries(ctx context.Context, kind hookline.TargetKind, id int64) (int, error)
}

// Signer adds a request's signature headers (Standard Webhooks: id,
// timestamp, signature over the body) to h, under secret.
type Signer func(secret *hookline.SigningSecret, h http.Header, body []byte) error

// UseDeliveryTargets makes the service show each webhook's delivery state
// (disabled_at, signing_secret masked) and Run sign with the webhook's
// signing secret through sign. Without it, neither happens.
func (s *Service) UseDeliveryTargets(targets DeliveryTargets, sign Signer) {
	s.targets, s.sign = targets, sign
}

// withTargetStates sets the delivery state of the shown webhooks.
func (s *Service) withTargetStates(ctx context.Context, ws ...*hookline.Webhook) error {
	if s.targets == nil || len(ws) == 0 {
		return nil
	}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	states, err := s.targets.FindTargetStates(ctx, hookline.TargetWebhook, ids)
	if err != nil {
		return err
	}
	for _, w := range ws {
		st := states[w.ID]
		w.DisabledAt = st.DisabledAt
		if st.HasSigningSecret {
			w.SigningSecret = hookline.SecretMask
		}
	}
	return nil
}

// cancelDeliveries cancels what waits in the queue for a deleted webhook;
// a delivery being sent finishes its attempt.
func (s *Service) cancelDeliveries(ctx context.Context, id int64) error {
	if s.targets == nil {
		return nil
	}
	if _, err := s.targets.CancelTargetDeliveries(ctx, hookline.TargetWebhook, id); err != nil {
		return fmt.Errorf("webhook %d deleted, but its pending deliveries were not canceled: %w", id, err)
	}
	return nil
}

// runSigned runs a stored webhook against a Run webhook context, signed
// when it has a signing secret.
func (s *Service) runSigned(ctx context.Context, w *hookline.Webhook, runContext json.RawMessage) (*hookline.WebhookResult, error) {
	c, err := s.exec.Compile(&w.WebhookDefinition)
	if err != nil {
		return nil, err
	}
	data, err := RunData(runContext)
	if err != nil {
		return nil, err
	}
	return s.runCompiled(ctx, w, c, data)
}

// runCompiled runs a stored webhook's compiled definition against data,
// signed when it has a signing secret.
func (s *Service) runCompiled(ctx context.Context, w *hookline.Webhook, c *Compiled, data map[string]any) (*hookline.WebhookResult, error) {
	if s.targets == nil || s.sign == nil {
		return s.exec.Run(ctx, c, data), nil
	}
	secret, err := s.targets.FindSigningSecret(ctx, hookline.TargetWebhook, w.ID)
	if err != nil {
		return nil, fmt.Errorf("run webhook %d: %w", w.ID, err)
	}
	if secret == nil {
		return s.exec.Run(ctx, c, data), nil
	}
	return s.exec.run(ctx, c, data, func(h http.Header, body []byte) error {
		return s.sign(secret, h, body)
	}), nil
}

// RunInConversation runs a stored webhook (as the store returned it,
// secrets opened) in a conversation, as Run webhook runs it: the bot
// runtime's sync webhooks. The error is for a definition that does not
// compile or a store failure; failures of the exchange are in the result.
func (s *Service) RunInConversation(ctx context.Context, w *hookline.Webhook, conv *hookline.Conversation) (*hookline.WebhookResult, error) {
	c, err := s.exec.Compile(&w.WebhookDefinition)
	if err != nil {
		return nil, err
	}
	data, err := ConversationData(conv)
	if err != nil {
		return nil, err
	}
	return s.runCompiled(ctx, w, c, data)
}
