package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) deliveryAPI() resource {
	filters := []param{
		{name: "webhook_id", description: "only deliveries of this webhook", schema: map[string]any{"type": "integer", "format": "int64"}},
		{name: "status", description: "only deliveries with this status", schema: map[string]any{"type": "string", "enum": []string{
			string(hookline.DeliveryPending), string(hookline.DeliverySending), string(hookline.DeliverySucceeded),
			string(hookline.DeliveryFailed), string(hookline.DeliveryCanceled)}}},
		{name: "ordering_key", description: "only deliveries with this ordering key (present and empty: those without one)", schema: map[string]any{"type": "string"}},
	}
	return resource{
		tag: "deliveries",
		routes: []route{
			{pattern: "POST /api/v1/webhooks/{id}/deliveries", handle: s.enqueueDelivery, doc: &operation{
				summary: "Send a webhook asynchronously, through the durable delivery queue",
				description: "The URL, headers and body are rendered against the context now and frozen (a render error is a 400 naming the field; nothing is queued); " +
					"the auth, signing secret and timeout are the webhook's own at send time. The 202 comes once the delivery is stored: it is sent at least once, " +
					"with webhook-id, webhook-timestamp and, when the webhook has a signing secret, webhook-signature (Standard Webhooks). " +
					"Deliveries with the same ordering_key go out strictly one after another. An Idempotency-Key header seen again for the same webhook within 24 hours " +
					"answers the first delivery as it stands now instead of queuing another; the same key with another body is a 409. A webhook disabled by a 410 answer is a 409.",
				request: hookline.DeliveryInput{}, status: http.StatusAccepted, response: hookline.Delivery{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/deliveries", handle: s.listDeliveries, doc: &operation{
				summary: "List deliveries, newest first", description: "One page at a time, without their attempts.",
				status: http.StatusOK, response: list{"deliveries", hookline.Delivery{}},
				query: append(filters, pageParams()...), errors: []int{http.StatusBadRequest}}},
			{pattern: "POST /api/v1/deliveries/retry", handle: s.retryDeliveries, doc: &operation{
				summary:     "Retry every failed and canceled delivery the filters select",
				description: "Each goes again, due now, in its key's order, with the retry schedule started over. status, if sent, is failed or canceled.",
				status:      http.StatusOK, response: hookline.RetryResult{},
				query: filters, errors: []int{http.StatusBadRequest}}},
			{pattern: "GET /api/v1/deliveries/{id}", handle: s.getDelivery, doc: &operation{
				summary: "Get a delivery with its attempts", status: http.StatusOK, response: deliveryDetail{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/deliveries/{id}/retry", handle: s.retryDelivery, doc: &operation{
				summary:     "Retry a failed or canceled delivery",
				description: "It goes again, due now, in its key's order, with the retry schedule started over. Any other status is a 409.",
				status:      http.StatusAccepted, response: deliveryDetail{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/webhooks/{id}/signing-secret", handle: s.rotateSigningSecret, doc: &operation{
				summary: "Create or rotate a webhook's signing secret",
				description: "The answer is the only time the secret is shown. After a rotation the previous secret keeps signing beside the new one for 24 hours " +
					"(webhook-signature then holds both signatures, space-separated). Verify with any Standard Webhooks library.",
				status: http.StatusOK, response: hookline.NewSigningSecret{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhooks/{id}/enable", handle: s.enableWebhook, doc: &operation{
				summary:     "Enable a webhook that a 410 Gone answer disabled",
				description: "New deliveries are accepted again; deliveries that failed while it was disabled can be retried.",
				status:      http.StatusNoContent, errors: []int{http.StatusNotFound}}},
		},
	}
}

// deliveryDetail is a delivery with its attempts, as GET shows it.
type deliveryDetail struct {
	hookline.Delivery
	Attempts []hookline.DeliveryAttempt `json:"attempts" doc:"every attempt, oldest first"`
}

func detail(d *hookline.Delivery) deliveryDetail {
	out := deliveryDetail{Delivery: *d, Attempts: d.Attempts}
	if out.Attempts == nil {
		out.Attempts = []hookline.DeliveryAttempt{}
	}
	return out
}

// deliveryFilter reads the list's filters from the query.
func deliveryFilter(r *http.Request) (hookline.DeliveryListFilter, error) {
	var f hookline.DeliveryListFilter
	id, err := queryID(r, "webhook_id")
	if err != nil {
		return f, err
	}
	f.WebhookID = id
	q := r.URL.Query()
	f.Status = hookline.DeliveryStatus(q.Get("status"))
	if v, ok := q["ordering_key"]; ok {
		f.OrderingKey = &v[0]
	}
	return f, nil
}

func (s *Server) enqueueDelivery(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var in hookline.DeliveryInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	d, _, err := s.deliveries.EnqueueWebhook(r.Context(), caller, id, in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/deliveries/%d", d.ID))
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	f, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.deliveries.FindDeliveries(r.Context(), caller, f, page)
	if err != nil {
		return err
	}
	writePage(w, "deliveries", p)
	return nil
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "delivery")
	if err != nil {
		return err
	}
	d, err := s.deliveries.FindDelivery(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, detail(d))
	return nil
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "delivery")
	if err != nil {
		return err
	}
	d, err := s.deliveries.RetryDelivery(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, detail(d))
	return nil
}

func (s *Server) retryDeliveries(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	f, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	res, err := s.deliveries.RetryDeliveries(r.Context(), caller, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) rotateSigningSecret(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	secret, err := s.deliveries.RotateSigningSecret(r.Context(), caller, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, secret)
	return nil
}

func (s *Server) enableWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	if err := s.deliveries.EnableWebhook(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
