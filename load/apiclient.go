package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// APIClient calls hookline's public JSON API to set up a scenario's data.
type APIClient struct {
	base       string
	adminToken string
	client     *http.Client
	// created lists the paths of the resources made by CreateCompany and
	// CreateWebhook, oldest first, for DeleteCreated.
	created []string
}

// NewAPIClient returns a client of the hookline at base (a loopback URL)
// that sends adminToken unless a call names another key.
func NewAPIClient(base, adminToken string) (*APIClient, error) {
	if _, err := CheckLoopbackURL(base); err != nil {
		return nil, err
	}
	return &APIClient{
		base:       base,
		adminToken: adminToken,
		client:     &http.Client{Transport: newLoopbackTransport(2), Timeout: 30 * time.Second},
	}, nil
}

// Call sends body (JSON-encoded unless nil) with key (the admin token
// when empty), checks that the status is want, and decodes the answer
// into out unless out is nil.
func (c *APIClient) Call(ctx context.Context, method, path, key string, body, out any, want int) error {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(raw)
	}
	// A query stays a query: JoinPath would escape its "?".
	p, query, _ := strings.Cut(path, "?")
	target, err := url.JoinPath(c.base, p)
	if err != nil {
		return err
	}
	if query != "" {
		target += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return err
	}
	if key == "" {
		key = c.adminToken
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer discard(res)
	answer, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if res.StatusCode != want {
		return &StatusError{Method: method, Path: path, Status: res.StatusCode, Want: want, Body: snippet(answer)}
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// StatusError is an API answer with another status than the one wanted.
type StatusError struct {
	Method, Path string
	Status, Want int
	// Body is the start of the answer.
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d, want %d: %s", e.Method, e.Path, e.Status, e.Want, e.Body)
}

// Company is a company tenant with one API key of its own.
type Company struct {
	ID  int64
	Key string
}

// CreateCompany creates a standalone company named name and a key for it.
func (c *APIClient) CreateCompany(ctx context.Context, name string) (Company, error) {
	var tenant struct {
		ID int64 `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, "/api/v1/tenants", "", map[string]any{"name": name, "kind": "company"}, &tenant, http.StatusCreated); err != nil {
		return Company{}, err
	}
	var key struct {
		Key string `json:"key"`
	}
	if err := c.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/keys", tenant.ID), "", nil, &key, http.StatusCreated); err != nil {
		return Company{}, err
	}
	if key.Key == "" {
		return Company{}, fmt.Errorf("the key of company %d came back empty", tenant.ID)
	}
	c.created = append(c.created, fmt.Sprintf("/api/v1/tenants/%d", tenant.ID))
	return Company{ID: tenant.ID, Key: key.Key}, nil
}

// CreateWebhook saves the webhook definition with a company's key and
// returns its id.
func (c *APIClient) CreateWebhook(ctx context.Context, key string, definition map[string]any) (int64, error) {
	var created struct {
		ID int64 `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, "/api/v1/webhooks", key, definition, &created, http.StatusCreated); err != nil {
		return 0, err
	}
	c.created = append(c.created, fmt.Sprintf("/api/v1/webhooks/%d", created.ID))
	return created.ID, nil
}

// CreateBot saves a bot document with a company's key and returns its id.
func (c *APIClient) CreateBot(ctx context.Context, key string, document map[string]any) (int64, error) {
	var created struct {
		ID int64 `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, "/api/v1/bots", key, document, &created, http.StatusCreated); err != nil {
		return 0, err
	}
	c.created = append(c.created, fmt.Sprintf("/api/v1/bots/%d", created.ID))
	return created.ID, nil
}

// Created adds a resource made otherwise (such as the app a channel made
// for itself) to those DeleteCreated deletes.
func (c *APIClient) Created(path string) { c.created = append(c.created, path) }

// DeleteCreated deletes what the Create methods made, newest first (a
// company with webhooks cannot be deleted), so that a run against a
// hookline of its own leaves nothing behind. A company's keys go with it;
// a resource already gone (named twice, or deleted with another) counts
// as deleted.
func (c *APIClient) DeleteCreated(ctx context.Context) error {
	var errs []error
	for i := len(c.created) - 1; i >= 0; i-- {
		err := c.Call(ctx, http.MethodDelete, c.created[i], "", nil, nil, http.StatusNoContent)
		var status *StatusError
		if err != nil && !(errors.As(err, &status) && status.Status == http.StatusNotFound) {
			errs = append(errs, err)
		}
	}
	c.created = nil
	return errors.Join(errs...)
}
