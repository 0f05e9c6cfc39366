package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestSignStandardVector checks Sign against the test vector the Standard
// Webhooks libraries publish (svix's README and test suites). The value
// ends in ...tmIKtSyZlE3uFJELVlNIOLJ1OE=; an independent HMAC-SHA256 in
// Python's hmac module gives the same.
func TestSignStandardVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestSignatureDuringRotation(t *testing.T) {
	now := time.Now()
	s := &hookline.SigningSecret{Secret: NewSecret(), Previous: NewSecret(), PreviousUntil: now.Add(time.Hour)}
	body := []byte(`{}`)
	sig, err := Signature(s, "msg_1", 1, body, now)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := Sign(s.Secret, "msg_1", 1, body)
	prev, _ := Sign(s.Previous, "msg_1", 1, body)
	if sig != cur+" "+prev {
		t.Fatalf("signature during the overlap = %q, want both", sig)
	}
	if sig, _ := Signature(s, "msg_1", 1, body, now.Add(2*time.Hour)); sig != cur {
		t.Fatalf("signature after the overlap = %q, want the current one only", sig)
	}
	if !strings.HasPrefix(NewSecret(), "whsec_") {
		t.Fatal("secrets start with whsec_")
	}
	if _, err := Sign("whsec_!!!", "m", 1, body); err == nil {
		t.Fatal("a secret that is not base64 signs")
	}
}
