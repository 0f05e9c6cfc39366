package webhook

import (
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

// The secret policy of definitions, in one place. Secrets (basic password,
// bearer token, API key value, and the values of secret headers and params,
// see hookline.KeyValue.IsSecret) are shown only as hookline.SecretMask (see
// show); a definition fetched, edited and sent back must neither wipe nor
// leak them, so on a save:
//   - a secret sent as the mask keeps the stored one (keepStoredSecrets);
//     a header or param is matched to the stored one of the same name (the
//     first X-Token to the first stored X-Token, and so on), so that items
//     may be added, removed or reordered around it;
//   - an auth secret left empty while the auth type stays keeps it too
//     (keepOmittedSecrets); an empty header or param value is a value;
//   - a mask with no stored secret behind it is an error naming the field,
//     never a literal password; so is a mask on an item no longer marked
//     secret, which would otherwise show the stored value;
//   - a kept secret goes only to the origin it was entered for (see
//     CheckCredentialOrigin): a change of origin needs the secrets again.

// keepStoredSecrets resolves the secrets def sends masked, or leaves out,
// against stored (nil when nothing is stored: a new or unsaved definition)
// and returns the JSON paths of the secrets it kept from stored.
func keepStoredSecrets(def *hookline.WebhookDefinition, stored *hookline.WebhookDefinition) (kept []string, err error) {
	var storedAuth hookline.Auth
	if stored != nil {
		storedAuth = stored.Auth
		keepOmittedSecrets(&def.Auth, storedAuth)
	}
	saved := storedAuth.SecretFields()
	for i, f := range def.Auth.SecretFields() {
		if *f.Value != hookline.SecretMask {
			continue
		}
		if *saved[i].Value == "" {
			return nil, hookline.Invalid(f.Field, "is masked but no secret is stored for it; send the secret itself")
		}
		*f.Value = *saved[i].Value
		kept = append(kept, f.Field)
	}
	var storedHeaders, storedParams []hookline.KeyValue
	if stored != nil {
		storedHeaders, storedParams = stored.Headers, stored.Params
	}
	headers, err := keepItemSecrets("headers", def.Headers, storedHeaders, strings.EqualFold)
	if err != nil {
		return nil, err
	}
	params, err := keepItemSecrets("params", def.Params, storedParams, func(a, b string) bool { return a == b })
	if err != nil {
		return nil, err
	}
	return append(append(kept, headers...), params...), nil
}

// keepItemSecrets resolves masked values of the header or param list items
// against the stored list: the n-th item named k takes the value of the
// n-th stored item named k, which must be a secret.
func keepItemSecrets(list string, items, stored []hookline.KeyValue, sameName func(a, b string) bool) (kept []string, err error) {
	for i := range items {
		kv := &items[i]
		if kv.Value != hookline.SecretMask {
			continue
		}
		field := fmt.Sprintf("%s[%d].value", list, i)
		if !kv.IsSecret() {
			return nil, hookline.Invalid(field, "is masked but the item is not secret: send the value itself to store it in clear")
		}
		nth := 0
		for j := range i {
			if sameName(items[j].Key, kv.Key) {
				nth++
			}
		}
		var match *hookline.KeyValue
		for j := range stored {
			if !sameName(stored[j].Key, kv.Key) {
				continue
			}
			if nth == 0 {
				match = &stored[j]
				break
			}
			nth--
		}
		if match == nil || !match.IsSecret() || match.Value == "" || match.Value == hookline.SecretMask {
			return nil, hookline.Invalid(field, "is masked but no secret is stored for %s %q; send the secret itself", strings.TrimSuffix(list, "s"), kv.Key)
		}
		kv.Value = match.Value
		kept = append(kept, field)
	}
	return kept, nil
}

// keepOmittedSecrets treats a secret left empty, while the auth type stays
// what is stored, as the mask: the stored secret is kept.
func keepOmittedSecrets(a *hookline.Auth, stored hookline.Auth) {
	if hookline.AuthType(strings.ToLower(strings.TrimSpace(string(a.Type)))) != stored.Type {
		return
	}
	saved := stored.SecretFields()
	for i, f := range a.SecretFields() {
		if *f.Value == "" && *saved[i].Value != "" {
			*f.Value = hookline.SecretMask
		}
	}
}

// secretFields lists the JSON paths of def's non-empty secrets, auth first.
func secretFields(def *hookline.WebhookDefinition) []string {
	var out []string
	for _, f := range append(def.Auth.SecretFields(), def.SecretItems()...) {
		if *f.Value != "" {
			out = append(out, f.Field)
		}
	}
	return out
}

// refuseTemplateSecrets keeps secrets out of stored templates: a secret is
// a blank the user fills when creating a webhook.
func refuseTemplateSecrets(def *hookline.WebhookDefinition) error {
	for _, f := range def.Auth.SecretFields() {
		if *f.Value != "" {
			sub := strings.TrimPrefix(f.Field, "auth.")
			return hookline.Invalid("webhook."+f.Field, "templates never hold secrets: leave it empty and add a secret blank with target auth.%s", sub)
		}
	}
	for _, list := range []struct {
		name  string
		items []hookline.KeyValue
	}{{"headers", def.Headers}, {"params", def.Params}} {
		for i, kv := range list.items {
			if kv.IsSecret() && kv.Value != "" {
				return hookline.Invalid(fmt.Sprintf("webhook.%s[%d].value", list.name, i),
					"templates never hold secrets: leave it empty and add a secret blank with target %s.%s", list.name, kv.Key)
			}
		}
	}
	return nil
}
