// Package twilio speaks Twilio's Programmable Messaging wire format: the
// inbound webhook (a form POST signed with X-Twilio-Signature), its empty
// TwiML answer, and the Messages API that sends a reply.
//
// It is written by hand rather than with twilio-go, Twilio's official Go
// library: that library builds its URLs on api.twilio.com (region and edge
// only change the host's name), so a connection's base_url, which the
// tests point at a local fake, cannot be honoured; and the inbound side is
// a signature check and a form parse, a few dozen lines.
package twilio

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// HeaderSignature carries Twilio's signature of an inbound request.
const HeaderSignature = "X-Twilio-Signature"

// EmptyTwiML is the answer to an inbound message: nothing to send back
// synchronously (replies go through the delivery queue).
const EmptyTwiML = "<Response/>"

// MaxMedia is the most media Twilio attaches to one message.
const MaxMedia = 10

// MaxFormBytes bounds an inbound form.
const MaxFormBytes = 64 << 10

// Signature is Twilio's signature of a request: the base64 HMAC-SHA1,
// keyed with the auth token, of the full URL followed by each form
// parameter's name and value, sorted by name (a repeated name's values
// in their sorted order).
func Signature(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := append([]string(nil), params[name]...)
		sort.Strings(values)
		for _, v := range values {
			mac.Write([]byte(name))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is Twilio's signature of the request,
// compared in constant time.
func Verify(authToken, fullURL string, params url.Values, signature string) bool {
	if signature == "" || authToken == "" {
		return false
	}
	want := Signature(authToken, fullURL, params)
	return hmac.Equal([]byte(want), []byte(signature))
}

// ParseForm parses an inbound form body, strictly: url.ParseQuery's
// errors (a bad escape, a semicolon) refuse the body rather than drop
// fields that the signature covers.
func ParseForm(body []byte) (url.Values, error) {
	if len(body) > MaxFormBytes {
		return nil, fmt.Errorf("form exceeds %d bytes", MaxFormBytes)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("form does not parse: %v", err)
	}
	return v, nil
}

// Message reads an inbound message's fields: MessageSid, From, To, Body,
// NumMedia and MediaUrl{N}/MediaContentType{N}. A message with several
// media becomes one message per medium after the first, with provider ids
// MessageSid/N, so that each carries one medium as chat events do.
func Message(v url.Values) ([]hookline.ProviderMessage, error) {
	sid, from, to := v.Get("MessageSid"), v.Get("From"), v.Get("To")
	if sid == "" {
		sid = v.Get("SmsSid")
	}
	switch {
	case sid == "":
		return nil, errors.New("MessageSid is missing")
	case from == "":
		return nil, errors.New("From is missing")
	case len(sid) > 64 || len(from) > 64 || len(to) > 64:
		return nil, errors.New("MessageSid, From and To are at most 64 bytes")
	}
	body := v.Get("Body")
	for _, s := range []string{sid, from, to, body} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, errors.New("fields must be UTF-8 text without NUL")
		}
	}
	n := 0
	if raw := v.Get("NumMedia"); raw != "" {
		var err error
		if n, err = strconv.Atoi(raw); err != nil || n < 0 || n > MaxMedia {
			return nil, fmt.Errorf("NumMedia %q is not a count from 0 to %d", raw, MaxMedia)
		}
	}
	first := hookline.ProviderMessage{ProviderID: sid, From: from, To: to, Text: body}
	out := []hookline.ProviderMessage{first}
	for i := range n {
		u := v.Get(fmt.Sprintf("MediaUrl%d", i))
		if u == "" {
			return nil, fmt.Errorf("MediaUrl%d is missing (NumMedia is %d)", i, n)
		}
		if err := hookline.CheckWebhookURL(u); err != nil {
			return nil, fmt.Errorf("MediaUrl%d: %s", i, hookline.ErrorMessage(err))
		}
		m := &hookline.InboundMedia{URL: u, ContentType: v.Get(fmt.Sprintf("MediaContentType%d", i))}
		if i == 0 {
			out[0].Media = m
			continue
		}
		out = append(out, hookline.ProviderMessage{ProviderID: fmt.Sprintf("%s/%d", sid, i), From: from, To: to, Media: m})
	}
	return out, nil
}

// SendRequest is the Messages API request that sends text (and a medium)
// to a number, without its credentials (see Authorize).
func SendRequest(p *hookline.Provider, to, text, mediaURL string) hookline.DeliveryRequest {
	form := url.Values{"To": {to}, "From": {p.From}}
	if text != "" {
		form.Set("Body", text)
	}
	if mediaURL != "" {
		form.Set("MediaUrl", mediaURL)
	}
	return hookline.DeliveryRequest{
		Method: http.MethodPost,
		URL:    fmt.Sprintf("%s/2010-04-01/Accounts/%s/Messages.json", p.BaseURL, url.PathEscape(p.AccountSID)),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
		Body:   []byte(form.Encode()),
	}
}

// Authorize returns the Messages API's auth: Basic with the account SID
// and the auth token.
func Authorize(p hookline.Provider) func(*egress.Request) error {
	return func(r *egress.Request) error {
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.AccountSID+":"+p.AuthToken)))
		return nil
	}
}

// permanentCodes are Twilio error codes no retry changes: the number is
// invalid, cannot receive SMS, or has opted out.
var permanentCodes = map[int]bool{
	21211: true, // invalid 'To' number
	21212: true, // invalid 'From' number
	21408: true, // region not enabled
	21610: true, // the recipient unsubscribed
	21612: true, // the 'To' number cannot be reached from the 'From' number
	21614: true, // 'To' is not a mobile number
	21606: true, // 'From' cannot send to this number
	21617: true, // the body exceeds the size limit
}

// Permanent tells a Messages API refusal no retry changes: a 4xx answer
// other than 429, whose error code (permanentCodes, or any other for a
// 400) says so. Its reason quotes Twilio's code and message.
func Permanent(status int, body []byte) (bool, string) {
	if status < 400 || status >= 500 || status == http.StatusTooManyRequests {
		return false, ""
	}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(bytes.TrimSpace(body), &e)
	if e.Code == 0 {
		return false, ""
	}
	if !permanentCodes[e.Code] && status != http.StatusBadRequest {
		return false, ""
	}
	return true, fmt.Sprintf("Twilio refused the message: error %d: %s", e.Code, e.Message)
}
