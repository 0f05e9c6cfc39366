package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
)

// deliverySection is the delivery log: deliveries filtered by webhook,
// status and ordering key, each with its attempts, and retries by hand.
func (s *Server) deliverySection() section {
	return section{label: "Deliveries", path: Prefix + "deliveries", routes: []route{
		{pattern: "GET " + Prefix + "deliveries", handle: s.listDeliveries},
		{pattern: "GET " + Prefix + "deliveries/{id}", handle: s.showDelivery},
		{pattern: "POST " + Prefix + "deliveries/{id}/retry", handle: s.retryDelivery},
	}}
}

// webhookChoices lists the webhooks the caller sees, for a filter's
// picker and to name webhooks in lists: the first page of the largest
// size; more says there are others, which the picker then asks by id.
func (s *Server) webhookChoices(ctx context.Context, c *hookline.Caller) (names map[int64]string, list []*hookline.Webhook, more bool, err error) {
	p, err := s.webhooks.FindWebhooks(ctx, c, 0, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return nil, nil, false, err
	}
	names = map[int64]string{}
	for _, wh := range p.Items {
		names[wh.ID] = wh.Name
	}
	return names, p.Items, p.NextCursor != "", nil
}

// deliveryList is the log page.
type deliveryList struct {
	Deliveries []deliveryRow
	Filters    []field
	Pager      pager
	Filtered   bool
}

type deliveryRow struct {
	*hookline.Delivery
	Target   string
	CanRetry bool
}

// target names a delivery's target for people.
func target(d *hookline.Delivery, names map[int64]string) string {
	if d.TargetKind == hookline.TargetWebhook {
		if n, ok := names[d.TargetID]; ok {
			return n
		}
		return fmt.Sprintf("webhook %d", d.TargetID)
	}
	return fmt.Sprintf("%s %d", d.TargetKind, d.TargetID)
}

func canRetry(d *hookline.Delivery) bool {
	return d.Status == hookline.DeliveryFailed || d.Status == hookline.DeliveryCanceled
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, q *request) error {
	query := r.URL.Query()
	f := hookline.DeliveryListFilter{Status: hookline.DeliveryStatus(query.Get("status"))}
	webhookID, ferr := queryID(r, "webhook_id")
	f.WebhookID = webhookID
	if query.Get("ordering_key") != "" {
		key := query.Get("ordering_key")
		f.OrderingKey = &key
	}
	cursor := query.Get("cursor")
	names, hooks, more, err := s.webhookChoices(r.Context(), q.caller)
	if err != nil {
		return err
	}
	v := deliveryList{Filtered: f.WebhookID != 0 || f.Status != "" || f.OrderingKey != nil}
	var p hookline.Page[*hookline.Delivery]
	if ferr == nil {
		p, ferr = s.deliveries.FindDeliveries(r.Context(), q.caller, f, hookline.PageRequest{Cursor: cursor})
	}
	// A bad filter is shown next to its input; anything else is an error
	// page.
	fe := newFormError(ferr, "")
	if ferr != nil && fe == nil {
		return ferr
	}
	for _, d := range p.Items {
		v.Deliveries = append(v.Deliveries, deliveryRow{Delivery: d, Target: target(d, names), CanRetry: canRetry(d)})
	}
	v.Pager = pages(Prefix+"deliveries", cursor, p.NextCursor, "webhook_id", idParam(f.WebhookID), "status", string(f.Status), "ordering_key", query.Get("ordering_key"))

	hook := field{Path: "webhook_id", Label: "Webhook", Type: "select", Error: fe.at("webhook_id")}
	if more {
		hook.Type, hook.Label, hook.Value = "number", "Webhook id", idParam(f.WebhookID)
	} else {
		hook.Options = []option{{Value: "", Label: "All webhooks"}}
		for _, wh := range hooks {
			hook.Options = append(hook.Options, option{Value: strconv.FormatInt(wh.ID, 10), Label: wh.Name, Selected: wh.ID == f.WebhookID})
		}
	}
	st := field{Path: "status", Label: "Status", Type: "select", Error: fe.at("status"), Options: []option{{Value: "", Label: "Any status"}}}
	for _, s := range hookline.DeliveryStatuses {
		st.Options = append(st.Options, option{Value: string(s), Label: string(s), Selected: s == f.Status})
	}
	key := field{Path: "ordering_key", Label: "Ordering key", Type: "text", Value: query.Get("ordering_key"),
		Error: fe.at("ordering_key"), Placeholder: "a chat or session id", Mono: true}
	v.Filters = []field{hook, st, key}
	if fe != nil && !fe.placed {
		return ferr
	}
	status := http.StatusOK
	if ferr != nil {
		status = statusOf(ferr)
	}
	return s.page(w, r, q, status, "deliveries", "Deliveries", v)
}

// deliveryPage is one delivery with its attempts.
type deliveryPage struct {
	Delivery *hookline.Delivery
	Target   string
	// TargetLink is the target's page, when the UI has one.
	TargetLink string
	CanRetry   bool
}

func (s *Server) showDelivery(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	d, err := s.deliveries.FindDelivery(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	v := deliveryPage{Delivery: d, Target: target(d, nil), CanRetry: canRetry(d)}
	if d.TargetKind == hookline.TargetWebhook {
		v.TargetLink = fmt.Sprintf("%swebhooks/%d", Prefix, d.TargetID)
		if wh, err := s.webhooks.FindWebhook(r.Context(), q.caller, d.TargetID); err == nil {
			v.Target = wh.Name
		}
	}
	return s.page(w, r, q, http.StatusOK, "delivery", fmt.Sprintf("Delivery %d", id), v)
}

// retryDelivery sends a failed or canceled delivery again, and goes back
// to the page the button was on: the delivery, or the log.
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	if _, err := s.deliveries.RetryDelivery(r.Context(), q.caller, id); err != nil {
		return err
	}
	back := fmt.Sprintf("%sdeliveries/%d", Prefix, id)
	if ret := r.PostFormValue("return"); ret == "list" {
		back = Prefix + "deliveries"
	}
	return redirect(w, r, back+"?notice=retried")
}
