package integration

import (
	"context"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/provider/twilio"
	"github.com/hookline/hookline/provider/whatsapp"
	"github.com/hookline/hookline/webhook"
)

// IntegrationTargets resolves the delivery queue's integration targets:
// the integration's auth, secret headers and params as they are at send
// time, signed (the queue reads the signing secret itself). With Lookups,
// the ones the service keeps (see Lookups): pass the service's.
type IntegrationTargets struct {
	Store   hookline.IntegrationStore
	Lookups *Lookups
}

// ResolveTarget reads integration id of the company.
func (r IntegrationTargets) ResolveTarget(ctx context.Context, _ hookline.TargetKind, companyID, id int64) (*delivery.Target, error) {
	var i *hookline.Integration
	var err error
	if r.Lookups != nil {
		i, err = r.Lookups.integration(ctx, companyID, id, r.Store.FindIntegration)
	} else {
		i, err = r.Store.FindIntegration(ctx, hookline.Scope{TenantID: companyID, Kind: hookline.KindCompany}, id)
	}
	if err != nil {
		return nil, err
	}
	def := i.Webhook()
	return &delivery.Target{
		Authorize: func(req *egress.Request) error { return webhook.Authorize(req, &def) },
		Timeout:   def.Timeout(),
		Secrets:   def.Secrets(),
	}, nil
}

// ConnectionTargets resolves the delivery queue's connection targets: the
// provider's API with its own auth, unsigned, its refusals that no retry
// changes failing a reply at once.
type ConnectionTargets struct {
	Store hookline.ConnectionStore
}

// ResolveTarget reads connection id of the company.
func (r ConnectionTargets) ResolveTarget(ctx context.Context, _ hookline.TargetKind, companyID, id int64) (*delivery.Target, error) {
	c, err := r.Store.FindConnection(ctx, hookline.Scope{TenantID: companyID, Kind: hookline.KindCompany}, id)
	if err != nil {
		return nil, err
	}
	t := &delivery.Target{Secrets: c.Provider.Secrets(), Unsigned: true}
	switch c.Type {
	case hookline.ConnectionWhatsApp:
		t.Authorize, t.Permanent = whatsapp.Authorize(c.Provider), whatsapp.Permanent
	default:
		t.Authorize, t.Permanent = twilio.Authorize(c.Provider), twilio.Permanent
	}
	return t, nil
}
