package load

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookline/hookline/channel"
)

// TestMintedTokenVerifies checks the hand-written minter against
// golang-jwt and against hookline's own check of hook tokens: HS256, the
// appId, iat and exp, and a different token for each n.
func TestMintedTokenVerifies(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := NewTokenMinter("client-1", "s3cret")
	m.now = func() time.Time { return now }
	a, b := m.Mint(1), m.Mint(2)
	if a == b {
		t.Fatal("two tokens are the same")
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now })).
		ParseWithClaims(a, claims, func(*jwt.Token) (any, error) { return []byte("s3cret"), nil })
	if err != nil || !tok.Valid {
		t.Fatalf("golang-jwt: %v", err)
	}
	if claims["appId"] != "client-1" || claims["iat"] != float64(now.Unix()) || claims["exp"] != float64(now.Add(tokenLifetime).Unix()) || claims["jti"] != "1" {
		t.Fatalf("claims %v", claims)
	}
	if err := channel.VerifyToken(a, "client-1", []string{"s3cret"}, true, now); err != nil {
		t.Fatalf("hookline refuses the token: %v", err)
	}
	if err := channel.VerifyToken(a, "client-1", []string{"other"}, false, now); err == nil {
		t.Fatal("hookline accepts the token with another secret")
	}
	if err := channel.VerifyToken(a, "client-1", []string{"s3cret"}, false, now.Add(tokenLifetime+2*time.Minute)); err == nil {
		t.Fatal("hookline accepts the token after its exp")
	}
	// A client id that needs escaping stays one JSON string.
	q := NewTokenMinter(`a"b\c`, "k").Mint(7)
	if err := channel.VerifyToken(q, `a"b\c`, []string{"k"}, true, time.Now()); err != nil {
		t.Fatalf("an escaped client id: %v", err)
	}
}

func TestHookBody(t *testing.T) {
	var p hookPayload
	if err := json.Unmarshal(hookBody(10_007, 10_000), &p); err != nil {
		t.Fatal(err)
	}
	if p.From.ID != "u7" || p.To.ID != "bench" || p.Message.Text != "message 10007" {
		t.Fatalf("payload %+v", p)
	}
	if SessionFrom(42) != "u42" {
		t.Fatal(SessionFrom(42))
	}
}

// TestBareHook calls the bare hook server with good and hostile calls.
func TestBareHook(t *testing.T) {
	h, err := PeerHandler(PeerHook, PeerConfig{ClientID: "client-1", ClientSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	call := func(auth string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/chatbot/hooks/1", bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(out)
	}
	minted := NewTokenMinter("client-1", "s3cret").Mint(1)
	code, out := call("bearer "+minted, hookBody(3, 10))
	if code != 200 || out != `{"text":["Hello, u3! You said: message 3"]}`+"\n" || !bytes.HasPrefix([]byte(out), PeerHook.expect()) {
		t.Fatalf("answered %d %s", code, out)
	}
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(minted, ".")[1] + "."
	for name, c := range map[string]struct {
		auth string
		body []byte
		want int
	}{
		"no token":     {"", hookBody(1, 10), 401},
		"basic":        {"Basic " + minted, hookBody(1, 10), 401},
		"other secret": {"bearer " + NewTokenMinter("client-1", "other").Mint(1), hookBody(1, 10), 401},
		"other app":    {"bearer " + NewTokenMinter("client-2", "s3cret").Mint(1), hookBody(1, 10), 401},
		"alg none":     {"bearer " + none, hookBody(1, 10), 401},
		"not JSON":     {"bearer " + minted, []byte("{"), 400},
		"no from":      {"bearer " + minted, []byte(`{"message":{"text":"x"},"to":{"id":"b"}}`), 400},
	} {
		if code, out := call(c.auth, c.body); code != c.want {
			t.Errorf("%s: %d %s, want %d", name, code, out, c.want)
		}
	}
	if _, err := PeerHandler(PeerHook, PeerConfig{ClientID: "client-1"}); err == nil {
		t.Fatal("a bare hook server without a secret started")
	}
}

// TestNextMakesEachRequest drives a server with per-request headers and
// bodies and checks that each number was used once, and that the next
// measurement numbers its requests from 0 again.
func TestNextMakesEachRequest(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-N") != string(body) {
			http.Error(w, "header and body differ", 400)
			return
		}
		mu.Lock()
		seen[string(body)]++
		mu.Unlock()
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	req := Request{Method: "POST", Path: "/", Expect: []byte("ok"), Next: func(n uint64) (http.Header, []byte) {
		s := strconv.FormatUint(n, 10)
		return http.Header{"X-N": {s}}, []byte(s)
	}}
	g, err := NewGenerator(srv.URL, req, 4, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s := g.Drive(context.Background(), 100*time.Millisecond)
	mu.Lock()
	for n := range s.Requests {
		if seen[strconv.FormatUint(n, 10)] != 1 {
			t.Fatalf("request %d was sent %d times", n, seen[strconv.FormatUint(n, 10)])
		}
	}
	if s.Failed() != 0 || s.Requests == 0 || uint64(len(seen)) != s.Requests {
		t.Fatalf("%d requests, %d failed (%s), %d distinct", s.Requests, s.Failed(), s.FirstError, len(seen))
	}
	clear(seen)
	mu.Unlock()
	again := g.Drive(context.Background(), 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if again.Requests == 0 || seen["0"] != 1 {
		t.Fatalf("the second measurement sent %d requests, request 0 %d times", again.Requests, seen["0"])
	}
}
