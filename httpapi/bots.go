package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

func (s *Server) botAPI() resource {
	return resource{
		tag: "bots",
		routes: []route{
			{pattern: "POST /api/v1/bots", handle: s.createBot, doc: &operation{
				summary: "Create a bot, or import an exported bot document",
				description: "The body is a bot document, JSON or YAML (Content-Type: application/yaml). Connections name webhooks by id or by name; a name the company lacks is a 400 naming where it is used, " +
					"an id of another company a 404. Every template (texts, prompts, retry prompts, overrides, the string values of JSON object texts, conditions, the error message) is compiled: " +
					"an error names its path, such as modules[2].text, with line and column; a connection to a missing module is a 400 such as modules[2].connections[0].to: no module 7. " +
					"An exported document's channels are recreated unapproved and without an app. Agency and admin keys name the company with company_id. " +
					"YAML is read safely: aliases, merge keys and custom tags are refused.",
				request: hookline.BotInput{}, status: http.StatusCreated, response: hookline.Bot{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/bots", handle: s.listBots, doc: &operation{
				summary: "List the bots the caller may see", description: "Ordered by id, one page at a time.",
				status: http.StatusOK, response: list{"bots", hookline.Bot{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "GET /api/v1/bots/{id}", handle: s.getBot, doc: &operation{
				summary: "Get a bot (webhooks by id)", status: http.StatusOK, response: hookline.Bot{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "PUT /api/v1/bots/{id}", handle: s.replaceBot, doc: &operation{
				summary: "Replace a bot's dialog",
				description: "The body is a bot document, JSON or YAML, checked as on POST; the version goes up by one and the next message of every session uses it. " +
					"The company stays (company_id, if sent, must be the bot's own); channels are managed on their own and are not accepted here. " +
					"Read-only fields of a fetched bot (id, version, created_at, updated_at) are accepted and ignored.",
				request: hookline.BotInput{}, status: http.StatusOK, response: hookline.Bot{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/bots/{id}", handle: s.deleteBot, doc: &operation{
				summary: "Delete a bot with its sessions and metrics", status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/bots/{id}/export", handle: s.exportBot, doc: &operation{
				summary: "Export a bot's document",
				description: "The document POST /api/v1/bots imports, here or in another company or instance: webhooks named, not numbered, and the bot's channels (names, types, modes, POST_URLs; never secrets). " +
					"JSON by default; YAML with ?format=yaml or Accept: application/yaml.",
				status: http.StatusOK, response: hookline.BotDocument{},
				query:  []param{{name: "format", description: "json (default) or yaml", schema: map[string]any{"type": "string", "enum": []string{"json", "yaml"}}}},
				errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "POST /api/v1/bots/{id}/try", handle: s.tryBot, doc: &operation{
				summary: "Talk to a bot as a sync channel would (the builder's test console)",
				description: "One step of the session of from (default try) on channel 0: the answer is what the bot says, as a sync webhook channel answers it. " +
					"Webhooks run as they do in every session; GET /api/v1/sessions/{id} shows what happened.",
				request: hookline.BotTryInput{}, status: http.StatusOK, response: hookline.BotTryReply{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/bots/{id}/sessions", handle: s.listBotSessions, doc: &operation{
				summary: "List a bot's sessions, newest first", description: "One page at a time, without their history.",
				status: http.StatusOK, response: list{"sessions", hookline.BotSession{}},
				query: append([]param{
					{name: "channel", description: "only sessions of this channel id (0: the try console)", schema: map[string]any{"type": "integer", "minimum": 0}},
					{name: "state", description: "only open or only ended sessions", schema: map[string]any{"type": "string", "enum": []string{"open", "ended"}}},
				}, pageParams()...),
				errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "GET /api/v1/sessions/{id}", handle: s.getBotSession, doc: &operation{
				summary:     "Get a session with its history",
				description: "Its state, variables and extracted data, and each message it handled: what the user said, what the bot said, the modules entered, each webhook's outcome (kind, status, duration) and notes on why a branch was taken.",
				status:      http.StatusOK, response: hookline.BotSession{}, errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/bots/{id}/metrics", handle: s.botMetrics, doc: &operation{
				summary:     "A bot's traffic per channel and hour",
				description: "Messages in and out, sessions started and ended, webhook calls by outcome, for each channel (0: the try console) and each hour with traffic, and their totals. Whole hours: from is rounded down, to up; by default the last 24 hours; at most 31 days.",
				status:      http.StatusOK, response: hookline.BotMetrics{},
				query: []param{
					{name: "channel", description: "only this channel id (0: the try console)", schema: map[string]any{"type": "integer", "minimum": 0}},
					{name: "from", description: "RFC 3339 time; default: 24 hours before to", schema: map[string]any{"type": "string", "format": "date-time"}},
					{name: "to", description: "RFC 3339 time; default: now", schema: map[string]any{"type": "string", "format": "date-time"}},
				},
				errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
		},
	}
}

// botSource reads a request body as a bot document, its format from the
// Content-Type: YAML for application/yaml and its aliases, JSON
// otherwise.
func (s *Server) botSource(w http.ResponseWriter, r *http.Request) (hookline.BotSource, error) {
	if r.ContentLength > s.maxBodyBytes {
		return hookline.BotSource{}, tooLarge(s.maxBodyBytes)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return hookline.BotSource{}, tooLarge(maxErr.Limit)
	case err != nil:
		return hookline.BotSource{}, hookline.Invalid("", "reading the request body failed: %v", err)
	}
	format := hookline.BotJSON
	if isYAML(r.Header.Get("Content-Type")) {
		format = hookline.BotYAML
	}
	return hookline.BotSource{Data: data, Format: format}, nil
}

// isYAML reports whether a media type (a Content-Type, or one entry of
// an Accept header) names YAML.
func isYAML(mediaType string) bool {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return false
}

func (s *Server) createBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	src, err := s.botSource(w, r)
	if err != nil {
		return err
	}
	b, err := s.bots.CreateBot(r.Context(), caller, src)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/bots/%d", b.ID))
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) listBots(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "bots", s.bots.FindBots)
}

func (s *Server) getBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	b, err := s.bots.FindBot(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) replaceBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	src, err := s.botSource(w, r)
	if err != nil {
		return err
	}
	b, err := s.bots.ReplaceBot(r.Context(), caller, id, src)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) deleteBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	if err := s.bots.DeleteBot(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exportFormat is the format an export asks for: ?format, else the
// Accept header, else JSON.
func exportFormat(r *http.Request) (hookline.BotFormat, error) {
	if q := r.URL.Query(); q.Has("format") {
		switch f := hookline.BotFormat(q.Get("format")); f {
		case hookline.BotJSON, hookline.BotYAML:
			return f, nil
		default:
			return "", hookline.Invalid("format", "query parameter format must be json or yaml, not %q", f)
		}
	}
	for _, accept := range strings.Split(r.Header.Get("Accept"), ",") {
		if isYAML(strings.TrimSpace(accept)) {
			return hookline.BotYAML, nil
		}
	}
	return hookline.BotJSON, nil
}

func (s *Server) exportBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	format, err := exportFormat(r)
	if err != nil {
		return err
	}
	doc, err := s.bots.ExportBot(r.Context(), caller, id, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if format == hookline.BotYAML {
		w.Header().Set("Content-Type", "application/yaml")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

func (s *Server) tryBot(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	var in hookline.BotTryInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	reply, err := s.bots.TryBot(r.Context(), caller, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// channelParam reads the channel query parameter: absent is nil, 0 the
// try console.
func channelParam(r *http.Request) (*int64, error) {
	q := r.URL.Query()
	if !q.Has("channel") {
		return nil, nil
	}
	id, err := strconv.ParseInt(q.Get("channel"), 10, 64)
	if err != nil || id < 0 {
		return nil, hookline.Invalid("channel", "query parameter channel must be a channel id (0 for the try console), not %q", q.Get("channel"))
	}
	return &id, nil
}

func (s *Server) listBotSessions(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	channel, err := channelParam(r)
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	f := hookline.BotSessionListFilter{ChannelID: channel, State: hookline.BotSessionState(r.URL.Query().Get("state"))}
	p, err := s.bots.FindBotSessions(r.Context(), caller, id, f, page)
	if err != nil {
		return err
	}
	writePage(w, "sessions", p)
	return nil
}

func (s *Server) getBotSession(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "session")
	if err != nil {
		return err
	}
	sess, err := s.bots.FindBotSession(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sess)
	return nil
}

// timeParam reads an RFC 3339 query parameter; absent is the zero time.
func timeParam(r *http.Request, name string) (time.Time, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, hookline.Invalid(name, "query parameter %s must be an RFC 3339 time such as 2026-01-02T15:00:00Z, not %q", name, raw)
	}
	return t, nil
}

func (s *Server) botMetrics(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	var q hookline.BotMetricsQuery
	if q.ChannelID, err = channelParam(r); err != nil {
		return err
	}
	if q.From, err = timeParam(r, "from"); err != nil {
		return err
	}
	if q.To, err = timeParam(r, "to"); err != nil {
		return err
	}
	m, err := s.bots.BotMetrics(r.Context(), caller, id, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
