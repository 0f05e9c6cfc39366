package httpapi

import "github.com/hookline/hookline"

// webhookSchemas documents the webhook routes' bodies.
func webhookSchemas() map[string]any {
	str := func(d string) map[string]any { return typed("string", d) }
	keyValue := object([]string{"key", "value"}, map[string]any{
		"key":   str("header or parameter name; a header name repeats to send it twice"),
		"value": str("text: a template; variable: a path into the template context such as certainly.sessionId"),
		"type":  enum("how value is read (default text)", string(hookline.ValueText), string(hookline.ValueVariable)),
	})
	definition := map[string]any{
		"name":   str("unique within the company; 1 to 200 bytes"),
		"method": enum("HTTP method", hookline.Methods...),
		"url":    str("a template; {{name}} placeholders other than the conversation take their value from context_values; printed values are percent-encoded"),
		"response_type": enum("how the response is parsed (default json); xml gives attributes as @name and text as #text; json and text bodies are read in the charset their Content-Type declares (UTF-8 when none; ISO-8859-1, windows-1252 and US-ASCII are decoded)",
			string(hookline.ResponseJSON), string(hookline.ResponseXML), string(hookline.ResponseText)),
		"execution":  enum("sync: the conversation waits (default); async: it goes on", string(hookline.ExecutionSync), string(hookline.ExecutionAsync)),
		"timeout_ms": map[string]any{"type": "integer", "minimum": hookline.MinWebhookTimeoutMS, "maximum": hookline.MaxWebhookTimeoutMS, "description": "default 5000"},
		"auth": object([]string{"type"}, map[string]any{
			"type":     enum("authentication", string(hookline.AuthNone), string(hookline.AuthBasic), string(hookline.AuthBearer), string(hookline.AuthAPIKey)),
			"username": str("basic"),
			"password": str("basic; a secret: stored sealed, shown as ********"),
			"token":    str("bearer; a secret: stored sealed, shown as ********"),
			"name":     str("api_key: the header or query parameter name"),
			"value":    str("api_key; a secret: stored sealed, shown as ********"),
			"in":       enum("api_key: where it goes (default header)", hookline.APIKeyInHeader, hookline.APIKeyInQuery),
		}),
		"headers": arrayOf(keyValue),
		"params":  arrayOf(keyValue),
		"context_values": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": "a value (itself a text template) for each {{name}} the URL needs; see context_names"},
		"body": str("a JSON template (Jinja2); // and /* */ comments are dropped; empty: no body"),
		"custom_variables": arrayOf(object([]string{"name", "mapper"}, map[string]any{
			"name":   str("an identifier, unique within the webhook"),
			"mapper": str("a template evaluated on the parsed response, such as {{ticket.status}}; exactly one {{ expression }} keeps the JSON type (a number beyond the range of a double becomes null)"),
		})),
		"retry_non_idempotent": typed("boolean", "also retry POST and PATCH on connection errors and 502/503/504"),
	}
	with := func(base map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	readOnly := map[string]any{
		"id":            typed("integer", "read-only; accepted and ignored"),
		"context_names": map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "read-only; accepted and ignored"},
		"created_at":    timestamp("read-only; accepted and ignored"),
		"updated_at":    timestamp("read-only; accepted and ignored"),
	}
	return map[string]any{
		"Webhook": object([]string{"id", "company_id", "name", "method", "url", "context_names", "created_at", "updated_at"}, with(definition, map[string]any{
			"id":            typed("integer", "the webhook's id"),
			"company_id":    typed("integer", "the company the webhook belongs to"),
			"template_id":   typed("integer", "the template it was made from (negative: built in); absent otherwise"),
			"context_names": map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "the {{names}} the URL needs from context_values"},
			"created_at":    timestamp("when the webhook was created"),
			"updated_at":    timestamp("when it last changed"),
		})),
		"WebhookList": object([]string{"webhooks"}, map[string]any{"webhooks": arrayOf(ref("Webhook"))}),
		"WebhookDefinition": object(nil, with(with(definition, readOnly), map[string]any{
			"company_id":  typed("integer", "the webhook's company; if sent, it must be the webhook's own"),
			"template_id": typed("integer", "the template link; if sent, it must be the webhook's own"),
		})),
		"CreateWebhook": object(nil, with(with(definition, readOnly), map[string]any{
			"company_id":  typed("integer", "the company it belongs to (Assign to); required for agency and admin keys"),
			"template_id": typed("integer", "create from this template (negative: built in) instead of sending a definition; only name and values may accompany it"),
			"values":      map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "with template_id: a value for each blank, by blank name"},
		})),
		"WebhookPatch": map[string]any{"type": "object", "description": "a JSON merge patch (RFC 7386) of the Webhook"},
		"RunWebhook": object(nil, map[string]any{
			"context": map[string]any{"type": "object", "description": "the template context: certainly.*, fb.*, conversation.*, context.session.BotUserSession.lastMessage.customData; absent or {}: sample values"},
		}),
		"RunUnsavedWebhook": object([]string{"webhook"}, map[string]any{
			"webhook":    object(nil, definition),
			"company_id": typed("integer", "the company it runs for; required for agency and admin keys"),
			"context":    map[string]any{"type": "object", "description": "as for RunWebhook"},
		}),
		"WebhookResult": object([]string{"request", "variables", "duration_ms"}, map[string]any{
			"request": object([]string{"method", "url", "headers", "body"}, map[string]any{
				"method":  str("as sent"),
				"url":     str("as sent; secret query values masked"),
				"headers": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "as sent; secrets masked"},
				"body":    str("as sent"),
			}),
			"response": map[string]any{"type": []string{"object", "null"}, "description": "null when no response came", "properties": map[string]any{
				"status":    typed("integer", "HTTP status"),
				"headers":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "lower-case names"},
				"body":      str("the first 64 KiB"),
				"size":      typed("integer", "bytes received"),
				"truncated": typed("boolean", "the body was over the egress cap and was cut"),
				"data":      map[string]any{"description": "the body parsed per response_type; a number beyond the range of a double (1e400) is shown as null, as JSON cannot hold infinity"},
				"attempts":  typed("integer", "attempts made (in-flow retries)"),
			}},
			"variables": map[string]any{"type": "object", "description": "each custom variable that mapped, as JSON"},
			"variable_errors": arrayOf(object([]string{"name", "message"}, map[string]any{
				"name": str("the custom variable"), "message": str("why its mapper failed"),
			})),
			"error": object([]string{"kind", "message"}, map[string]any{
				"kind": enum("why the run failed", string(hookline.ErrTimeout), string(hookline.ErrConnection), string(hookline.ErrDNS), string(hookline.ErrTLS),
					string(hookline.ErrBlockedAddress), string(hookline.ErrHTTPStatus), string(hookline.ErrInvalidResponse), string(hookline.ErrRender)),
				"message": str("for people"),
				"field":   str("the part of the definition at fault, for render errors"),
			}),
			"duration_ms": typed("number", "how long the run took"),
		}),
	}
}

// templateSchemas documents the webhook template routes' bodies.
func templateSchemas() map[string]any {
	str := func(d string) map[string]any { return typed("string", d) }
	blank := object([]string{"name", "target"}, map[string]any{
		"name":        str("an identifier: the key in values"),
		"label":       str("what a form shows"),
		"description": str("help text"),
		"target":      str("the field it fills: url, name, body, context_values.<name>, auth.username|password|token|name|value, headers.<Key>, params.<key>"),
		"secret":      typed("boolean", "entered like a password, never shown back"),
		"required":    typed("boolean", "creating a webhook without it fails naming values.<name>"),
		"default":     str("used when no value is given"),
	})
	input := map[string]any{
		"name":        str("unique per owner"),
		"description": str("what it does"),
		"category":    str("for grouping, such as Helpdesk"),
		"webhook":     ref("WebhookDefinition"),
		"blanks":      arrayOf(blank),
		"company_id":  typed("integer", "owner: a company"),
		"agency_id":   typed("integer", "owner: an agency, which offers it to all its companies (agency and admin keys)"),
		"id":          typed("integer", "read-only; accepted and ignored"),
		"key":         str("read-only; accepted and ignored"),
		"scope":       str("read-only; accepted and ignored"),
		"created_at":  timestamp("read-only; accepted and ignored"),
		"updated_at":  timestamp("read-only; accepted and ignored"),
	}
	create := map[string]any{"from_webhook_id": typed("integer", "make the template from this webhook: its secrets become secret blanks, never copied")}
	for k, v := range input {
		create[k] = v
	}
	return map[string]any{
		"WebhookTemplate": object([]string{"id", "scope", "name", "description", "category", "webhook", "blanks"}, map[string]any{
			"id":          typed("integer", "negative for built-in templates"),
			"key":         str("a built-in template's stable name, such as zendesk-ticket-lookup"),
			"scope":       enum("who offers it", string(hookline.TemplateBuiltin), string(hookline.TemplateAgency), string(hookline.TemplateCompany)),
			"agency_id":   typed("integer", "the owning agency"),
			"company_id":  typed("integer", "the owning company"),
			"name":        str("its name"),
			"description": str("what it does"),
			"category":    str("for grouping"),
			"webhook":     ref("WebhookDefinition"),
			"blanks":      arrayOf(blank),
			"created_at":  timestamp("absent for built-in templates"),
			"updated_at":  timestamp("absent for built-in templates"),
		}),
		"WebhookTemplateList":   object([]string{"templates"}, map[string]any{"templates": arrayOf(ref("WebhookTemplate"))}),
		"WebhookTemplateInput":  object([]string{"name", "webhook"}, input),
		"CreateWebhookTemplate": object(nil, create),
	}
}
