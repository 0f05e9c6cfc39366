package webhook

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/jinja"
)

// The origin rule: credentials stay with their origin, the scheme, host
// and port of the URL rendered with the stored context values (see
// egress.Origin). Webhooks follow it, and so must every later outbound
// target that holds credentials (integrations, POST_URLs, providers): they
// describe themselves as an Endpoint and call CheckCredentialOrigin when
// they are saved.

// Endpoint is an outbound target as the origin rule sees it.
type Endpoint struct {
	// URL is a URL template (jinja.ModeURL).
	URL string
	// ContextValues give the names URL reads besides the conversation; each
	// is a text template, a literal when it has no tags.
	ContextValues map[string]string
	// Field is the JSON path of URL in the saved document, for errors.
	Field string
}

// EndpointOrigin works out the origin e sends to. fromConversation is true
// when the conversation chooses it: a conversation name (certainly,
// conversation, fb, context) in the scheme, host or port, or a context
// value used there that reads the conversation; origin is "" then, and
// also when a name used there has no value. An error is a CodeInvalid
// *hookline.Error naming the field at fault when the known values cannot
// form an origin at all (a context value with a space in a host, say).
func EndpointOrigin(e Endpoint) (origin string, fromConversation bool, err error) {
	if e.Field == "" {
		e.Field = "url"
	}
	t, err := jinja.Compile(originSource(e.URL), jinja.Options{Mode: jinja.ModeURL})
	if err != nil {
		// The authority could not be cut out on its own (a tag spanning
		// it): the whole URL decides.
		if t, err = compileField(e.Field, e.URL, jinja.ModeURL, false); err != nil {
			return "", false, err
		}
	}
	values := map[string]any{}
	var used []string // context values in the origin, in order of use
	for _, name := range t.Names() {
		switch {
		case slices.Contains(hookline.ContextRoots, name):
			return "", true, nil
		case slices.Contains(builtinNames, name):
			continue
		}
		src, ok := e.ContextValues[name]
		if !ok {
			return "", false, nil
		}
		v, conv, err := knownValue(name, src)
		if err != nil || conv {
			return "", conv, err
		}
		values[name] = v
		used = append(used, name)
	}
	origin, err = renderOrigin(t, values)
	if err == nil {
		return origin, false, nil
	}
	// Name the value at fault: the one that fails with each other value
	// replaced by a plain host label.
	for _, name := range used {
		alone := map[string]any{}
		for _, other := range used {
			alone[other] = "a"
		}
		alone[name] = values[name]
		if _, err := renderOrigin(t, alone); err != nil {
			return "", false, hookline.Invalid("context_values."+name, "cannot form a valid host for the URL: %s", hookline.ErrorMessage(err))
		}
	}
	return "", false, hookline.Invalid(e.Field, "%s", hookline.ErrorMessage(err))
}

// knownValue renders a context value that does not read the conversation;
// conv tells that it does.
func knownValue(name, src string) (value string, conv bool, err error) {
	if !hasTags(src) {
		return src, false, nil
	}
	t, err := compileField("context_values."+name, src, jinja.ModeText, false)
	if err != nil {
		return "", false, err
	}
	for _, n := range t.Names() {
		if !slices.Contains(builtinNames, n) {
			// Context values render against the conversation only.
			return "", true, nil
		}
	}
	v, err := t.Render(context.Background(), nil, jinja.DefaultLimits())
	if err != nil {
		return "", false, hookline.Invalid("context_values."+name, "%s", renderMessage("context_values."+name, err))
	}
	return v, false, nil
}

// renderOrigin renders the origin template and returns its origin.
func renderOrigin(t *jinja.Template, values map[string]any) (string, error) {
	s, err := t.Render(context.Background(), values, jinja.DefaultLimits())
	if err != nil {
		return "", hookline.Invalid("url", "%s", renderMessage("url", err))
	}
	u, err := hookline.ParseWebhookURL(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	host := u.Hostname()
	if strings.HasPrefix(host, ".") || strings.HasSuffix(strings.TrimSuffix(host, "."), ".") || strings.Contains(host, "..") {
		return "", hookline.Invalid("url", "host %q has an empty label", host)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", hookline.Invalid("url", "port %s is not between 1 and 65535", p)
		}
	}
	return egress.Origin(u), nil
}

// originSource cuts the scheme and authority out of a URL template: the
// source up to the first '/', '?' or '#' of its literal text that is not
// the "//" after the scheme. Tags are skipped whole, so that a '/' inside
// an expression does not end it.
func originSource(src string) string {
	for i := 0; i < len(src); {
		if strings.HasPrefix(src[i:], "{{") || strings.HasPrefix(src[i:], "{%") || strings.HasPrefix(src[i:], "{#") {
			closing := map[byte]string{'{': "}}", '%': "%}", '#': "#}"}[src[i+1]]
			end := strings.Index(src[i+2:], closing)
			if end < 0 {
				return src
			}
			i += 2 + end + len(closing)
			continue
		}
		if strings.HasPrefix(src[i:], "://") {
			i += 3
			continue
		}
		if strings.IndexByte("/?#", src[i]) >= 0 {
			return src[:i]
		}
		i++
	}
	return src
}

// CheckCredentialOrigin applies the origin rule to an outbound target
// being saved. next is the target as it will be stored; secrets lists the
// JSON paths of its non-empty secrets. stored is the target before the
// change (nil when it is new) and kept the paths of the secrets kept from
// it without being sent again (sent masked or left out). It refuses:
//   - secrets whose origin the conversation chooses, as a user's message
//     could then send them anywhere;
//   - secrets kept while the origin changes: they were entered for the
//     old origin, so they must be entered again for the new one.
func CheckCredentialOrigin(next Endpoint, secrets []string, stored *Endpoint, kept []string) error {
	if len(secrets) == 0 {
		return nil
	}
	field := next.Field
	if field == "" {
		field = "url"
	}
	origin, conv, err := EndpointOrigin(next)
	if err != nil {
		return err
	}
	if conv {
		return hookline.Invalid(field, "the host comes from the conversation, and the conversation must not choose where %s goes: write the host in the URL or as a literal context value, or remove the secret", strings.Join(secrets, ", "))
	}
	if stored == nil || len(kept) == 0 {
		return nil
	}
	before, _, err := EndpointOrigin(*stored)
	if err == nil && before != "" && before == origin {
		return nil
	}
	if before == "" {
		before = "an origin that cannot be told from the stored URL"
	}
	if origin == "" {
		origin = "an origin that cannot be told from the URL"
	}
	return hookline.Invalid(kept[0], "re-enter the secret for the new host: the origin changes from %s to %s, and the stored secrets (%s) are only sent to the origin they were entered for", before, origin, strings.Join(kept, ", "))
}
