package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) channelAPI() resource {
	return resource{
		tag: "channels",
		routes: []route{
			{pattern: "POST /api/v1/bots/{id}/channels", handle: s.createChannel, doc: &operation{
				summary: "Add a webhook channel to a bot",
				description: "Without app_id a new app named after the channel is created, and its client_secret is in this answer, the only time it is shown. " +
					"async mode needs post_url; the access_token is stored sealed and shown as ********. A new channel is enabled but not approved: " +
					"it answers 403 until the operator approves it (POST /api/v1/channels/{id}/approve). url is where outside systems post messages; " +
					"the bot's first channel also answers at /chatbot/hooks/{botId}.",
				request: hookline.ChannelInput{}, status: http.StatusCreated, response: hookline.NewChannel{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/bots/{id}/channels", handle: s.listChannels, doc: &operation{
				summary: "List a bot's webhook channels", description: "Ordered by id (the first is the bot's first channel), one page at a time; tokens masked.",
				status: http.StatusOK, response: list{"channels", hookline.Channel{}},
				query: pageParams(), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "GET /api/v1/channels", handle: s.listAllChannels, doc: &operation{
				summary: "List the webhook channels of every bot the key sees",
				description: "Ordered by id, one page at a time; tokens masked. With approved=false, the channels waiting for the operator's approval: " +
					"what an admin key approves next (POST /api/v1/channels/{id}/approve).",
				status: http.StatusOK, response: list{"channels", hookline.Channel{}},
				query: append([]param{companyIDParam(), {name: "approved", description: "true: only approved channels; false: only those waiting for approval",
					schema: map[string]any{"type": "boolean"}}}, pageParams()...),
				errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "GET /api/v1/channels/{id}", handle: s.getChannel, doc: &operation{
				summary: "Get a webhook channel (token masked)", status: http.StatusOK, response: hookline.Channel{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "PATCH /api/v1/channels/{id}", handle: s.patchChannel, doc: &operation{
				summary: "Change a webhook channel",
				description: "Associate an app of the bot's company (app_id; after a bot import its channels have none), or change the mode, post_url, access_token, name or require_exp. " +
					"Absent fields keep their value; access_token ******** keeps the stored token.",
				request: hookline.ChannelPatch{}, status: http.StatusOK, response: hookline.Channel{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/channels/{id}", handle: s.deleteChannel, doc: &operation{
				summary: "Delete a webhook channel", description: "Answers still queued for its post_url are canceled.",
				status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/channels/{id}/approve", handle: s.approveChannel, doc: &operation{
				summary:     "Approve a webhook channel (the operator's admin keys only)",
				description: "Until approved, the channel's hook answers 403. Other keys get 403 here.",
				request:     emptyBody{}, optionalBody: true, status: http.StatusOK, response: hookline.Channel{},
				errors: []int{http.StatusForbidden, http.StatusNotFound}}},
			{pattern: "POST /api/v1/channels/{id}/enable", handle: s.enableChannel, doc: &operation{
				summary: "Enable a webhook channel", request: emptyBody{}, optionalBody: true, status: http.StatusOK, response: hookline.Channel{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/channels/{id}/disable", handle: s.disableChannel, doc: &operation{
				summary: "Disable a webhook channel", description: "Its hook answers 403 until it is enabled again.",
				request: emptyBody{}, optionalBody: true, status: http.StatusOK, response: hookline.Channel{},
				errors: []int{http.StatusNotFound}}},
		},
	}
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	botID, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	var in hookline.ChannelInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	ch, err := s.channels.CreateChannel(r.Context(), caller, botID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/channels/%d", ch.ID))
	writeJSON(w, http.StatusCreated, ch)
	return nil
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	botID, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.channels.FindChannels(r.Context(), caller, botID, page)
	if err != nil {
		return err
	}
	writePage(w, "channels", p)
	return nil
}

func (s *Server) listAllChannels(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	companyID, err := queryID(r, "company_id")
	if err != nil {
		return err
	}
	var f hookline.ChannelListFilter
	switch raw := r.URL.Query().Get("approved"); raw {
	case "":
	case "true", "false":
		approved := raw == "true"
		f.Approved = &approved
	default:
		return hookline.Invalid("approved", "query parameter approved must be true or false, not %q", raw)
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.channels.FindAllChannels(r.Context(), caller, companyID, f, page)
	if err != nil {
		return err
	}
	writePage(w, "channels", p)
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "channel")
	if err != nil {
		return err
	}
	ch, err := s.channels.FindChannel(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "channel")
	if err != nil {
		return err
	}
	var in hookline.ChannelPatch
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	ch, err := s.channels.UpdateChannel(r.Context(), caller, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "channel")
	if err != nil {
		return err
	}
	if err := s.channels.DeleteChannel(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// channelAction runs one of the POST actions on a channel, whose body may
// be absent or {}.
func (s *Server) channelAction(w http.ResponseWriter, r *http.Request, act func(id int64) (*hookline.Channel, error)) error {
	id, err := pathID(r, "id", "channel")
	if err != nil {
		return err
	}
	if err := s.decode(w, r, &emptyBody{}, true); err != nil {
		return err
	}
	ch, err := act(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (s *Server) approveChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.channelAction(w, r, func(id int64) (*hookline.Channel, error) {
		return s.channels.ApproveChannel(r.Context(), caller, id)
	})
}

func (s *Server) enableChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.channelAction(w, r, func(id int64) (*hookline.Channel, error) {
		return s.channels.SetChannelEnabled(r.Context(), caller, id, true)
	})
}

func (s *Server) disableChannel(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.channelAction(w, r, func(id int64) (*hookline.Channel, error) {
		return s.channels.SetChannelEnabled(r.Context(), caller, id, false)
	})
}
