package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
	"github.com/hookline/hookline/webhook"
)

// dialog is one step of a session: the message, the state it changes and
// the record it leaves.
type dialog struct {
	r       *Runtime
	bot     *compiledBot
	sess    *hookline.BotSession
	m       hookline.InboundMessage
	now     time.Time
	stepRec *hookline.BotStep
	replies []json.RawMessage

	vars, extracted *jinja.Object
	// entered counts the modules entered, for max_steps; calls numbers
	// the webhooks of the step, for their idempotency keys.
	entered, calls int
	// data is the template context of the state as it is, nil when the
	// state changed since it was built.
	data map[string]any
}

func newDialog(r *Runtime, cb *compiledBot, sess *hookline.BotSession, m hookline.InboundMessage, now time.Time) *dialog {
	d := &dialog{r: r, bot: cb, sess: sess, m: m, now: now,
		stepRec: &hookline.BotStep{N: sess.Steps + 1, At: now, Text: m.Text, Replies: []json.RawMessage{}, Modules: []int64{}, Webhooks: []hookline.BotWebhookOutcome{}},
		vars:    decodeObject(sess.Variables), extracted: decodeObject(sess.ExtractedData),
	}
	sess.To = m.To
	sess.LastMessage = &hookline.BotMessage{Text: m.Text, Attachments: m.Attachments, CustomData: m.CustomData, At: now}
	return d
}

// decodeObject reads a stored JSON object; anything else is empty.
func decodeObject(raw json.RawMessage) *jinja.Object {
	if len(bytes.TrimSpace(raw)) > 0 {
		if v, err := jinja.DecodeJSON(raw); err == nil {
			if o, ok := v.(*jinja.Object); ok {
				return o
			}
		}
	}
	return jinja.NewObject()
}

func (d *dialog) note(format string, args ...any) {
	d.stepRec.Notes = append(d.stepRec.Notes, fmt.Sprintf(format, args...))
}

// conversation is the session's state as webhooks and templates see it.
func (d *dialog) conversation() (*hookline.Conversation, error) {
	vars, err := jinja.MarshalData(d.vars)
	if err != nil {
		return nil, err
	}
	extracted, err := jinja.MarshalData(d.extracted)
	if err != nil {
		return nil, err
	}
	conv := &hookline.Conversation{
		SessionID: d.sess.ID, ReplyData: d.sess.ReplyData, AttachedMedia: attachedMedia(d.m.Attachments),
		Direction: "in", Reply: d.m.Text, ExtractedData: extracted, BotID: strconv.FormatInt(d.bot.id, 10),
		CustomVariables: vars, ModuleID: d.sess.ModuleID, To: strconv.FormatInt(d.m.ChannelID, 10), From: d.m.From,
		CustomData: d.m.CustomData,
	}
	if d.m.ChannelID != 0 {
		conv.Channel = "webhook"
	}
	return conv, nil
}

// attachedMedia is the first attachment's link: the element itself when
// it is a string, or its "url".
func attachedMedia(raw json.RawMessage) string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(list[0], &s) == nil {
		return s
	}
	var o struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(list[0], &o) == nil {
		return o.URL
	}
	return ""
}

// context returns the template context of the state as it is.
func (d *dialog) context() map[string]any {
	if d.data != nil {
		return d.data
	}
	conv, err := d.conversation()
	if err == nil {
		d.data, err = webhook.ConversationData(conv)
	}
	if err != nil {
		// The state is JSON this runtime wrote; a failure here is a bug,
		// and the templates see an empty context rather than none.
		d.note("the template context could not be built: %v", err)
		d.data = map[string]any{}
	}
	return d.data
}

// changed marks the state changed: the next template sees it.
func (d *dialog) changed() { d.data = nil }

// run handles the message: the first of a session enters start; later
// ones meet the global connections, then the current module.
func (d *dialog) run(ctx context.Context) {
	cur := d.bot.c.modules[d.sess.ModuleID]
	if d.sess.Steps == 0 || cur == nil {
		if d.sess.Steps > 0 {
			d.note("module %d is no longer in the bot; the dialog starts again at module %d", d.sess.ModuleID, d.bot.c.start)
		}
		d.follow(ctx, d.enter(ctx, d.bot.c.start))
		return
	}
	for i, c := range d.bot.c.global {
		if d.taken(ctx, c) {
			d.note("global_connections[%d] taken", i)
			d.follow(ctx, c)
			return
		}
	}
	if cur.typ == hookline.ModuleCollector {
		v, ok := cur.check.check(d.m.Text)
		if !ok {
			d.note("the answer is not valid for module %d (%s); the bot asks again", cur.id, cur.check.typ)
			if cur.retry != nil {
				d.say(ctx, cur.retry)
			} else {
				d.sayModule(ctx, cur)
			}
			return
		}
		d.extracted.Set(cur.key, jsonValue(v))
		reply := jinja.NewObject()
		reply.Set(cur.key, jsonValue(v))
		if b, err := jinja.MarshalData(reply); err == nil {
			d.sess.ReplyData = b
		}
		d.changed()
	}
	for _, c := range cur.connections {
		if d.taken(ctx, c) {
			d.follow(ctx, c)
			return
		}
	}
	d.note("no connection of module %d matched; the session stays there", cur.id)
}

// jsonValue decodes an answer checked into JSON.
func jsonValue(raw json.RawMessage) any {
	v, err := jinja.DecodeJSON(raw)
	if err != nil {
		return string(raw)
	}
	return v
}

// taken evaluates a connection's condition; one that fails to evaluate
// is not taken, and the step's record says why.
func (d *dialog) taken(ctx context.Context, c *connection) bool {
	if c.cond == nil {
		return true
	}
	ok, err := truthy(ctx, c.cond, d.context())
	if err != nil {
		d.note("%s.condition failed, so it is not taken: %v", c.path, err)
		return false
	}
	return ok
}

// follow takes connection c and the connections of the message modules it
// leads through, until a module waits, the session ends, a webhook fails
// without on_failure, or max_steps is reached.
func (d *dialog) follow(ctx context.Context, c *connection) {
	for c != nil {
		to, ok := d.runWebhooks(ctx, c)
		if !ok {
			return
		}
		c = d.enter(ctx, to)
	}
}

// runWebhooks runs a connection's webhooks in order and returns the module
// to enter: its to, or its on_failure when a webhook failed. ok is false
// when one failed without on_failure: the bot has said the error message
// and the session stays where it is.
func (d *dialog) runWebhooks(ctx context.Context, c *connection) (to int64, ok bool) {
	for _, id := range c.webhooks {
		if d.webhook(ctx, c, id) {
			continue
		}
		if c.onFailure != 0 {
			d.note("a webhook of %s failed; on_failure enters module %d", c.path, c.onFailure)
			return c.onFailure, true
		}
		d.note("a webhook of %s failed and it has no on_failure; the bot says the error message and stays in module %d", c.path, d.sess.ModuleID)
		d.sayError(ctx)
		return 0, false
	}
	return c.to, true
}

// enter enters module id: it says its text or prompt; a message module
// returns the first of its connections that matches (nil: it waits
// there), a collector waits, an end ends the session.
func (d *dialog) enter(ctx context.Context, id int64) *connection {
	if d.entered >= d.bot.c.maxSteps {
		d.note("max_steps (%d) reached before entering module %d", d.bot.c.maxSteps, id)
		d.sayError(ctx)
		return nil
	}
	d.entered++
	m := d.bot.c.modules[id]
	d.sess.ModuleID = id
	d.stepRec.Modules = append(d.stepRec.Modules, id)
	d.changed()
	d.sayModule(ctx, m)
	switch m.typ {
	case hookline.ModuleEnd:
		d.sess.State, d.sess.EndReason = hookline.SessionEnded, hookline.EndReasonEnd
		at := d.now
		d.sess.EndedAt = &at
		return nil
	case hookline.ModuleMessage:
		for _, c := range m.connections {
			if d.taken(ctx, c) {
				return c
			}
		}
	}
	return nil
}

// sayModule says a module's text (message, end) or prompt (collector),
// or its override for the channel the message came through.
func (d *dialog) sayModule(ctx context.Context, m *module) {
	t := m.text
	if o, ok := m.overrides[d.m.ChannelName]; ok && d.m.ChannelName != "" {
		t = o
	}
	d.say(ctx, t)
}

// say renders a text and adds it to the replies; one that does not render
// is replaced by the error message, and the record says why.
func (d *dialog) say(ctx context.Context, t *text) {
	out, err := t.render(ctx, d.context())
	if err != nil {
		d.note("a text of module %d did not render, so the error message was said instead: %v", d.sess.ModuleID, err)
		d.sayError(ctx)
		return
	}
	d.replies = append(d.replies, out)
}

func (d *dialog) sayError(ctx context.Context) {
	out, err := d.bot.c.errorMsg.render(ctx, d.context())
	if err != nil {
		d.note("the error message did not render: %v", err)
		out = appendString(nil, hookline.DefaultBotErrorMessage)
	}
	d.replies = append(d.replies, out)
}

// company is the caller the runtime acts as for the bot's webhooks.
func (d *dialog) company() *hookline.Caller {
	return &hookline.Caller{Tenant: &hookline.Tenant{ID: d.bot.companyID, Kind: hookline.KindCompany}}
}

// webhook runs (sync) or queues (async) one webhook of connection c, and
// records its outcome; false when it failed.
func (d *dialog) webhook(ctx context.Context, c *connection, id int64) bool {
	start := time.Now()
	d.calls++
	out := hookline.BotWebhookOutcome{WebhookID: id, Connection: c.path, Kind: hookline.ExecutionSync}
	defer func() {
		out.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		d.stepRec.Webhooks = append(d.stepRec.Webhooks, out)
	}()
	fail := func(kind hookline.WebhookErrorKind, msg string) bool {
		out.Status, out.ErrorKind, out.Error = hookline.OutcomeFailed, kind, msg
		return false
	}
	w, err := d.r.cfg.Webhooks.FindWebhook(ctx, d.company().Scope(), id)
	if err != nil {
		return fail("", fmt.Sprintf("webhook %d could not be read: %s", id, hookline.ErrorMessage(err)))
	}
	out.Name, out.Kind = w.Name, w.Execution
	conv, err := d.conversation()
	if err != nil {
		return fail(hookline.ErrRender, err.Error())
	}
	if w.Execution == hookline.ExecutionAsync {
		return d.enqueue(ctx, w, conv, &out)
	}
	res, err := d.r.cfg.Runner.RunInConversation(ctx, w, conv)
	if err != nil {
		return fail(hookline.ErrRender, hookline.ErrorMessage(err))
	}
	if res.Response != nil {
		out.HTTPStatus = res.Response.Status
	}
	if res.Error != nil {
		return fail(res.Error.Kind, res.Error.Message)
	}
	for _, name := range sortedNames(res.Variables) {
		d.vars.Set(name, jsonValue(res.Variables[name]))
	}
	for _, ve := range res.VariableErrors {
		d.note("webhook %d: custom variable %s was not mapped: %s", id, ve.Name, ve.Message)
	}
	d.changed()
	out.Status = hookline.OutcomeSucceeded
	return true
}

// enqueue queues an async webhook with the session as its ordering key,
// so that its deliveries go out in order and a dead endpoint holds up
// nothing else. The idempotency key names the step and the call, so that
// a step run again after a crash finds what it queued the first time.
func (d *dialog) enqueue(ctx context.Context, w *hookline.Webhook, conv *hookline.Conversation, out *hookline.BotWebhookOutcome) bool {
	if d.r.cfg.Queue == nil {
		out.Status, out.Error = hookline.OutcomeFailed, "async webhooks need the delivery queue, which this process does not run"
		return false
	}
	data, err := webhook.ConversationData(conv)
	var ctxJSON []byte
	if err == nil {
		ctxJSON, err = json.Marshal(data)
	}
	if err != nil {
		out.Status, out.ErrorKind, out.Error = hookline.OutcomeFailed, hookline.ErrRender, err.Error()
		return false
	}
	key := fmt.Sprintf("bot-session-%d-step-%d-call-%d", d.sess.ID, d.stepRec.N, d.calls)
	in := hookline.DeliveryInput{Context: ctxJSON, OrderingKey: "bot-session-" + strconv.FormatInt(d.sess.ID, 10)}
	del, _, err := d.r.cfg.Queue.EnqueueWebhook(ctx, d.company(), w.ID, in, key)
	switch {
	case err == nil:
		out.Status, out.DeliveryID = hookline.OutcomeQueued, del.ID
		return true
	case hookline.ErrorCode(err) == hookline.CodeConflict && hookline.ErrorField(err) == "Idempotency-Key":
		// The first run of this step queued it, with a context that
		// differed (a sync webhook before it answered otherwise).
		out.Status = hookline.OutcomeQueued
		return true
	}
	out.Status, out.Error = hookline.OutcomeFailed, hookline.ErrorMessage(err)
	var e *hookline.Error
	if errors.As(err, &e) && e.Code == hookline.CodeInvalid {
		out.ErrorKind = hookline.ErrRender
	}
	return false
}

// finish writes the state back into the session.
func (d *dialog) finish() error {
	vars, err := jinja.MarshalData(d.vars)
	if err != nil {
		return fmt.Errorf("session %d: encode custom variables: %w", d.sess.ID, err)
	}
	extracted, err := jinja.MarshalData(d.extracted)
	if err != nil {
		return fmt.Errorf("session %d: encode extracted data: %w", d.sess.ID, err)
	}
	d.sess.Variables, d.sess.ExtractedData = vars, extracted
	d.sess.Steps = d.stepRec.N
	d.sess.LastActivityAt = d.now
	d.sess.ExpiresAt = d.now.Add(d.bot.c.idle)
	d.stepRec.Replies = d.replies
	if d.stepRec.Replies == nil {
		d.stepRec.Replies = []json.RawMessage{}
	}
	return nil
}
