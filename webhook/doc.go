// Package webhook runs webhook definitions (seeds 000–002): it compiles
// their templates, builds the request from a conversation's template
// context, sends it through the egress client and maps the response onto
// custom variables. The bot runtime, Run webhook and the CLI all go through
// Executor.Run, so what a user sees in Run webhook is what the bot does.
//
// The steps, each usable on its own:
//
//	Compile(def)            validate (defaults filled) and compile every template;
//	                        errors name the field and the line and column
//	Check(&def)             Compile, plus: every context value the URL needs is set (save time)
//	ConversationData(conv)  the template context of a conversation (certainly, conversation,
//	                        fb on Facebook only, context.session.BotUserSession.lastMessage.customData)
//	RunData(json)           the template context Run webhook receives; empty → SampleConversation
//	(*Compiled).Build       render URL, params, headers, body; apply auth and the User-Agent
//	                        → egress request + masked copy; Run sends exactly this request
//	(*Compiled).Map         parse the response per response type; evaluate the custom variables
//	(*Executor).Run         Build, send through egress (timeout, retries), Map → hookline.WebhookResult
//
// Templates: LoadBuiltinTemplates (embedded in templates/), CheckTemplate,
// FillTemplate and TemplateFromWebhook.
//
// Service implements the root's hookline.WebhookService and
// hookline.WebhookTemplateService over the store interfaces: company
// resolution, the secret policy (secrets.go), validation once per save and
// running. The HTTP API, the CLI and the later edges call it.
//
// Rendering modes: the URL is rendered in URL mode (printed values
// percent-encoded for their position), header values in header mode (a line
// break is an error), param values as text and percent-encoded afterwards,
// the body in JSON mode (values printed inside a string literal are escaped
// as JSON; the result must be valid JSON), mappers and context values as
// text. A variable-type header or param reads its path as {{ path }}.
//
// Context values are rendered first, against the conversation, and are then
// available to every template under their names; a name the template
// context already defines (a Run webhook context, say) keeps that value.
package webhook
