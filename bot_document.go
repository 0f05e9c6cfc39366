package hookline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A bot (issue 17, DESIGN.md "Bot") is a dialog of numbered modules joined
// by connections. Its document is what a bot designer writes and what
// import and export carry, as JSON or YAML. Package bot parses documents,
// compiles their templates and runs them; this file holds the types and
// the rules that need no template engine.

// ModuleType names what a module does when the dialog enters it.
type ModuleType string

const (
	// ModuleMessage says its text and follows its first matching
	// connection at once; with none, the dialog waits there.
	ModuleMessage ModuleType = "message"
	// ModuleCollector says its prompt and waits for the user's answer,
	// which it validates and stores under its key.
	ModuleCollector ModuleType = "collector"
	// ModuleEnd says its text and ends the session.
	ModuleEnd ModuleType = "end"
)

// ModuleTypes lists the module types.
var ModuleTypes = []ModuleType{ModuleMessage, ModuleCollector, ModuleEnd}

// ValidationType names how a collector checks an answer.
type ValidationType string

const (
	ValidateText    ValidationType = "text"
	ValidateNumber  ValidationType = "number"
	ValidateEmail   ValidationType = "email"
	ValidatePhone   ValidationType = "phone"
	ValidateDate    ValidationType = "date"
	ValidateRegex   ValidationType = "regex"
	ValidateOptions ValidationType = "options"
)

// ValidationTypes lists the validation types.
var ValidationTypes = []ValidationType{ValidateText, ValidateNumber, ValidateEmail, ValidatePhone, ValidateDate, ValidateRegex, ValidateOptions}

// Bounds of a bot document, so that one bot cannot bloat the store or a
// step.
const (
	MaxBotDocumentBytes  = 1 << 20
	MaxBotNameLen        = 200
	MaxBotModules        = 1000
	MaxBotConnections    = 100 // per module, and global
	MaxBotWebhookRefs    = 20  // per connection
	MaxBotWebhooks       = 200 // distinct webhooks of one bot
	MaxBotTextBytes      = 16 << 10
	MaxBotConditionBytes = 4 << 10
	MaxBotKeyLen         = 100
	MaxBotOptions        = 100
	MaxBotOptionLen      = 200
	MaxBotPatternLen     = 1000
	MaxBotOverrides      = 50
	MaxBotChannelNameLen = 200
)

// Defaults and bounds of a bot's settings.
const (
	DefaultBotIdleTimeout  = 30 * time.Minute
	MinBotIdleTimeout      = time.Minute
	MaxBotIdleTimeout      = 30 * 24 * time.Hour
	DefaultBotMaxSteps     = 50
	MaxBotMaxSteps         = 1000
	DefaultBotErrorMessage = "Sorry, something went wrong. Please try again."
)

// BotValidation is how a collector checks an answer.
type BotValidation struct {
	Type    ValidationType `json:"type" doc:"text (any non-empty answer), number, email, phone (7 to 15 digits, + ( ) - . and spaces allowed), date (YYYY-MM-DD, or day first: D/M/YYYY, D.M.YYYY, D-M-YYYY; stored as YYYY-MM-DD), regex (the whole answer matches pattern, RE2 syntax) or options (one of options, any case)"`
	Pattern string         `json:"pattern,omitempty" doc:"regex: the pattern the whole answer must match (RE2 syntax)"`
	Options []string       `json:"options,omitempty" doc:"options: the answers accepted; the stored value is the option as written here"`
}

// BotWebhookRef names a webhook on a connection: by id in a stored bot,
// by name in an exported document (so that it imports into another
// company), either on import. Its JSON is a number or a string.
type BotWebhookRef struct {
	ID   int64
	Name string
}

// MarshalJSON writes the id as a number, or else the name as a string.
func (r BotWebhookRef) MarshalJSON() ([]byte, error) {
	if r.ID != 0 {
		return strconv.AppendInt(nil, r.ID, 10), nil
	}
	return json.Marshal(r.Name)
}

// UnmarshalJSON reads a positive integer id or a name.
func (r *BotWebhookRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return err
		}
		*r = BotWebhookRef{Name: name}
		return nil
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("must be a webhook id (a positive integer) or a webhook name (a string), not %s", b)
	}
	*r = BotWebhookRef{ID: id}
	return nil
}

// String names the reference in messages.
func (r BotWebhookRef) String() string {
	if r.ID != 0 {
		return "webhook " + strconv.FormatInt(r.ID, 10)
	}
	return strconv.Quote(r.Name)
}

// BotConnection leads from a module (or, global, from anywhere) to
// another: taken when its condition is truthy (Python truthiness; no
// condition: always), it runs its webhooks in order and enters To, or
// OnFailure when a webhook fails.
type BotConnection struct {
	Condition string          `json:"condition,omitempty" doc:"a Jinja2 expression over the template context, such as certainly.extractedData.age > 17; absent: always taken"`
	Webhooks  []BotWebhookRef `json:"webhooks,omitempty" doc:"webhooks run in order when the connection is taken: ids of the company's webhooks, or their names (export writes names; import maps them back). Sync ones block the step and their custom variables are set before the next text renders; async ones (execution async) go through the delivery queue"`
	OnFailure int64           `json:"on_failure,omitempty" doc:"the module entered when a sync webhook fails or times out (or an async one cannot be queued); absent: the bot says the error message and stays"`
	To        int64           `json:"to" doc:"the module entered"`
}

// BotModule is one step of a dialog. Text, Prompt and RetryPrompt are
// templates: a JSON string, or a JSON object (a rich template message of
// the channel) whose string values are templates.
type BotModule struct {
	ID          int64                      `json:"id" doc:"a positive number, unique in the bot"`
	Type        ModuleType                 `json:"type" doc:"message, collector or end"`
	Text        json.RawMessage            `json:"text,omitempty" doc:"message and end: what the bot says, a template string or a JSON object (a template message) whose string values are templates"`
	Key         string                     `json:"key,omitempty" doc:"collector: the name the answer is stored under in extractedData"`
	Prompt      json.RawMessage            `json:"prompt,omitempty" doc:"collector: what the bot asks, a template string or object"`
	Validate    *BotValidation             `json:"validate,omitempty" doc:"collector: how the answer is checked (default text)"`
	RetryPrompt json.RawMessage            `json:"retry_prompt,omitempty" doc:"collector: what the bot says after an invalid answer (default: the prompt again)"`
	Overrides   map[string]json.RawMessage `json:"overrides,omitempty" doc:"per-channel alternatives of the text (message, end) or prompt (collector), by channel name, used when the session came through that channel"`
	Connections []BotConnection            `json:"connections,omitempty" doc:"tried in order; the first whose condition is truthy is taken"`
}

// BotSettings are a bot's dialog-wide settings.
type BotSettings struct {
	IdleTimeout  string `json:"idle_timeout,omitempty" doc:"a session without a message for this long ends, and the next message starts a new one: a Go duration such as 30m or 2h, 1m to 720h (default 30m)"`
	ErrorMessage string `json:"error_message,omitempty" doc:"a template the bot says when a webhook fails without an on_failure branch or max_steps is reached (default: Sorry, something went wrong. Please try again.)"`
	MaxSteps     int    `json:"max_steps,omitempty" doc:"at most this many modules are entered for one message, so that a cycle of message modules ends with the error message: 1 to 1000 (default 50)"`
}

// BotDefinition is the dialog of a bot.
type BotDefinition struct {
	Name              string          `json:"name" doc:"unique within the company; 1 to 200 bytes"`
	Start             int64           `json:"start" doc:"the module the first message of a session enters"`
	Modules           []BotModule     `json:"modules" doc:"the modules, 1 to 1000"`
	GlobalConnections []BotConnection `json:"global_connections,omitempty" doc:"tried before the current module's own on every user message"`
	Settings          BotSettings     `json:"settings" doc:"dialog-wide settings; absent ones take their defaults"`
}

// Bot is a stored bot, owned by a company: the API's document of a bot.
// Its connections name webhooks by id.
type Bot struct {
	ID        int64 `json:"id" doc:"the bot's id"`
	CompanyID int64 `json:"company_id" doc:"the company the bot belongs to"`
	BotDefinition
	// Version counts the bot's changes, so that a runtime that compiled
	// it can tell cheaply whether its copy is current.
	Version   int64     `json:"version" doc:"1 when created, one more at each change"`
	CreatedAt time.Time `json:"created_at" doc:"when the bot was created"`
	UpdatedAt time.Time `json:"updated_at" doc:"when it last changed"`
}

// BotInput is the document of POST and PUT /api/v1/bots and of an
// import: a definition whose webhooks are ids or names, the company on
// POST, the channels of an exported bot; plus the read-only fields of a
// fetched bot, accepted and ignored so that a GET's answer can be edited
// and sent back.
type BotInput struct {
	CompanyID *int64 `json:"company_id" doc:"the company it belongs to; required for agency and admin keys; on PUT, if sent, the bot's own"`
	BotDefinition
	Channels []BotChannelDoc `json:"channels,omitempty" doc:"on POST (an import): channels to recreate for the new bot, unapproved and without an app; not accepted on PUT, where channels are managed on their own"`

	ID        json.RawMessage `json:"id" doc:"read-only; accepted and ignored"`
	Version   json.RawMessage `json:"version" doc:"read-only; accepted and ignored"`
	CreatedAt json.RawMessage `json:"created_at" doc:"read-only; accepted and ignored"`
	UpdatedAt json.RawMessage `json:"updated_at" doc:"read-only; accepted and ignored"`
}

// BotDocument is a bot as export writes it: its definition with webhooks
// named, and its channels (never their secrets); POST /api/v1/bots
// imports it as it is.
type BotDocument struct {
	BotDefinition
	Channels []BotChannelDoc `json:"channels,omitempty" doc:"the bot's channels: name, type, mode and POST_URL, never secrets"`
}

// BotFormat names the serialization of a bot document.
type BotFormat string

const (
	BotJSON BotFormat = "json"
	BotYAML BotFormat = "yaml"
)

// BotSource is a bot document as received: its bytes and format, for the
// bot service to parse (JSON strictly; YAML safely).
type BotSource struct {
	Data   []byte
	Format BotFormat
	// CompanyID, when set, is the company the bot is imported into, as
	// a form's "Assign to" names it: the document may leave company_id
	// out, or name the same company.
	CompanyID *int64
}

// IdleTimeoutDuration returns the settings' idle timeout; Validate has
// checked it.
func (s BotSettings) IdleTimeoutDuration() time.Duration {
	d, err := time.ParseDuration(s.IdleTimeout)
	if err != nil || d <= 0 {
		return DefaultBotIdleTimeout
	}
	return d
}

// Module returns the module with the given id, nil if there is none.
func (d *BotDefinition) Module(id int64) *BotModule {
	for i := range d.Modules {
		if d.Modules[i].ID == id {
			return &d.Modules[i]
		}
	}
	return nil
}

// WebhookRef is one webhook reference of a definition with its JSON path.
type WebhookRef struct {
	Path string
	Ref  *BotWebhookRef
}

// WebhookRefs lists every webhook reference of the definition with its
// path ("modules[2].connections[0].webhooks[1]"), global connections
// first, then each module's in order.
func (d *BotDefinition) WebhookRefs() []WebhookRef {
	var out []WebhookRef
	add := func(prefix string, cs []BotConnection) {
		for i := range cs {
			for j := range cs[i].Webhooks {
				out = append(out, WebhookRef{fmt.Sprintf("%s[%d].webhooks[%d]", prefix, i, j), &cs[i].Webhooks[j]})
			}
		}
	}
	add("global_connections", d.GlobalConnections)
	for i := range d.Modules {
		add(fmt.Sprintf("modules[%d].connections", i), d.Modules[i].Connections)
	}
	return out
}

// WebhookIDs lists the distinct webhook ids the definition refers to, in
// order of first reference.
func (d *BotDefinition) WebhookIDs() []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, r := range d.WebhookRefs() {
		if r.Ref.ID != 0 && !seen[r.Ref.ID] {
			seen[r.Ref.ID] = true
			ids = append(ids, r.Ref.ID)
		}
	}
	return ids
}

// Clone returns a copy of d that shares nothing with it.
func (d BotDefinition) Clone() BotDefinition {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("hookline: clone bot definition: %v", err))
	}
	var out BotDefinition
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("hookline: clone bot definition: %v", err))
	}
	return out
}

// Validate fills in the defaults of the settings and checks every rule
// of a definition that needs no template engine: names and sizes, module
// ids unique, every module a connection, start or on_failure names
// existing, the fields of each module type, validation patterns. It
// returns a CodeInvalid *Error naming the first path at fault, such as
// "modules[2].connections[0].to: no module 7". Package bot compiles the
// templates on top of this.
func (d *BotDefinition) Validate() error {
	d.Name = strings.TrimSpace(d.Name)
	switch {
	case d.Name == "":
		return Invalid("name", "must not be empty")
	case len(d.Name) > MaxBotNameLen:
		return Invalid("name", "must be at most %d bytes long", MaxBotNameLen)
	case strings.ContainsAny(d.Name, "\x00\r\n"):
		return Invalid("name", "must not contain line breaks or NUL")
	}
	switch {
	case len(d.Modules) == 0:
		return Invalid("modules", "a bot needs at least one module")
	case len(d.Modules) > MaxBotModules:
		return Invalid("modules", "at most %d modules are allowed", MaxBotModules)
	}
	index := make(map[int64]int, len(d.Modules))
	for i, m := range d.Modules {
		at := fmt.Sprintf("modules[%d].id", i)
		if m.ID <= 0 {
			return Invalid(at, "must be a positive number, not %d", m.ID)
		}
		if j, dup := index[m.ID]; dup {
			return Invalid(at, "%d is already the id of modules[%d]", m.ID, j)
		}
		index[m.ID] = i
	}
	has := func(id int64) bool { _, ok := index[id]; return ok }
	if d.Start == 0 {
		return Invalid("start", "missing required field %q: the id of the module the first message enters", "start")
	}
	if !has(d.Start) {
		return Invalid("start", "no module %d", d.Start)
	}
	for i := range d.Modules {
		if err := d.Modules[i].validate(fmt.Sprintf("modules[%d]", i), has); err != nil {
			return err
		}
	}
	if err := validateConnections("global_connections", d.GlobalConnections, has); err != nil {
		return err
	}
	distinct := map[BotWebhookRef]bool{}
	for _, r := range d.WebhookRefs() {
		distinct[*r.Ref] = true
		if len(distinct) > MaxBotWebhooks {
			return Invalid(r.Path, "a bot may use at most %d different webhooks", MaxBotWebhooks)
		}
	}
	return d.Settings.validate()
}

func (m *BotModule) validate(at string, has func(int64) bool) error {
	only := func(field string, set bool, types string) error {
		if set {
			return Invalid(at+"."+field, "only %s modules have %s", types, field)
		}
		return nil
	}
	switch m.Type {
	case ModuleMessage, ModuleEnd:
		if len(bytes.TrimSpace(m.Text)) == 0 {
			return Invalid(at+".text", "missing required field %q: what the bot says", "text")
		}
		if err := validateBotText(at+".text", m.Text); err != nil {
			return err
		}
		if err := errorsJoinFirst(
			only("key", m.Key != "", "collector"),
			only("prompt", len(m.Prompt) > 0, "collector"),
			only("validate", m.Validate != nil, "collector"),
			only("retry_prompt", len(m.RetryPrompt) > 0, "collector"),
		); err != nil {
			return err
		}
		if m.Type == ModuleEnd && len(m.Connections) > 0 {
			return Invalid(at+".connections", "an end module ends the session; it has no connections")
		}
	case ModuleCollector:
		m.Key = strings.TrimSpace(m.Key)
		switch {
		case m.Key == "":
			return Invalid(at+".key", "missing required field %q: the name the answer is stored under", "key")
		case len(m.Key) > MaxBotKeyLen:
			return Invalid(at+".key", "must be at most %d bytes long", MaxBotKeyLen)
		case !IsIdentifier(m.Key):
			return Invalid(at+".key", "%q is not a valid name: use letters, digits and underscores, not starting with a digit", m.Key)
		}
		if len(bytes.TrimSpace(m.Prompt)) == 0 {
			return Invalid(at+".prompt", "missing required field %q: what the bot asks", "prompt")
		}
		if err := validateBotText(at+".prompt", m.Prompt); err != nil {
			return err
		}
		if len(m.RetryPrompt) > 0 {
			if err := validateBotText(at+".retry_prompt", m.RetryPrompt); err != nil {
				return err
			}
		}
		if err := only("text", len(m.Text) > 0, "message and end"); err != nil {
			return err
		}
		if m.Validate == nil {
			m.Validate = &BotValidation{Type: ValidateText}
		}
		if err := m.Validate.validate(at + ".validate"); err != nil {
			return err
		}
	case "":
		return Invalid(at+".type", "missing required field %q: message, collector or end", "type")
	default:
		return Invalid(at+".type", "%q is not a module type; use message, collector or end", m.Type)
	}
	if len(m.Overrides) > MaxBotOverrides {
		return Invalid(at+".overrides", "at most %d overrides are allowed", MaxBotOverrides)
	}
	for _, name := range sortedKeys(m.Overrides) {
		field := at + ".overrides." + name
		switch {
		case strings.TrimSpace(name) == "":
			return Invalid(at+".overrides", "a channel name must not be empty")
		case len(name) > MaxBotChannelNameLen:
			return Invalid(field, "the channel name must be at most %d bytes long", MaxBotChannelNameLen)
		}
		if err := validateBotText(field, m.Overrides[name]); err != nil {
			return err
		}
	}
	return validateConnections(at+".connections", m.Connections, has)
}

func errorsJoinFirst(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateBotText checks that a text is a JSON string or object of
// bounded size; its templates are compiled by package bot.
func validateBotText(field string, raw json.RawMessage) error {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) > MaxBotTextBytes:
		return Invalid(field, "must be at most %d bytes long", MaxBotTextBytes)
	case len(t) == 0 || (t[0] != '"' && t[0] != '{'):
		return Invalid(field, "must be a string, or a JSON object (a template message) whose string values are templates")
	case !json.Valid(t):
		return Invalid(field, "is not valid JSON")
	}
	return nil
}

func (v *BotValidation) validate(at string) error {
	switch v.Type {
	case "":
		v.Type = ValidateText
	case ValidateText, ValidateNumber, ValidateEmail, ValidatePhone, ValidateDate, ValidateRegex, ValidateOptions:
	default:
		return Invalid(at+".type", "%q is not a validation type; use text, number, email, phone, date, regex or options", v.Type)
	}
	if v.Type == ValidateRegex {
		switch {
		case v.Pattern == "":
			return Invalid(at+".pattern", "missing required field %q: the pattern a regex answer must match", "pattern")
		case len(v.Pattern) > MaxBotPatternLen:
			return Invalid(at+".pattern", "must be at most %d bytes long", MaxBotPatternLen)
		}
		if _, err := regexp.Compile(v.Pattern); err != nil {
			return Invalid(at+".pattern", "does not compile: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	} else if v.Pattern != "" {
		return Invalid(at+".pattern", "only the regex validation has a pattern")
	}
	if v.Type == ValidateOptions {
		switch {
		case len(v.Options) == 0:
			return Invalid(at+".options", "missing required field %q: the answers accepted", "options")
		case len(v.Options) > MaxBotOptions:
			return Invalid(at+".options", "at most %d options are allowed", MaxBotOptions)
		}
		for i, o := range v.Options {
			field := fmt.Sprintf("%s.options[%d]", at, i)
			switch {
			case strings.TrimSpace(o) == "":
				return Invalid(field, "must not be empty")
			case len(o) > MaxBotOptionLen:
				return Invalid(field, "must be at most %d bytes long", MaxBotOptionLen)
			}
			for j := range i {
				if strings.EqualFold(strings.TrimSpace(v.Options[j]), strings.TrimSpace(o)) {
					return Invalid(field, "%q is already options[%d]", o, j)
				}
			}
		}
	} else if len(v.Options) > 0 {
		return Invalid(at+".options", "only the options validation has options")
	}
	return nil
}

func validateConnections(at string, cs []BotConnection, has func(int64) bool) error {
	if len(cs) > MaxBotConnections {
		return Invalid(at, "at most %d connections are allowed", MaxBotConnections)
	}
	for i := range cs {
		c := &cs[i]
		field := fmt.Sprintf("%s[%d]", at, i)
		switch {
		case c.To == 0:
			return Invalid(field+".to", "missing required field %q: the id of the module the connection enters", "to")
		case !has(c.To):
			return Invalid(field+".to", "no module %d", c.To)
		case c.OnFailure != 0 && !has(c.OnFailure):
			return Invalid(field+".on_failure", "no module %d", c.OnFailure)
		case len(c.Condition) > MaxBotConditionBytes:
			return Invalid(field+".condition", "must be at most %d bytes long", MaxBotConditionBytes)
		case c.Condition != "" && strings.TrimSpace(c.Condition) == "":
			return Invalid(field+".condition", "is blank; leave it out for a connection always taken")
		case len(c.Webhooks) > MaxBotWebhookRefs:
			return Invalid(field+".webhooks", "at most %d webhooks are allowed on one connection", MaxBotWebhookRefs)
		case c.OnFailure != 0 && len(c.Webhooks) == 0:
			return Invalid(field+".on_failure", "is taken when a webhook of the connection fails, and it has none")
		}
		for j, r := range c.Webhooks {
			wf := fmt.Sprintf("%s.webhooks[%d]", field, j)
			switch {
			case r.ID < 0:
				return Invalid(wf, "must be a webhook id (a positive integer) or a webhook name")
			case r.ID == 0 && strings.TrimSpace(r.Name) == "":
				return Invalid(wf, "must not be empty: a webhook id or name")
			case r.ID == 0 && len(r.Name) > MaxWebhookNameLen:
				return Invalid(wf, "a webhook name is at most %d bytes long", MaxWebhookNameLen)
			}
		}
	}
	return nil
}

func (s *BotSettings) validate() error {
	if s.IdleTimeout == "" {
		s.IdleTimeout = DefaultBotIdleTimeout.String()
	}
	d, err := time.ParseDuration(s.IdleTimeout)
	switch {
	case err != nil:
		return Invalid("settings.idle_timeout", "%q is not a duration; write it like 30m, 2h or 1h30m", s.IdleTimeout)
	case d < MinBotIdleTimeout || d > MaxBotIdleTimeout:
		return Invalid("settings.idle_timeout", "must be between 1m and 720h, got %s", s.IdleTimeout)
	}
	if s.MaxSteps == 0 {
		s.MaxSteps = DefaultBotMaxSteps
	}
	if s.MaxSteps < 1 || s.MaxSteps > MaxBotMaxSteps {
		return Invalid("settings.max_steps", "must be between 1 and %d, got %d", MaxBotMaxSteps, s.MaxSteps)
	}
	if strings.TrimSpace(s.ErrorMessage) == "" {
		s.ErrorMessage = DefaultBotErrorMessage
	}
	if len(s.ErrorMessage) > MaxBotTextBytes {
		return Invalid("settings.error_message", "must be at most %d bytes long", MaxBotTextBytes)
	}
	return nil
}

// ValidateChannelDocs checks the channels of an imported document as the
// channels service will create them (a missing type is webhook, a missing
// mode sync), so that a bot is not created for channels that cannot be;
// names are unique within the document.
func ValidateChannelDocs(cs []BotChannelDoc) error {
	if len(cs) > MaxBotOverrides {
		return Invalid("channels", "at most %d channels are allowed", MaxBotOverrides)
	}
	for i, d := range cs {
		ch := Channel{Type: d.Type, Name: d.Name, Mode: ChannelMode(d.Mode), PostURL: d.PostURL}
		if ch.Type == "" {
			ch.Type = ChannelTypeWebhook
		}
		if ch.Mode == "" {
			ch.Mode = ChannelSync
		}
		at := fmt.Sprintf("channels[%d].", i)
		if err := ch.Validate(at); err != nil {
			return err
		}
		for j := range i {
			if cs[j].Name == d.Name {
				return Invalid(at+"name", "%q is already channels[%d]", d.Name, j)
			}
		}
	}
	return nil
}

// BotFilter narrows a bot listing. Scope is always applied; CompanyID,
// when set, narrows to one company. After and Limit page it: ids greater
// than After, at most Limit (0: no limit).
type BotFilter struct {
	Scope     Scope
	CompanyID int64
	After     int64
	Limit     int
}

// BotStore stores bots, each owned by a company. Methods taking a Scope
// answer CodeNotFound for bots outside it, exactly as for bots that do
// not exist. Every webhook a definition refers to (by id) must belong to
// the bot's company (CodeNotFound naming its path otherwise); the store
// records these references so that deleting a webhook a bot uses is
// refused (CodeConflict naming the bots), whichever edge asks.
type BotStore interface {
	// CreateBot stores b and sets its ID, Version, CreatedAt and
	// UpdatedAt. b.CompanyID must name a company in scope (CodeNotFound
	// with field "company_id" otherwise); names are unique within a
	// company (CodeConflict with field "name").
	CreateBot(ctx context.Context, scope Scope, b *Bot) error
	FindBot(ctx context.Context, scope Scope, id int64) (*Bot, error)
	// FindBots lists the bots in the filter's scope, ordered by ID.
	FindBots(ctx context.Context, f BotFilter) ([]*Bot, error)
	// UpdateBot replaces bot id's definition with what update makes of
	// the stored one, in one transaction; the version goes up by one.
	UpdateBot(ctx context.Context, scope Scope, id int64, update func(stored *Bot) (BotDefinition, error)) (*Bot, error)
	// DeleteBot removes a bot with its sessions, inbox and metrics.
	DeleteBot(ctx context.Context, scope Scope, id int64) error
	// BotVersion returns a bot's company and version, whatever the
	// scope: the runtime's cheap check of its compiled copy.
	BotVersion(ctx context.Context, id int64) (companyID, version int64, err error)
}

// BotService is the use cases of bots. Every method acts for a caller;
// bots outside its scope answer CodeNotFound.
type BotService interface {
	// CreateBot parses a document (JSON or YAML), resolves its webhook
	// names in the company, validates and compiles it and stores it; its
	// channels, if any, are recreated unapproved and without an app.
	CreateBot(ctx context.Context, c *Caller, src BotSource) (*Bot, error)
	FindBot(ctx context.Context, c *Caller, id int64) (*Bot, error)
	// FindBots lists the bots the caller sees, of one company when
	// companyID is not 0, ordered by ID.
	FindBots(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*Bot], error)
	// ReplaceBot replaces a bot's definition (PUT).
	ReplaceBot(ctx context.Context, c *Caller, id int64, src BotSource) (*Bot, error)
	DeleteBot(ctx context.Context, c *Caller, id int64) error
	// ExportBot writes a bot's document with its webhooks named and its
	// channels listed, in the format asked for.
	ExportBot(ctx context.Context, c *Caller, id int64, format BotFormat) ([]byte, error)
	// TryBot talks to a bot as a sync channel would, through the
	// builder's test console (channel 0).
	TryBot(ctx context.Context, c *Caller, id int64, in BotTryInput) (*BotTryReply, error)
	// FindBotSessions lists a bot's sessions, newest first.
	FindBotSessions(ctx context.Context, c *Caller, botID int64, f BotSessionListFilter, page PageRequest) (Page[*BotSession], error)
	// FindBotSession returns a session with its history.
	FindBotSession(ctx context.Context, c *Caller, id int64) (*BotSession, error)
	// BotMetrics counts a bot's traffic per channel and hour.
	BotMetrics(ctx context.Context, c *Caller, botID int64, q BotMetricsQuery) (*BotMetrics, error)
}

// BotTryInput is the body of POST /api/v1/bots/{id}/try.
type BotTryInput struct {
	Text *string `json:"text" required:"true" doc:"what the user says, up to 4 KiB"`
	From string  `json:"from" doc:"the user's id (from.id); default: try. Each from has its own session"`
}

// BotTryReply is the answer of POST /api/v1/bots/{id}/try: what a sync
// channel answers, and the session it went to.
type BotTryReply struct {
	Text      []json.RawMessage `json:"text" doc:"every message the bot says in this step, in order: a string, or an object for a template message"`
	SessionID int64             `json:"session_id" doc:"the session the message went to (GET /api/v1/sessions/{id})"`
}

// MaxBotMessageBytes bounds the text of one user message.
const MaxBotMessageBytes = 4 << 10

// MaxBotFromLen bounds a user's id (from.id) and the recipient's (to.id).
const MaxBotFromLen = 255
