package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

// replyAuthDoc says how the reply routes authenticate.
const replyAuthDoc = " Authenticated by Authorization: Bearer <reply_token> (the integration's, shown at creation or by POST .../reply-token; the previous one works for 24 hours after a rotation) or by an API key that sees the integration (the Try Out form)."

func (s *Server) integrationAPI() resource {
	chatStatus := param{name: "status", description: "only open or only ended chats", schema: map[string]any{"type": "string", "enum": []string{"open", "ended"}}}
	return resource{
		tag: "integrations",
		routes: []route{
			{pattern: "POST /api/v1/integrations", handle: s.createIntegration, doc: &operation{
				summary: "Create a Custom Webhook integration",
				description: "Chat events (MESSAGE, END) of its connections' contacts go to its URL, signed the Standard Webhooks way. Params, auth and headers are the Webhook Builder's; " +
					"body_fields (default chatId, contact, event, text, multimedia.url, multimedia.caption) make the JSON body, or the query string for GET and DELETE. " +
					"connections lists codes of free connections of the company; a held one is a 409 naming its holder. The answer is the only one showing signing_secret and reply_token. It starts inactive.",
				request: hookline.IntegrationInput{}, status: http.StatusCreated, response: hookline.NewIntegration{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/integrations", handle: s.listIntegrations, doc: &operation{
				summary: "List integrations", description: "Ordered by id, one page at a time; secrets masked.",
				status: http.StatusOK, response: list{"integrations", hookline.Integration{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/integrations/{id}", handle: s.getIntegration, doc: &operation{
				summary: "Get an integration (secrets masked)", status: http.StatusOK, response: hookline.Integration{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "PUT /api/v1/integrations/{id}", handle: s.replaceIntegration, doc: &operation{
				summary:     "Replace an integration's definition and connections",
				description: "A secret sent as ******** or left out while the auth type stays keeps the stored one. Connections no longer listed are freed.",
				request:     hookline.IntegrationInput{}, status: http.StatusOK, response: hookline.Integration{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/integrations/{id}", handle: s.deleteIntegration, doc: &operation{
				summary: "Delete an integration", description: "Its chats go with it and its connections are freed; refused (409, naming them) while campaigns link it.",
				status: http.StatusNoContent, errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/integrations/{id}/start", handle: s.startIntegration, doc: &operation{
				summary: "Start an integration: its connections' messages open chats and go out as events",
				status:  http.StatusOK, response: hookline.Integration{}, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/integrations/{id}/stop", handle: s.stopIntegration, doc: &operation{
				summary: "Stop an integration", description: "Refused (409, naming them) while live campaigns use it.",
				status: http.StatusOK, response: hookline.Integration{}, errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/integrations/{id}/api-details", handle: s.integrationAPIDetails, doc: &operation{
				summary: "The API Details tab: the reply URL, its headers, parameters, an example request and the answers",
				status:  http.StatusOK, response: hookline.APIDetails{}, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/integrations/{id}/reply-token", handle: s.rotateReplyToken, doc: &operation{
				summary: "Rotate the reply token", description: "The answer is the only one showing the new token; the previous one keeps working for 24 hours.",
				status: http.StatusOK, response: hookline.NewReplyToken{}, errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/integrations/{id}/campaigns", handle: s.listIntegrationCampaigns, doc: &operation{
				summary: "The campaigns linked to an integration: id, name and integration date",
				status:  http.StatusOK, response: list{"campaigns", hookline.IntegrationCampaign{}},
				query: pageParams(), errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/integrations/{id}/chats", handle: s.listChats, doc: &operation{
				summary: "List an integration's chats", description: "Ordered by id, one page at a time, without their messages.",
				status: http.StatusOK, response: list{"chats", hookline.Chat{}},
				query: append([]param{chatStatus}, pageParams()...), errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/integrations/{id}/chats/{chatId}", handle: s.getChat, doc: &operation{
				summary: "Get a chat with its messages", status: http.StatusOK, response: hookline.Chat{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/integrations/{id}/chats/{chatId}/messages", handle: s.replyToChat, replyToken: true, doc: &operation{
				summary: "Reply in a chat: the message goes to the contact through the chat's connection",
				description: "The 202 comes once the message is stored and its provider calls queued, in order with the chat's other replies. " +
					"A provider's refusal no retry changes (an invalid number, WhatsApp's closed 24-hour window) fails the delivery at once with the provider's error in its attempt. " +
					"An unknown chat is a 404, an ended one a 409." + replyAuthDoc,
				request: hookline.ReplyInput{}, status: http.StatusAccepted, response: hookline.ChatMessage{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/integrations/{id}/chats/{chatId}/end", handle: s.endChat, replyToken: true, doc: &operation{
				summary:     "End a chat: END is queued after every event before it",
				description: "An ended chat is a 409; the contact's next message starts a new chat." + replyAuthDoc,
				status:      http.StatusOK, response: hookline.Chat{}, errors: []int{http.StatusNotFound, http.StatusConflict}}},
		},
	}
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.IntegrationInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	i, err := s.integrations.CreateIntegration(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/integrations/%d", i.ID))
	writeJSON(w, http.StatusCreated, i)
	return nil
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "integrations", s.integrations.FindIntegrations)
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	i, err := s.integrations.FindIntegration(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (s *Server) replaceIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	var in hookline.IntegrationInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	i, err := s.integrations.ReplaceIntegration(r.Context(), caller, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	if err := s.integrations.DeleteIntegration(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) startIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	i, err := s.integrations.StartIntegration(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (s *Server) stopIntegration(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	i, err := s.integrations.StopIntegration(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (s *Server) integrationAPIDetails(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	d, err := s.integrations.APIDetails(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) rotateReplyToken(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	t, err := s.integrations.RotateReplyToken(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) listIntegrationCampaigns(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.integrations.FindIntegrationCampaigns(r.Context(), caller, id, page)
	if err != nil {
		return err
	}
	writePage(w, "campaigns", p)
	return nil
}

func (s *Server) listChats(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.integrations.FindChats(r.Context(), caller, id, hookline.ChatStatus(r.URL.Query().Get("status")), page)
	if err != nil {
		return err
	}
	writePage(w, "chats", p)
	return nil
}

func (s *Server) getChat(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	chatID, err := pathID(r, "chatId", "chat")
	if err != nil {
		return err
	}
	c, err := s.integrations.FindChat(r.Context(), caller, id, chatID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// replyCredential is who calls a reply route: the caller of an API key, or
// the bearer of a reply token (caller nil).
func replyCredential(r *http.Request, caller *hookline.Caller) hookline.ReplyCredential {
	if caller != nil {
		return hookline.ReplyCredential{Caller: caller}
	}
	return hookline.ReplyCredential{ReplyToken: bearerToken(r)}
}

func (s *Server) replyToChat(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	chatID, err := pathID(r, "chatId", "chat")
	if err != nil {
		return err
	}
	var in hookline.ReplyInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	m, err := s.integrations.Reply(r.Context(), replyCredential(r, caller), id, chatID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, m)
	return nil
}

func (s *Server) endChat(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	chatID, err := pathID(r, "chatId", "chat")
	if err != nil {
		return err
	}
	c, err := s.integrations.EndChat(r.Context(), replyCredential(r, caller), id, chatID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) connectionAPI() resource {
	return resource{
		tag: "connections",
		routes: []route{
			{pattern: "POST /api/v1/connections", handle: s.createConnection, doc: &operation{
				summary: "Create an SMS (Twilio) or WhatsApp (Cloud API) connection",
				description: "The code names it in its inbound URL (/channels/sms/{code}, /channels/whatsapp/{code}), so it is unique across all tenants: a taken one is a 409. " +
					"Provider secrets are stored sealed and shown as ********. Configure inbound_url at the provider.",
				request: hookline.ConnectionInput{}, status: http.StatusCreated, response: hookline.Connection{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/connections", handle: s.listConnections, doc: &operation{
				summary: "List connections", description: "Ordered by id, one page at a time; secrets masked.",
				status: http.StatusOK, response: list{"connections", hookline.Connection{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/connections/{id}", handle: s.getConnection, doc: &operation{
				summary: "Get a connection (secrets masked)", status: http.StatusOK, response: hookline.Connection{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "DELETE /api/v1/connections/{id}", handle: s.deleteConnection, doc: &operation{
				summary: "Delete a connection", description: "Refused (409, naming it) while an integration or a campaign holds it.",
				status: http.StatusNoContent, errors: []int{http.StatusNotFound, http.StatusConflict}}},
		},
	}
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.ConnectionInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	c, err := s.connections.CreateConnection(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/connections/%d", c.ID))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "connections", s.connections.FindConnections)
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "connection")
	if err != nil {
		return err
	}
	c, err := s.connections.FindConnection(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "connection")
	if err != nil {
		return err
	}
	if err := s.connections.DeleteConnection(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) campaignAPI() resource {
	return resource{
		tag: "campaigns",
		routes: []route{
			{pattern: "POST /api/v1/campaigns", handle: s.createCampaign, doc: &operation{
				summary: "Create a campaign on a connection",
				description: "chatbot: exactly one of integration_id (an active integration without connections of its own; 409 otherwise) and bot_id. " +
					"keyword: keywords and reply; a message that is exactly a keyword (trimmed, any case) is answered with the reply. " +
					"The connection must be free: one held by an integration or another campaign is a 409 naming it. It starts as a draft.",
				request: hookline.CampaignInput{}, status: http.StatusCreated, response: hookline.Campaign{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/campaigns", handle: s.listCampaigns, doc: &operation{
				summary: "List campaigns", status: http.StatusOK, response: list{"campaigns", hookline.Campaign{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/campaigns/{id}", handle: s.getCampaign, doc: &operation{
				summary: "Get a campaign", status: http.StatusOK, response: hookline.Campaign{}, errors: []int{http.StatusNotFound}}},
			{pattern: "DELETE /api/v1/campaigns/{id}", handle: s.deleteCampaign, doc: &operation{
				summary: "Delete a campaign that is not live; its connection is freed",
				status:  http.StatusNoContent, errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/campaigns/{id}/live", handle: s.campaignLive, doc: &operation{
				summary: "Make a campaign live", description: "A chatbot campaign's integration must be active (409 otherwise).",
				status: http.StatusOK, response: hookline.Campaign{}, errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/campaigns/{id}/pause", handle: s.campaignPause, doc: &operation{
				summary: "Pause a campaign", status: http.StatusOK, response: hookline.Campaign{}, errors: []int{http.StatusNotFound}}},
		},
	}
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.CampaignInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	c, err := s.campaigns.CreateCampaign(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/campaigns/%d", c.ID))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "campaigns", s.campaigns.FindCampaigns)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "campaign")
	if err != nil {
		return err
	}
	c, err := s.campaigns.FindCampaign(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteCampaign(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "campaign")
	if err != nil {
		return err
	}
	if err := s.campaigns.DeleteCampaign(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) campaignLive(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "campaign")
	if err != nil {
		return err
	}
	c, err := s.campaigns.GoLive(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) campaignPause(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "campaign")
	if err != nil {
		return err
	}
	c, err := s.campaigns.Pause(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
