package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

// ConversationData builds the template context of DESIGN.md from a
// conversation: `certainly` with the documented names (sessionId and
// moduleId as numbers; replyData, extractedData and customVariables only
// when set, so that `is defined` tells), the same object under
// `conversation`, `fb` with firstName and lastName on the Facebook channel
// only, and `context.session.BotUserSession.lastMessage.customData`.
// Context values are added by Build.
func ConversationData(conv *hookline.Conversation) (map[string]any, error) {
	c := jinja.NewObject()
	c.Set("sessionId", conv.SessionID)
	if err := setJSON(c, "replyData", conv.ReplyData); err != nil {
		return nil, err
	}
	c.Set("attachedMedia", conv.AttachedMedia)
	c.Set("direction", conv.Direction)
	c.Set("reply", conv.Reply)
	if err := setJSON(c, "extractedData", conv.ExtractedData); err != nil {
		return nil, err
	}
	c.Set("botId", conv.BotID)
	c.Set("botDeploymentId", conv.BotDeploymentID)
	if err := setJSON(c, "customVariables", conv.CustomVariables); err != nil {
		return nil, err
	}
	c.Set("moduleId", conv.ModuleID)
	c.Set("to", conv.To)
	c.Set("from", conv.From)
	c.Set("botTrainedModelId", conv.BotTrainedModelID)

	last := jinja.NewObject()
	last.Set("text", conv.Reply)
	if err := setJSON(last, "customData", conv.CustomData); err != nil {
		return nil, err
	}
	data := map[string]any{
		"certainly":    c,
		"conversation": c,
		"context":      nest(nest(nest(last, "lastMessage"), "BotUserSession"), "session"),
	}
	if conv.Channel == hookline.ChannelFacebook {
		fb := jinja.NewObject()
		fb.Set("firstName", conv.FirstName)
		fb.Set("lastName", conv.LastName)
		data["fb"] = fb
	}
	return data, nil
}

func nest(v any, key string) *jinja.Object {
	o := jinja.NewObject()
	o.Set(key, v)
	return o
}

func setJSON(o *jinja.Object, key string, raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	v, err := jinja.DecodeJSON(raw)
	if err != nil {
		return hookline.Invalid(key, "is not valid JSON: %v", err)
	}
	o.Set(key, v)
	return nil
}

// RunData builds the template context for Run webhook from the JSON object
// the user sent: its keys become the top-level names as given, and when
// only one of `certainly` and `conversation` is given the other mirrors it.
// An empty context (absent, null or {}) means the sample conversation of
// SampleConversation, so that Run webhook works out of the box.
func RunData(raw json.RawMessage) (map[string]any, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("{}")) {
		conv := SampleConversation()
		return ConversationData(&conv)
	}
	v, err := jinja.DecodeJSON(trimmed)
	if err != nil {
		return nil, hookline.Invalid("context", "is not valid JSON: %v", err)
	}
	obj, ok := v.(*jinja.Object)
	if !ok {
		return nil, hookline.Invalid("context", "must be a JSON object such as {\"certainly\": {\"sessionId\": 1}}")
	}
	data := make(map[string]any, obj.Len()+1)
	for _, k := range obj.Keys() {
		data[k], _ = obj.Get(k)
	}
	c, hasC := data["certainly"]
	cv, hasCv := data["conversation"]
	switch {
	case hasC && !hasCv:
		data["conversation"] = c
	case hasCv && !hasC:
		data["certainly"] = cv
	}
	return data, nil
}

// SampleConversation is the conversation Run webhook uses when the user
// sends no context: a Facebook Messenger user who has given an e-mail
// address and a ticket number to a helpdesk bot.
func SampleConversation() hookline.Conversation {
	return hookline.Conversation{
		SessionID:         4815162342,
		ReplyData:         json.RawMessage(`{"ticket_id": "388"}`),
		AttachedMedia:     "",
		Direction:         "in",
		Reply:             "My ticket number is 388",
		ExtractedData:     json.RawMessage(`{"email": "ada@example.com", "ticket_id": "388", "order_id": "A-1042"}`),
		BotID:             "5f0c6d3e-8a2b-4c1d-9e7f-2a3b4c5d6e7f",
		BotDeploymentID:   "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
		CustomVariables:   json.RawMessage(`{"language": "en", "plan": "premium"}`),
		ModuleID:          12,
		To:                "104230175193582",
		From:              "6021983457712345",
		BotTrainedModelID: "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e",
		Channel:           hookline.ChannelFacebook,
		FirstName:         "Ada",
		LastName:          "Lovelace",
		CustomData:        json.RawMessage(`{"source": "help-center", "page": "/orders"}`),
	}
}

// SampleContext is the sample conversation as the JSON context object Run
// webhook accepts, for documentation and the CLI.
func SampleContext() json.RawMessage {
	conv := SampleConversation()
	type lastMessage struct {
		Text       string          `json:"text"`
		CustomData json.RawMessage `json:"customData"`
	}
	sample := struct {
		Certainly hookline.Conversation `json:"certainly"`
		FB        map[string]string     `json:"fb"`
		Context   any                   `json:"context"`
	}{
		Certainly: conv,
		FB:        map[string]string{"firstName": conv.FirstName, "lastName": conv.LastName},
		Context: map[string]any{"session": map[string]any{"BotUserSession": map[string]any{
			"lastMessage": lastMessage{Text: conv.Reply, CustomData: conv.CustomData},
		}}},
	}
	// The certainly object shows only the documented names.
	sample.Certainly.Channel, sample.Certainly.FirstName, sample.Certainly.LastName, sample.Certainly.CustomData = "", "", "", nil
	b, err := json.MarshalIndent(sample, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("webhook: marshal sample context: %v", err))
	}
	return b
}
