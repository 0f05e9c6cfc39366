package webhook

import (
	"strings"

	"github.com/hookline/hookline"
)

// The secret policy of definitions, in one place. Secrets (basic password,
// bearer token, API key value) are shown only as hookline.SecretMask (see
// show); a definition fetched, edited and sent back must neither wipe nor
// leak them, so on a save:
//   - a secret sent as the mask keeps the stored one (keepMaskedSecrets);
//   - a secret left empty while the auth type stays keeps it too
//     (keepOmittedSecrets);
//   - a mask with no stored secret behind it is an error naming the field,
//     never a literal password.

// keepMaskedSecrets resolves masked secrets in a against stored. Pass the
// zero Auth when nothing is stored (a new or unsaved definition).
func keepMaskedSecrets(a *hookline.Auth, stored hookline.Auth) error {
	saved := stored.SecretFields()
	for i, f := range a.SecretFields() {
		if *f.Value != hookline.SecretMask {
			continue
		}
		if *saved[i].Value == "" {
			return hookline.Invalid(f.Field, "is masked but no secret is stored for it; send the secret itself")
		}
		*f.Value = *saved[i].Value
	}
	return nil
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

// refuseTemplateSecrets keeps secrets out of stored templates: a secret is
// a blank the user fills when creating a webhook.
func refuseTemplateSecrets(a hookline.Auth) error {
	for _, f := range a.SecretFields() {
		if *f.Value != "" {
			sub := strings.TrimPrefix(f.Field, "auth.")
			return hookline.Invalid("webhook."+f.Field, "templates never hold secrets: leave it empty and add a secret blank with target auth.%s", sub)
		}
	}
	return nil
}
