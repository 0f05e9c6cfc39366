package load

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The bot-sync scenario: the sync inbound path of a webhook channel
// (issue 17), POST /chatbot/hooks/{botId} with an HS256 JWT, against the
// bare hook server, which does only the JWT check and the JSON decode and
// encode.

// Environment of the bare hook peer: the client id and secret it checks
// tokens with (the channel's, so that both sides get the same requests).
const (
	EnvHookClientID     = "HOOKLINE_BENCH_HOOK_CLIENT_ID"
	EnvHookClientSecret = "HOOKLINE_BENCH_HOOK_CLIENT_SECRET"
)

// tokenLifetime is the exp of a minted token, from its iat.
const tokenLifetime = 5 * time.Minute

// tokenHeader is the encoded JOSE header of every minted token.
var tokenHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// TokenMinter mints a fresh HS256 JWT for each request, as an outside
// system holding a channel's client id and secret would: {"appId", "iat",
// "exp", "jti"}, signed with the secret. Each token differs (jti), so
// neither side can skip the signature check by remembering a token. It is
// written by hand, with a precomputed header, so that minting costs the
// load generator about a microsecond (TestMintedTokenVerifies checks it
// against golang-jwt).
type TokenMinter struct {
	clientID string
	secret   []byte
	now      func() time.Time
}

// NewTokenMinter returns a minter for an app's client id and secret.
func NewTokenMinter(clientID, secret string) *TokenMinter {
	return &TokenMinter{clientID: clientID, secret: []byte(secret), now: time.Now}
}

// Mint returns token n.
func (m *TokenMinter) Mint(n uint64) string {
	iat := m.now().Unix()
	claims := make([]byte, 0, 128)
	claims = append(claims, `{"appId":`...)
	claims = strconv.AppendQuote(claims, m.clientID)
	claims = append(claims, `,"iat":`...)
	claims = strconv.AppendInt(claims, iat, 10)
	claims = append(claims, `,"exp":`...)
	claims = strconv.AppendInt(claims, iat+int64(tokenLifetime/time.Second), 10)
	claims = append(claims, `,"jti":"`...)
	claims = strconv.AppendUint(claims, n, 10)
	claims = append(claims, `"}`...)
	b := make([]byte, 0, 256)
	b = append(b, tokenHeader...)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, claims)
	mac := hmac.New(sha256.New, m.secret)
	mac.Write(b)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, mac.Sum(nil))
	return string(b)
}

// hookGreeting is what the bench bot's one message module says, and what
// the bare hook server answers: a greeting with the user's id and text.
const hookGreeting = "Hello, {{certainly.from}}! You said: {{certainly.reply}}"

// hookExpect is the start of every answer of both sides.
var hookExpect = []byte(`{"text":["Hello, `)

// hookBody is the payload of request n: user u<n mod sessions> says
// "message <n>".
func hookBody(n uint64, sessions int) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"message":{"text":"message `...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, `"},"from":{"id":"`...)
	b = append(b, SessionFrom(int(n%uint64(sessions)))...)
	b = append(b, `"},"to":{"id":"bench"}}`...)
	return b
}

// sessionPrefix starts every from.id of the load and of stored sessions.
const sessionPrefix = "u"

// SessionFrom is the from.id of session k: the load's users and the
// stored sessions use the same names, so that with as many stored
// sessions as users the load continues stored sessions.
func SessionFrom(k int) string { return sessionPrefix + strconv.Itoa(k) }

// hookRequests is the request of each n: a fresh token and user n's
// message.
func hookRequests(path string, minter *TokenMinter, sessions int) Request {
	return Request{
		Method: http.MethodPost,
		Path:   path,
		Expect: hookExpect,
		Next: func(n uint64) (http.Header, []byte) {
			return http.Header{
				"Authorization": {"bearer " + minter.Mint(n)},
				"Content-Type":  {"application/json"},
			}, hookBody(n, sessions)
		},
	}
}

// benchBot is the bot of the bot-sync scenario: one message module that
// greets, entered by every message (the first enters start, later ones
// meet the global connection to it), so that each message is one module
// entered, one answer, one session loaded and saved.
func benchBot(name string) map[string]any {
	return map[string]any{
		"name":  name,
		"start": 1,
		"modules": []any{
			map[string]any{"id": 1, "type": "message", "text": hookGreeting},
		},
		"global_connections": []any{map[string]any{"to": 1}},
	}
}

// botSyncScenario is issue 17's benchmark.
func botSyncScenario() Scenario {
	return Scenario{
		Name: "bot-sync",
		Summary: "POST /chatbot/hooks/{botId} of a sync webhook channel with a fresh HS256 JWT per request, --sessions users taking turns, " +
			"a bot of one message module answering; against a bare server doing only the JWT check and the JSON decode and encode",
		Baseline:       PeerHook,
		Goal:           0.50,
		FloorPerSecond: 10000,
		Setup: func(ctx context.Context, env SetupEnv) (*Prepared, error) {
			company, err := env.API.CreateCompany(ctx, "bench bot-sync")
			if err != nil {
				return nil, err
			}
			botID, err := env.API.CreateBot(ctx, company.Key, benchBot("Bench greeter"))
			if err != nil {
				return nil, err
			}
			var ch struct {
				ID           int64  `json:"id"`
				AppID        int64  `json:"app_id"`
				ClientID     string `json:"client_id"`
				ClientSecret string `json:"client_secret"`
				URL          string `json:"url"`
			}
			if err := env.API.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/bots/%d/channels", botID), company.Key,
				map[string]any{"type": "webhook", "name": "bench", "mode": "sync"}, &ch, http.StatusCreated); err != nil {
				return nil, err
			}
			if ch.ClientID == "" || ch.ClientSecret == "" {
				return nil, fmt.Errorf("the channel's app came back without a client id and secret")
			}
			// The app the channel made goes after the bot (whose channels
			// go with it) and before the company.
			env.API.Created(fmt.Sprintf("/api/v1/apps/%d", ch.AppID))
			env.API.Created(fmt.Sprintf("/api/v1/bots/%d", botID))
			// The operator approves the channel with the admin key.
			if err := env.API.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/channels/%d/approve", ch.ID), "", nil, nil, http.StatusOK); err != nil {
				return nil, err
			}
			return &Prepared{
				Request:     hookRequests(fmt.Sprintf("/chatbot/hooks/%d", botID), NewTokenMinter(ch.ClientID, ch.ClientSecret), env.Sessions),
				BaselineEnv: []string{EnvHookClientID + "=" + ch.ClientID, EnvHookClientSecret + "=" + ch.ClientSecret},
				Sessions: &SessionFill{BotID: botID, CompanyID: company.ID, ChannelID: ch.ID, ChannelName: "bench", To: "bench",
					ModuleID: 1, FromPrefix: sessionPrefix},
			}, nil
		},
	}
}

// bareHook is the baseline of bot-sync: the least a sync hook can do. It
// checks the JWT as hookline does (golang-jwt, HS256 pinned, 60 s of
// leeway, appId equal to the client id), decodes the payload and encodes
// an answer of the same shape as the bench bot's.
type bareHook struct {
	clientID string
	secret   []byte
	parser   *jwt.Parser
}

func newBareHook(clientID, secret string) (*bareHook, error) {
	if clientID == "" || secret == "" {
		return nil, fmt.Errorf("the bare hook server needs %s and %s", EnvHookClientID, EnvHookClientSecret)
	}
	return &bareHook{clientID: clientID, secret: []byte(secret),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithLeeway(time.Minute))}, nil
}

// hookPayload is what the bare hook server reads of a call.
type hookPayload struct {
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	From struct {
		ID string `json:"id"`
	} `json:"from"`
	To struct {
		ID string `json:"id"`
	} `json:"to"`
	CustomData json.RawMessage `json:"customData"`
}

func (h *bareHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		http.Error(w, `{"error":"bearer <JWT> required"}`, http.StatusUnauthorized)
		return
	}
	claims := jwt.MapClaims{}
	if _, err := h.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodHS256 {
			return nil, fmt.Errorf("alg %v", t.Header["alg"])
		}
		return h.secret, nil
	}); err != nil {
		http.Error(w, `{"error":"invalid token"}`, http.StatusUnauthorized)
		return
	}
	if appID, _ := claims["appId"].(string); appID != h.clientID {
		http.Error(w, `{"error":"wrong appId"}`, http.StatusUnauthorized)
		return
	}
	var p hookPayload
	if err := json.NewDecoder(io.LimitReader(r.Body, 256<<10)).Decode(&p); err != nil || p.From.ID == "" || p.To.ID == "" {
		http.Error(w, `{"error":"bad payload"}`, http.StatusBadRequest)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string][]string{"text": {"Hello, " + p.From.ID + "! You said: " + p.Message.Text}}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}
