package sqlstore

import (
	"context"
	"fmt"

	"github.com/hookline/hookline"
)

// sealCanary is the text sealed into the settings table on first start.
const sealCanary = "hookline seal canary v1"

// VerifySealer checks that sealer holds the key this database's secrets were
// sealed with. On first use it records a sealed canary; later it must open
// that canary again. Without this check a changed or lost key would surface
// only when a webhook is read, as an internal error on a working service.
func (s *WebhookStore) VerifySealer(ctx context.Context) error {
	c := s.db.conn()
	var sealed string
	err := c.queryRow(ctx, `SELECT value FROM settings WHERE name = 'seal_canary'`, nil, &sealed)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		sealed, err = s.sealer.Seal(sealCanary)
		if err != nil {
			return fmt.Errorf("seal canary: %w", err)
		}
		// Two processes starting at once may both insert: the first wins,
		// and the loser verifies against it on its next start.
		if _, err := c.exec(ctx, `INSERT INTO settings (name, value) VALUES ('seal_canary', ?) ON CONFLICT (name) DO NOTHING`, sealed); err != nil {
			return fmt.Errorf("record seal canary: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read seal canary: %w", err)
	}
	return openCanary(s.sealer, sealed)
}

// checkSealCanary checks sealer against the canary recorded in the
// database, if one is; see VerifySealer.
func checkSealCanary(ctx context.Context, c conn, sealer hookline.SecretSealer) error {
	var sealed string
	err := c.queryRow(ctx, `SELECT value FROM settings WHERE name = 'seal_canary'`, nil, &sealed)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		return nil
	case err != nil:
		return fmt.Errorf("read seal canary: %w", err)
	}
	return openCanary(sealer, sealed)
}

// openCanary checks that sealer opens the sealed canary.
func openCanary(sealer hookline.SecretSealer, sealed string) error {
	if plain, err := sealer.Open(sealed); err != nil || plain != sealCanary {
		return &hookline.Error{
			Code:    hookline.CodeInvalid,
			Field:   "HOOKLINE_SECRET_KEY",
			Message: "the secret key does not open the secrets stored in this database: HOOKLINE_SECRET_KEY (or secret.key in the data directory) has changed since they were sealed; restore the original key",
			Err:     err,
		}
	}
	return nil
}

// HasSealCanary reports whether VerifySealer has recorded its canary: this
// database has been used with a secret key, and secrets stored since were
// sealed with it. A start that finds no key must then not generate a new
// one, which would never open them.
func (db *DB) HasSealCanary(ctx context.Context) (bool, error) {
	var sealed string
	err := db.conn().queryRow(ctx, `SELECT value FROM settings WHERE name = 'seal_canary'`, nil, &sealed)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read seal canary: %w", err)
	}
	return true, nil
}
