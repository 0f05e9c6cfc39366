// Package whatsapp speaks the WhatsApp Cloud API's wire format: the
// webhook's verify handshake, its events signed with X-Hub-Signature-256,
// the Graph API lookup of a medium's URL, and the messages endpoint that
// sends a reply. Meta publishes no Go library for it, so it is written by
// hand.
package whatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// HeaderSignature carries Meta's signature of an event.
const HeaderSignature = "X-Hub-Signature-256"

// MaxEventBytes bounds an event body.
const MaxEventBytes = 1 << 20

// Handshake answers the webhook's verification request: the challenge
// when hub.mode is subscribe and hub.verify_token is the connection's
// (compared in constant time), ok false otherwise.
func Handshake(q url.Values, verifyToken string) (challenge string, ok bool) {
	if q.Get("hub.mode") != "subscribe" || verifyToken == "" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	return q.Get("hub.challenge"), true
}

// Sign is the X-Hub-Signature-256 value of body: "sha256=" and the hex
// HMAC-SHA256 of the raw body keyed with the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether header is the signature of the raw body, compared
// in constant time.
func Verify(appSecret string, body []byte, header string) bool {
	if appSecret == "" || !strings.HasPrefix(header, "sha256=") {
		return false
	}
	got, err := hex.DecodeString(strings.TrimPrefix(header, "sha256="))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// event is the part of a webhook event hookline reads.
type event struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Metadata struct {
					DisplayPhoneNumber string `json:"display_phone_number"`
					PhoneNumberID      string `json:"phone_number_id"`
				} `json:"metadata"`
				Messages []message         `json:"messages"`
				Statuses []json.RawMessage `json:"statuses"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type message struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Video    *media `json:"video"`
	Audio    *media `json:"audio"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
	} `json:"interactive"`
}

// Parse reads the contact messages of an event body (already verified):
// every entry[].changes[].value.messages[] of type text, image, video,
// audio, document, sticker, location, button or interactive. Statuses and
// other fields are accepted and carry no message; a message of a type
// hookline does not read is an error, so that nothing is dropped without a
// word.
func Parse(body []byte) ([]hookline.ProviderMessage, error) {
	if len(body) > MaxEventBytes {
		return nil, fmt.Errorf("event exceeds %d bytes", MaxEventBytes)
	}
	if !utf8.Valid(body) {
		return nil, errors.New("event is not UTF-8")
	}
	var ev event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("event is not the Cloud API's JSON: %v", err)
	}
	var out []hookline.ProviderMessage
	for _, e := range ev.Entry {
		for _, ch := range e.Changes {
			to := ch.Value.Metadata.DisplayPhoneNumber
			if to == "" {
				to = ch.Value.Metadata.PhoneNumberID
			}
			for i, m := range ch.Value.Messages {
				pm, err := read(m, to)
				if err != nil {
					return nil, fmt.Errorf("messages[%d]: %w", i, err)
				}
				out = append(out, pm)
			}
		}
	}
	return out, nil
}

func read(m message, to string) (hookline.ProviderMessage, error) {
	switch {
	case m.ID == "":
		return hookline.ProviderMessage{}, errors.New("id is missing")
	case m.From == "":
		return hookline.ProviderMessage{}, errors.New("from is missing")
	case len(m.ID) > 256 || len(m.From) > 64:
		return hookline.ProviderMessage{}, errors.New("id or from is too long")
	case strings.ContainsRune(m.ID, 0) || strings.ContainsRune(m.From, 0):
		return hookline.ProviderMessage{}, errors.New("id or from holds NUL")
	}
	pm := hookline.ProviderMessage{ProviderID: m.ID, From: m.From, To: to}
	if sec, err := strconv.ParseInt(m.Timestamp, 10, 64); err == nil {
		pm.At = time.Unix(sec, 0).UTC()
	}
	withMedia := func(md *media) error {
		if md == nil || md.ID == "" {
			return fmt.Errorf("a %s message needs its %s.id", m.Type, m.Type)
		}
		if strings.ContainsAny(md.ID, "/?#") || len(md.ID) > 128 {
			return fmt.Errorf("%s.id %q is not a media id", m.Type, md.ID)
		}
		pm.Media = &hookline.InboundMedia{MediaID: md.ID, ContentType: md.MimeType, Caption: md.Caption}
		if pm.Media.Caption == "" {
			pm.Media.Caption = md.Filename
		}
		return nil
	}
	var err error
	switch m.Type {
	case "text":
		if m.Text == nil {
			return pm, errors.New("a text message needs its text.body")
		}
		pm.Text = m.Text.Body
	case "image":
		err = withMedia(m.Image)
	case "video":
		err = withMedia(m.Video)
	case "audio":
		err = withMedia(m.Audio)
	case "document":
		err = withMedia(m.Document)
	case "sticker":
		err = withMedia(m.Sticker)
	case "location":
		if m.Location == nil {
			return pm, errors.New("a location message needs its location")
		}
		l := m.Location
		pm.Text = strings.TrimSpace(strings.Join([]string{l.Name, l.Address,
			strconv.FormatFloat(l.Latitude, 'f', -1, 64) + "," + strconv.FormatFloat(l.Longitude, 'f', -1, 64)}, "\n"))
	case "button":
		if m.Button == nil {
			return pm, errors.New("a button message needs its button")
		}
		pm.Text = m.Button.Text
		if pm.Text == "" {
			pm.Text = m.Button.Payload
		}
	case "interactive":
		switch it := m.Interactive; {
		case it != nil && it.ButtonReply != nil:
			pm.Text = it.ButtonReply.Title
		case it != nil && it.ListReply != nil:
			pm.Text = it.ListReply.Title
		default:
			return pm, errors.New("an interactive message needs its button_reply or list_reply")
		}
	default:
		return pm, fmt.Errorf("message type %q is not supported", m.Type)
	}
	if err != nil {
		return pm, err
	}
	if strings.ContainsRune(pm.Text, 0) {
		return pm, errors.New("text holds NUL")
	}
	return pm, nil
}

// graphURL is the Graph API address of a path under the connection's
// version.
func graphURL(p *hookline.Provider, parts ...string) string {
	return p.BaseURL + "/" + path.Join(append([]string{url.PathEscape(p.APIVersion)}, parts...)...)
}

// ResolveMedia asks the Graph API for a medium's URL and content type:
// GET {base_url}/{api_version}/{media-id} with the bearer token.
func ResolveMedia(ctx context.Context, client *egress.Client, p *hookline.Provider, mediaID string) (mediaURL, contentType string, err error) {
	resp, err := client.Do(ctx, &egress.Request{
		Method: http.MethodGet, URL: graphURL(p, url.PathEscape(mediaID)),
		Header: http.Header{"Authorization": {"Bearer " + p.AccessToken}, "Accept": {"application/json"}},
	})
	if err != nil {
		return "", "", fmt.Errorf("resolve media %s: %w", mediaID, err)
	}
	if resp.Status != http.StatusOK {
		return "", "", fmt.Errorf("resolve media %s: the Graph API answered %d", mediaID, resp.Status)
	}
	var m struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := json.Unmarshal(resp.Body, &m); err != nil || m.URL == "" {
		return "", "", fmt.Errorf("resolve media %s: the Graph API's answer has no url", mediaID)
	}
	return m.URL, m.MimeType, nil
}

// SendRequests are the messages-endpoint requests that send a reply,
// without their credentials (see Authorize): a text message, and a media
// message whose kind follows the URL's extension (document otherwise),
// captioned.
func SendRequests(p *hookline.Provider, to, text string, m *hookline.Multimedia) []hookline.DeliveryRequest {
	var bodies []any
	if text != "" && (m == nil || m.Caption != "") {
		bodies = append(bodies, map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
			"type": "text", "text": map[string]any{"preview_url": false, "body": text}})
	}
	if m != nil {
		caption := m.Caption
		if caption == "" {
			caption = text
		}
		kind := mediaKind(m.URL)
		obj := map[string]any{"link": m.URL}
		if caption != "" && kind != "audio" {
			obj["caption"] = caption
		}
		bodies = append(bodies, map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
			"type": kind, kind: obj})
	}
	out := make([]hookline.DeliveryRequest, len(bodies))
	for i, b := range bodies {
		raw, _ := json.Marshal(b)
		out[i] = hookline.DeliveryRequest{
			Method: http.MethodPost, URL: graphURL(p, url.PathEscape(p.PhoneNumberID), "messages"),
			Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
			Body:   raw,
		}
	}
	return out
}

func mediaKind(u string) string {
	if parsed, err := url.Parse(u); err == nil {
		u = parsed.Path
	}
	switch strings.ToLower(path.Ext(u)) {
	case ".jpg", ".jpeg", ".png", ".webp":
		return "image"
	case ".mp4", ".3gp":
		return "video"
	case ".mp3", ".ogg", ".opus", ".aac", ".amr", ".m4a":
		return "audio"
	}
	return "document"
}

// Authorize returns the Graph API's auth: the bearer access token.
func Authorize(p hookline.Provider) func(*egress.Request) error {
	return func(r *egress.Request) error {
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set("Authorization", "Bearer "+p.AccessToken)
		return nil
	}
}

// permanentCodes are Cloud API error codes no retry changes.
var permanentCodes = map[int]bool{
	131026: true, // message undeliverable (not a WhatsApp number, old client)
	131047: true, // re-engagement: more than 24 hours since the contact wrote
	131051: true, // unsupported message type
	131052: true, // media download error
	131053: true, // media upload error
	131021: true, // recipient cannot be sender
	131009: true, // parameter value is not valid
	131008: true, // required parameter is missing
	100:    true, // invalid parameter
}

// Permanent tells a messages-endpoint refusal no retry changes by its
// error code; its reason quotes the code and message.
func Permanent(status int, body []byte) (bool, string) {
	if status < 400 || status == http.StatusTooManyRequests {
		return false, ""
	}
	var e struct {
		Error struct {
			Code      int    `json:"code"`
			Message   string `json:"message"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &e) != nil || !permanentCodes[e.Error.Code] {
		return false, ""
	}
	reason := fmt.Sprintf("WhatsApp refused the message: error %d: %s", e.Error.Code, e.Error.Message)
	if d := e.Error.ErrorData.Details; d != "" {
		reason += " (" + d + ")"
	}
	return true, reason
}
