package load

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The provider-sms scenario's receiver: the sink in its chat mode. It
// stands in for the customer's endpoint of a Custom Webhook integration
// (issue 18): it checks each event's Standard Webhooks signature with the
// integration's signing secret, then the order of each chat's events: its
// MESSAGE events one after another, each once (the contact's messages
// carry their sequence number as their text), and END after every one of
// them. A MESSAGE after its chat's END breaks the order too.

// ChatExpect tells a sink in chat mode what to expect besides the number
// of MESSAGE events: Keys contacts (contact k sends messages k, k+Keys,
// k+2×Keys... of the backlog, numbered 0, 1, 2... in its chat), the chats
// of every EndEvery-th contact ended after the load, and the secret the
// events are signed with.
type ChatExpect struct {
	Secret   string `json:"secret"`
	Keys     int    `json:"keys"`
	EndEvery int    `json:"end_every"`
}

// chatSink is what a sink in chat mode knows.
type chatSink struct {
	key      []byte
	keys     int
	endEvery int
	// messages is the number of MESSAGE events expected in all.
	messages int
	// ended holds the contacts whose END arrived; chats the chat id each
	// contact's events came with.
	ended map[string]bool
	chats map[string]int64
}

func newChatSink(e ChatExpect, messages int) (*chatSink, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.Secret, "whsec_"))
	switch {
	case !strings.HasPrefix(e.Secret, "whsec_") || err != nil || len(key) == 0:
		return nil, fmt.Errorf("secret: want whsec_ and a base64 key")
	case e.Keys < 1:
		return nil, fmt.Errorf("keys: want at least 1")
	case e.EndEvery < 1:
		return nil, fmt.Errorf("end_every: want at least 1")
	}
	return &chatSink{key: key, keys: e.Keys, endEvery: e.EndEvery, messages: messages, ended: map[string]bool{}, chats: map[string]int64{}}, nil
}

// contactMessages is the number of messages contact k sends.
func (c *chatSink) contactMessages(k int) int {
	if k < 0 || k >= c.keys || k >= c.messages {
		return 0
	}
	return (c.messages - k + c.keys - 1) / c.keys
}

// endsChat reports whether contact k's chat is ended after the load.
func endsChat(k, endEvery int) bool { return k%endEvery == 0 }

// wantEnds is the number of END events expected.
func (c *chatSink) wantEnds() int {
	n := 0
	for k := range min(c.keys, c.messages) {
		if endsChat(k, c.endEvery) {
			n++
		}
	}
	return n
}

// verify checks a Standard Webhooks signature: one of the space-separated
// v1 signatures is the HMAC-SHA256 of "id.timestamp.body".
func (c *chatSink) verify(h http.Header, body []byte) bool {
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(h.Get("Webhook-Id")))
	mac.Write([]byte{'.'})
	mac.Write([]byte(h.Get("Webhook-Timestamp")))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for sig := range strings.FieldsSeq(h.Get("Webhook-Signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// chatEvent is what the sink reads of an event: the fields of an
// integration's default body.
type chatEvent struct {
	ChatID  *int64  `json:"chatId"`
	Contact *string `json:"contact"`
	Event   *string `json:"event"`
	Text    *string `json:"text"`
}

// parseChatEvent reads an event's chat, contact (its number k), kind, and
// for a MESSAGE its sequence number (its text, "msg <n>").
func parseChatEvent(body []byte) (chat int64, contact string, k int, kind string, seq int, ok bool) {
	var e chatEvent
	if json.Unmarshal(body, &e) != nil || e.ChatID == nil || e.Contact == nil || e.Event == nil {
		return 0, "", 0, "", 0, false
	}
	k, ok = contactNumber(*e.Contact)
	if !ok {
		return 0, "", 0, "", 0, false
	}
	switch *e.Event {
	case "END":
		return *e.ChatID, *e.Contact, k, "END", 0, true
	case "MESSAGE":
		if e.Text == nil {
			return 0, "", 0, "", 0, false
		}
		n, found := strings.CutPrefix(*e.Text, "msg ")
		seq, err := strconv.Atoi(n)
		if !found || err != nil || seq < 0 {
			return 0, "", 0, "", 0, false
		}
		return *e.ChatID, *e.Contact, k, "MESSAGE", seq, true
	}
	return 0, "", 0, "", 0, false
}

// serveChatEvent receives one event of a chat.
func (k *sink) serveChatEvent(w http.ResponseWriter, r *http.Request, c *chatSink, body []byte) {
	signed := c.verify(r.Header, body)
	chat, contact, n, kind, seq, ok := parseChatEvent(body)
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.chat != c {
		// A reset came meanwhile: this event belongs to no measurement.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch {
	case !signed:
		// Answered 204 all the same: a retry would not sign it better.
		k.status.Unsigned++
		k.problem("an event whose signature does not verify: %q", snippet(body))
		w.WriteHeader(http.StatusNoContent)
		return
	case !ok:
		k.status.Malformed++
		k.problem("an event that is not a MESSAGE (text \"msg <n>\") or END of contact +1555<n>: %q", snippet(body))
		http.Error(w, `want {"chatId": 1, "contact": "+15550000001", "event": "MESSAGE", "text": "msg 0"}`, http.StatusBadRequest)
		return
	}
	if first, seen := c.chats[contact]; !seen {
		c.chats[contact] = chat
	} else if first != chat {
		k.status.OutOfOrder++
		k.problem("contact %s: an event of chat %d after events of chat %d", contact, chat, first)
	}
	switch {
	case kind == "END" && c.ended[contact]:
		k.status.Duplicates++
	case kind == "END":
		c.ended[contact] = true
		k.status.Ends++
		if got, want := k.next[contact], c.contactMessages(n); got != want {
			k.status.OutOfOrder++
			k.problem("contact %s: END after %d of its %d MESSAGE events", contact, got, want)
		}
		if !endsChat(n, c.endEvery) {
			k.problem("contact %s: an END that was not asked for", contact)
		}
	case c.ended[contact]:
		// A redelivery of its last MESSAGE included: the queue sends a
		// chat's next event only once the one before it is settled.
		k.status.OutOfOrder++
		k.problem("contact %s: MESSAGE %d after END", contact, seq)
		k.arrive(contact, seq, now)
	default:
		k.arrive(contact, seq, now)
	}
	w.WriteHeader(http.StatusNoContent)
}

// contactPrefix starts every contact's number: contact k is +1555 and k
// in seven digits, a number in the range US numbering keeps for fiction.
const contactPrefix = "+1555"

// contactOf is contact k's phone number.
func contactOf(k int) string { return fmt.Sprintf("%s%07d", contactPrefix, k) }

// contactNumber reads k back from a contact's number.
func contactNumber(contact string) (int, bool) {
	digits, ok := strings.CutPrefix(contact, contactPrefix)
	if !ok || len(digits) != 7 {
		return 0, false
	}
	k, err := strconv.Atoi(digits)
	return k, err == nil && k >= 0
}
