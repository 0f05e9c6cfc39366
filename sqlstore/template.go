package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hookline/hookline"
)

const templateColumns = "id, owner_id, scope, name, description, category, definition, blanks, created_at, updated_at"

// templateScope returns a WHERE condition (and its arguments) that keeps
// the templates a scope may read: a company reads its own and its agency's,
// an agency its own and its companies', the operator all of them.
func templateScope(scope hookline.Scope) (string, []any) {
	switch {
	case scope.All:
		return "1 = 1", nil
	case scope.Kind == hookline.KindAgency:
		return "(owner_id = ? OR owner_id IN (SELECT id FROM tenants WHERE agency_id = ?))", []any{scope.TenantID, scope.TenantID}
	case scope.Kind == hookline.KindCompany:
		return "(owner_id = ? OR owner_id IN (SELECT agency_id FROM tenants WHERE id = ?))", []any{scope.TenantID, scope.TenantID}
	}
	return "1 = 0", nil
}

// checkWritable refuses changes by a company to its agency's template,
// which it may read and use but not change.
func checkWritable(scope hookline.Scope, t *hookline.WebhookTemplate) error {
	if scope.All || scope.Kind == hookline.KindAgency || t.OwnerID == scope.TenantID {
		return nil
	}
	return hookline.Errorf(hookline.CodeForbidden, "webhook template %d belongs to agency %d: only the agency can change or delete it", t.ID, t.OwnerID)
}

// checkTemplate refuses what the table cannot hold: a stored template
// belongs to an agency or a company. The service validates the rest once,
// before it calls the store.
func checkTemplate(t *hookline.WebhookTemplate) error {
	if t.Scope != hookline.TemplateAgency && t.Scope != hookline.TemplateCompany {
		return hookline.Invalid("scope", "a stored template belongs to an agency or a company, not %q", t.Scope)
	}
	return nil
}

func (s *WebhookStore) scanTemplate(scan func(...any) error) (*hookline.WebhookTemplate, error) {
	var t hookline.WebhookTemplate
	var def, blanks string
	if err := scan(&t.ID, &t.OwnerID, &t.Scope, &t.Name, &t.Description, &t.Category, &def, &blanks, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if err := s.decodeDefinition(def, &t.Webhook, true); err != nil {
		return nil, fmt.Errorf("webhook template %d: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(blanks), &t.Blanks); err != nil {
		return nil, fmt.Errorf("webhook template %d: decode blanks: %w", t.ID, err)
	}
	return &t, nil
}

// encodeTemplate returns the stored definition and blanks of t. The
// definition's name is kept too: it is the default name of the webhooks
// made from the template.
func (s *WebhookStore) encodeTemplate(t *hookline.WebhookTemplate) (def, blanks string, err error) {
	if def, err = s.encodeDefinition(&t.Webhook, true); err != nil {
		return "", "", err
	}
	if t.Blanks == nil {
		t.Blanks = []hookline.TemplateBlank{}
	}
	bl, err := json.Marshal(t.Blanks)
	if err != nil {
		return "", "", err
	}
	return def, string(bl), nil
}

func templateNameTaken(err error, ownerID int64, name string) error {
	return withMessage(err, "name", "tenant %d already has a webhook template named %q", ownerID, name)
}

// CreateWebhookTemplate stores t for its owner, an agency or a company
// within scope whose kind matches t.Scope.
func (s *WebhookStore) CreateWebhookTemplate(ctx context.Context, scope hookline.Scope, t *hookline.WebhookTemplate) error {
	if err := checkTemplate(t); err != nil {
		return err
	}
	def, blanks, err := s.encodeTemplate(t)
	if err != nil {
		return fmt.Errorf("create webhook template: %w", err)
	}
	return s.db.inTx(ctx, func(c conn) error {
		owner, err := findTenant(ctx, c, scope, t.OwnerID)
		if err == nil && string(owner.Kind) != string(t.Scope) {
			err = hookline.NotFound(string(t.Scope), t.OwnerID)
		}
		if err != nil {
			return withMessage(err, "owner_id", "%s %d not found", t.Scope, t.OwnerID)
		}
		now := s.db.timestamp()
		err = c.queryRow(ctx, "INSERT INTO webhook_templates (owner_id, scope, name, description, category, definition, blanks, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			[]any{t.OwnerID, t.Scope, t.Name, t.Description, t.Category, def, blanks, now, now}, &t.ID)
		if isCode(err, hookline.CodeConflict) {
			return templateNameTaken(err, t.OwnerID, t.Name)
		}
		if err != nil {
			return fmt.Errorf("create webhook template: %w", err)
		}
		t.CreatedAt, t.UpdatedAt = now, now
		return nil
	})
}

// FindWebhookTemplate returns stored template id when scope may read it.
func (s *WebhookStore) FindWebhookTemplate(ctx context.Context, scope hookline.Scope, id int64) (*hookline.WebhookTemplate, error) {
	return s.findTemplate(ctx, s.db.conn(), scope, id)
}

func (s *WebhookStore) findTemplate(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.WebhookTemplate, error) {
	cond, args := templateScope(scope)
	row := c.row(ctx, "SELECT "+templateColumns+" FROM webhook_templates WHERE id = ? AND "+cond,
		append([]any{id}, args...)...)
	t, err := s.scanTemplate(row.Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "webhook template %d not found", id)
		}
		return nil, fmt.Errorf("find webhook template %d: %w", id, err)
	}
	return t, nil
}

// FindWebhookTemplates lists the stored templates the filter's scope may
// read, ordered by ID.
func (s *WebhookStore) FindWebhookTemplates(ctx context.Context, f hookline.WebhookTemplateFilter) ([]*hookline.WebhookTemplate, error) {
	cond, args := templateScope(f.Scope)
	if f.OwnerID != 0 {
		cond += " AND owner_id = ?"
		args = append(args, f.OwnerID)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "webhook templates", "SELECT "+templateColumns+" FROM webhook_templates WHERE "+cond, args, s.scanTemplate)
}

// UpdateWebhookTemplate replaces template t.ID's name, description,
// category, definition and blanks; its owner and creation time stay. A
// company may read its agency's templates but not change them
// (CodeForbidden).
func (s *WebhookStore) UpdateWebhookTemplate(ctx context.Context, scope hookline.Scope, t *hookline.WebhookTemplate) error {
	return s.db.inTx(ctx, func(c conn) error {
		stored, err := s.findTemplate(ctx, c, scope, t.ID)
		if err != nil {
			return err
		}
		if err := checkWritable(scope, stored); err != nil {
			return err
		}
		t.OwnerID, t.Scope = stored.OwnerID, stored.Scope
		if err := checkTemplate(t); err != nil {
			return err
		}
		def, blanks, err := s.encodeTemplate(t)
		if err != nil {
			return fmt.Errorf("update webhook template %d: %w", t.ID, err)
		}
		now := s.db.timestamp()
		_, err = c.exec(ctx, "UPDATE webhook_templates SET name = ?, description = ?, category = ?, definition = ?, blanks = ?, updated_at = ? WHERE id = ?",
			t.Name, t.Description, t.Category, def, blanks, now, t.ID)
		if isCode(err, hookline.CodeConflict) {
			return templateNameTaken(err, t.OwnerID, t.Name)
		}
		if err != nil {
			return fmt.Errorf("update webhook template %d: %w", t.ID, err)
		}
		t.CreatedAt, t.UpdatedAt = stored.CreatedAt, now
		return nil
	})
}

// DeleteWebhookTemplate removes template id; webhooks made from it stay,
// without the link.
func (s *WebhookStore) DeleteWebhookTemplate(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(c conn) error {
		stored, err := s.findTemplate(ctx, c, scope, id)
		if err != nil {
			return err
		}
		if err := checkWritable(scope, stored); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE webhooks SET template_id = NULL WHERE template_id = ?", id); err != nil {
			return fmt.Errorf("unlink webhooks from template %d: %w", id, err)
		}
		if _, err := c.exec(ctx, "DELETE FROM webhook_templates WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete webhook template %d: %w", id, err)
		}
		return nil
	})
}
