package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookline/hookline"
)

// sealSecretItems is data migration 0004: header and param values stored
// before hookline knew secret items were kept in clear. It seals the
// values of the items that are secret by default (see
// hookline.SecretByDefault), and writes each item's secret flag out, in
// webhooks and in templates, so that no database file holds them in clear
// afterwards. The rest of each definition is left as it is.
func sealSecretItems(ctx context.Context, c conn, sealer hookline.SecretSealer) error {
	checked := false
	for _, table := range []string{"webhooks", "webhook_templates"} {
		rows, err := c.query(ctx, "SELECT id, definition FROM "+table+" ORDER BY id")
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		type row struct {
			id  int64
			def string
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.def); err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", table, c.d.translate(err))
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", table, c.d.translate(err))
		}
		for _, r := range all {
			def, sealed, err := sealDefinitionItems(r.def, sealer)
			if err != nil {
				return fmt.Errorf("%s %d: %w", table, r.id, err)
			}
			if def == r.def {
				continue
			}
			if sealed && !checked {
				// Sealing with a key other than the one the stored
				// secrets were sealed with would leave them unreadable.
				if err := checkSealCanary(ctx, c, sealer); err != nil {
					return err
				}
				checked = true
			}
			if _, err := c.exec(ctx, "UPDATE "+table+" SET definition = ? WHERE id = ?", def, r.id); err != nil {
				return fmt.Errorf("update %s %d: %w", table, r.id, err)
			}
		}
	}
	return nil
}

// sealDefinitionItems rewrites the headers and params of a stored
// definition: each item gets its secret flag, and a secret value in clear
// is sealed. sealed tells whether a value was.
func sealDefinitionItems(raw string, sealer hookline.SecretSealer) (out string, sealed bool, err error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return "", false, fmt.Errorf("decode definition: %w", err)
	}
	changed := false
	for _, list := range []string{"headers", "params"} {
		var items []storedKeyValue
		if len(doc[list]) == 0 || string(doc[list]) == "null" {
			continue
		}
		if err := json.Unmarshal(doc[list], &items); err != nil {
			return "", false, fmt.Errorf("decode %s: %w", list, err)
		}
		for i := range items {
			kv := &items[i]
			if kv.Secret != nil {
				continue
			}
			item := hookline.KeyValue{Key: kv.Key, Type: kv.Type}
			secret := item.IsSecret()
			kv.Secret, changed = &secret, true
			if !secret || kv.Value == "" {
				continue
			}
			if sealer == nil {
				return "", false, errors.New("a secret header or param value is stored in clear, and sealing it needs the secret key: migrate with HOOKLINE_SECRET_KEY (or the data directory's secret.key) available")
			}
			if err := sealWith(sealer)(&kv.SealedValue, kv.Value); err != nil {
				return "", false, err
			}
			kv.Value, sealed = "", true
		}
		if doc[list], err = json.Marshal(items); err != nil {
			return "", false, fmt.Errorf("encode %s: %w", list, err)
		}
	}
	if !changed {
		return raw, false, nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", false, fmt.Errorf("encode definition: %w", err)
	}
	return string(b), sealed, nil
}
