package delivery_test

import (
	"net/http"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
)

// TestStandardWebhooksLibraryVerifies: what hookline signs, the Standard
// Webhooks reference library verifies as it is, with the current secret
// and, during a rotation, with the previous one; a changed body or another
// secret is refused.
func TestStandardWebhooksLibraryVerifies(t *testing.T) {
	current, previous := delivery.NewSecret(), delivery.NewSecret()
	secret := &hookline.SigningSecret{Secret: current, Previous: previous, PreviousUntil: time.Now().Add(time.Hour)}
	body := []byte(`{"text": ["Your ticket 388 is open"], "to": "6021983457712345"}`)
	h := http.Header{}
	if err := delivery.SignRequest(secret, h, body); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"current": current, "previous": previous} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("the library refuses the %s secret's signature: %v (headers %v)", name, err, h)
		}
		if err := wh.Verify(append(body, ' '), h); err == nil {
			t.Errorf("%s: a changed body verified", name)
		}
	}
	other, _ := standardwebhooks.NewWebhook(delivery.NewSecret())
	if err := other.Verify(body, h); err == nil {
		t.Error("another secret verified")
	}
	// Past the rotation's 24 hours the previous secret no longer signs.
	expired := &hookline.SigningSecret{Secret: current, Previous: previous, PreviousUntil: time.Now().Add(-time.Minute)}
	h = http.Header{}
	if err := delivery.SignRequest(expired, h, body); err != nil {
		t.Fatal(err)
	}
	old, _ := standardwebhooks.NewWebhook(previous)
	if err := old.Verify(body, h); err == nil {
		t.Error("the previous secret still verifies after its rotation ended")
	}
}
