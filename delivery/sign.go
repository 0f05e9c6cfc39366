package delivery

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// Standard Webhooks (https://www.standardwebhooks.com): every delivery
// carries webhook-id and webhook-timestamp; a target with a signing secret
// also gets webhook-signature, "v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under the secret's key. During the day after a
// rotation both secrets sign, their signatures separated by a space.

// Header names of Standard Webhooks.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// secretPrefix marks a Standard Webhooks secret.
const secretPrefix = "whsec_"

// secretBytes is the size of a generated key: 24 bytes, as the Standard
// Webhooks libraries generate.
const secretBytes = 24

// RotationOverlap is how long a rotated-out secret keeps signing.
const RotationOverlap = 24 * time.Hour

// NewSecret returns a random signing secret, whsec_ and the base64 key.
func NewSecret() string {
	b := make([]byte, secretBytes)
	// crypto/rand.Read never returns an error.
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes a whsec_ secret into its key.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("signing secret is not whsec_ and a base64 key")
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature of a message: "v1," and the
// base64 HMAC-SHA256 of "msgID.timestamp.body" under the secret's key.
func Sign(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Signature is the webhook-signature value for a message under a target's
// secrets at now: the current secret's signature, then the previous one's
// while it still signs; "" without secrets.
func Signature(s *hookline.SigningSecret, msgID string, timestamp int64, body []byte, now time.Time) (string, error) {
	if s == nil || s.Secret == "" {
		return "", nil
	}
	sig, err := Sign(s.Secret, msgID, timestamp, body)
	if err != nil {
		return "", err
	}
	if s.Previous != "" && now.Before(s.PreviousUntil) {
		prev, err := Sign(s.Previous, msgID, timestamp, body)
		if err != nil {
			return "", err
		}
		sig += " " + prev
	}
	return sig, nil
}

// SignRequest adds the Standard Webhooks headers to a request sent outside
// the queue (Run webhook): a new webhook-id, the current timestamp and the
// signature of body under secret. It is a webhook.Signer.
func SignRequest(secret *hookline.SigningSecret, h http.Header, body []byte) error {
	now := time.Now()
	id := newMessageID()
	sig, err := Signature(secret, id, now.Unix(), body, now)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if sig != "" {
		h.Set(HeaderSignature, sig)
	}
	return nil
}

// newMessageID returns a message id: msg_ and 22 random URL-safe base64
// characters (128 bits).
func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "msg_" + base64.RawURLEncoding.EncodeToString(b)
}
