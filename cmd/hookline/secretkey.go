package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore"
)

// secretKey is the key that seals secrets at rest, loaded on first use. It
// is a hookline.SecretSealer, so that a migration sealing values stored in
// clear loads it only when it runs, after the migrations that create the
// settings table: by then the database can tell a first start, where a key
// is made, from a start that lost the key its secrets were sealed with,
// where making a new one would lock them away for good.
type secretKey struct {
	db         *sqlstore.DB
	dataDir    string
	configured string // HOOKLINE_SECRET_KEY, "" when unset

	once   sync.Once
	sealer hookline.SecretSealer
	source string // where the key came from: seal.EnvKey or the key file's path
	err    error
}

func (k *secretKey) load(ctx context.Context) (hookline.SecretSealer, error) {
	k.once.Do(func() {
		var key []byte
		key, k.source, k.err = seal.LoadKey(k.dataDir, k.configured)
		if errors.Is(k.err, fs.ErrNotExist) {
			sealed, err := k.db.HasSealCanary(ctx)
			switch {
			case err != nil:
				k.err = err
				return
			case sealed:
				k.err = fmt.Errorf("%s is unset and the key file %s does not exist, but this database's secrets were sealed with a key: restore %s from your backup, or set %s to that key",
					seal.EnvKey, k.source, k.source, seal.EnvKey)
				return
			}
			key, k.err = seal.CreateKeyFile(k.dataDir)
		}
		if k.err != nil {
			return
		}
		k.sealer, k.err = seal.New(key)
	})
	return k.sealer, k.err
}

// Seal seals with the loaded key.
func (k *secretKey) Seal(plaintext string) (string, error) {
	s, err := k.load(context.Background())
	if err != nil {
		return "", err
	}
	return s.Seal(plaintext)
}

// Open opens with the loaded key.
func (k *secretKey) Open(sealed string) (string, error) {
	s, err := k.load(context.Background())
	if err != nil {
		return "", err
	}
	return s.Open(sealed)
}

// verify loads the key, checks that it opens what the database holds, and
// returns the webhook store sealing with it. A wrong key is one line that
// says which key was tried.
func (k *secretKey) verify(ctx context.Context) (*sqlstore.WebhookStore, error) {
	sealer, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	store := sqlstore.NewWebhookStore(k.db, sealer)
	if err := store.VerifySealer(ctx); err != nil {
		if hookline.ErrorCode(err) == hookline.CodeInvalid {
			tried := "the key file " + k.source
			if k.source == seal.EnvKey {
				tried = "the key in " + seal.EnvKey
			}
			return nil, fmt.Errorf("%s does not open the secrets stored in this database, which were sealed with another key; restore that key", tried)
		}
		return nil, err
	}
	return store, nil
}
