package channel

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookline/hookline"
)

const (
	testClientID = "app-0123456789abcdef01234567"
	testSecret   = "s3cr3t-client-secret-of-the-app-0001"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sign mints a token with the library, as an integrator would.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handMade builds a token from a raw header and claims, signed with HMAC
// SHA-256 over them as seed 004's snippet does: what a hostile caller can
// send whatever the header says.
func handMade(header, claims, secret string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

func valid(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"appId": testClientID, "sub": "42"}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestVerifyTokenAccepts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		token      string
		secrets    []string
		requireExp bool
	}{
		{"seed 004's header and payload", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(nil)), []string{testSecret}, false},
		{"hand-made as the README's python does", handMade(`{"alg":"HS256","typ":"JWT"}`, `{"appId":"`+testClientID+`","sub":"1"}`, testSecret), []string{testSecret}, false},
		{"exp in the future", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"exp": testNow.Add(time.Minute).Unix()})), []string{testSecret}, true},
		{"expired within the leeway", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"exp": testNow.Add(-50 * time.Second).Unix()})), []string{testSecret}, false},
		{"nbf within the leeway", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"nbf": testNow.Add(50 * time.Second).Unix()})), []string{testSecret}, false},
		{"signed with the previous secret during a rotation", sign(t, jwt.SigningMethodHS256, []byte("old-secret"), valid(nil)), []string{testSecret, "old-secret"}, false},
		{"no typ header", handMade(`{"alg":"HS256"}`, `{"appId":"`+testClientID+`"}`, testSecret), []string{testSecret}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyToken(tc.token, testClientID, tc.secrets, tc.requireExp, testNow); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// TestVerifyTokenHostile is the table of named hostile tokens: each is
// refused with CodeUnauthorized and a message saying why, which never
// holds the secret.
func TestVerifyTokenHostile(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(nil))
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil))
	for _, tc := range []struct {
		name       string
		token      string
		secrets    []string
		requireExp bool
		want       string // in the message
	}{
		{"alg none", none, nil, false, "HS256"},
		{"alg none with the signature dropped", parts[0][:0] + enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", nil, false, "HS256"},
		{"alg None, capitalised", handMade(`{"alg":"None","typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"alg hs256 in lower case", handMade(`{"alg":"hs256","typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"alg missing", handMade(`{"typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"alg HS384 with the right secret", sign(t, jwt.SigningMethodHS384, []byte(testSecret), valid(nil)), nil, false, "HS256"},
		{"alg HS512 with the right secret", sign(t, jwt.SigningMethodHS512, []byte(testSecret), valid(nil)), nil, false, "HS256"},
		{"alg RS256 signed with a private key", sign(t, jwt.SigningMethodRS256, rsaKey, valid(nil)), nil, false, "HS256"},
		{"alg confusion: RS256 header, HMAC with the secret", handMade(`{"alg":"RS256","typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"alg confusion: ES256 header, HMAC with the secret", handMade(`{"alg":"ES256","typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"alg as an array", handMade(`{"alg":["HS256"],"typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret), nil, false, "HS256"},
		{"signed with another secret", sign(t, jwt.SigningMethodHS256, []byte("not-the-secret"), valid(nil)), nil, false, "signature"},
		{"signed with an empty secret", handMade(`{"alg":"HS256"}`, `{"appId":"`+testClientID+`"}`, ""), nil, false, "signature"},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), nil, false, "signature"},
		{"tampered claims, signature kept", parts[0] + "." + enc.EncodeToString([]byte(`{"appId":"`+testClientID+`","sub":"43"}`)) + "." + parts[2], nil, false, "signature"},
		{"signature dropped", parts[0] + "." + parts[1] + ".", nil, false, "signature"},
		{"previous secret after its rotation window", sign(t, jwt.SigningMethodHS256, []byte("old-secret"), valid(nil)), nil, false, "signature"},
		{"wrong appId", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"appId": "app-someone-else"})), nil, false, "appId"},
		{"appId of another case", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"appId": strings.ToUpper(testClientID)})), nil, false, "appId"},
		{"appId missing", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"appId": nil})), nil, false, "appId"},
		{"appId a number", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"appId": 12345})), nil, false, "appId"},
		{"appId an array", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"appId": []string{testClientID}})), nil, false, "appId"},
		{"expired", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"exp": testNow.Add(-61 * time.Second).Unix()})), nil, false, "expired"},
		{"expired long ago", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"exp": 1})), nil, false, "expired"},
		{"exp a string", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"exp": "tomorrow"})), nil, false, "invalid"},
		{"nbf in the future", sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"nbf": testNow.Add(2 * time.Minute).Unix()})), nil, false, "not valid yet"},
		{"no exp where the channel requires it", good, nil, true, "exp"},
		{"huge token", parts[0] + "." + strings.Repeat("A", hookline.MaxHookTokenLen) + "." + parts[2], nil, false, "bytes long"},
		{"bad base64 in the header", "!!!." + parts[1] + "." + parts[2], nil, false, "well-formed"},
		{"bad base64 in the claims", parts[0] + ".e30*." + parts[2], nil, false, "well-formed"},
		{"bad base64 in the signature", parts[0] + "." + parts[1] + ".***", nil, false, "well-formed"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], nil, false, "well-formed"},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(sign(t, jwt.SigningMethodHS256, []byte(testSecret), valid(jwt.MapClaims{"sub": "~~~???>>>"}))), nil, false, "well-formed"},
		{"header not JSON", enc.EncodeToString([]byte("alg=HS256")) + "." + parts[1] + "." + parts[2], nil, false, "well-formed"},
		{"claims not JSON", parts[0] + "." + enc.EncodeToString([]byte("appId")) + "." + parts[2], nil, false, "well-formed"},
		{"claims an array", handMade(`{"alg":"HS256"}`, `["appId"]`, testSecret), nil, false, "well-formed"},
		{"two parts", parts[0] + "." + parts[1], nil, false, "well-formed"},
		{"four parts", good + "." + parts[2], nil, false, "well-formed"},
		{"empty", "", nil, false, "empty"},
		{"dots only", "..", nil, false, "well-formed"},
		{"the bearer scheme left in", "Bearer " + good, nil, false, "well-formed"},
		{"JWE-like five parts", strings.Repeat(parts[0]+".", 4) + parts[0], nil, false, "well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := tc.secrets
			if secrets == nil {
				secrets = []string{testSecret}
			}
			err := VerifyToken(tc.token, testClientID, secrets, tc.requireExp, testNow)
			if hookline.ErrorCode(err) != hookline.CodeUnauthorized {
				t.Fatalf("VerifyToken = %v, want CodeUnauthorized", err)
			}
			msg := hookline.ErrorMessage(err)
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q does not say %q", msg, tc.want)
			}
			if strings.Contains(msg, testSecret) || (len(tc.token) > 20 && strings.Contains(msg, tc.token)) {
				t.Fatalf("message %q echoes the secret or the token", msg)
			}
		})
	}
}

// flip changes the first character of a base64url string to another.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// FuzzVerifyToken checks VerifyToken against a reference written from the
// specification with the standard library: whatever the input, it never
// panics, and it accepts a token only if the token is three base64url
// parts whose header says HS256, whose signature is the HMAC-SHA256 of the
// first two under the secret, and whose appId is the client id.
func FuzzVerifyToken(f *testing.F) {
	f.Add(handMade(`{"alg":"HS256","typ":"JWT"}`, `{"appId":"`+testClientID+`"}`, testSecret))
	f.Add(handMade(`{"alg":"HS256"}`, `{"appId":"`+testClientID+`","exp":1}`, testSecret))
	f.Add(handMade(`{"alg":"none"}`, `{"appId":"`+testClientID+`"}`, testSecret))
	f.Add(handMade(`{"alg":"RS256"}`, `{"appId":"`+testClientID+`"}`, testSecret))
	f.Add(handMade(`{"alg":"HS256"}`, `{"appId":"other"}`, testSecret))
	f.Add("a.b.c")
	f.Add("..")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		err := VerifyToken(token, testClientID, []string{testSecret}, false, testNow)
		if err != nil {
			if hookline.ErrorCode(err) != hookline.CodeUnauthorized {
				t.Fatalf("error %v is not CodeUnauthorized", err)
			}
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token of %d parts", len(parts))
		}
		enc := base64.RawURLEncoding.Strict()
		rawHeader, err1 := enc.DecodeString(parts[0])
		rawClaims, err2 := enc.DecodeString(parts[1])
		sig, err3 := enc.DecodeString(parts[2])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("accepted a token that is not base64url: %v %v %v", err1, err2, err3)
		}
		var header struct {
			Alg string `json:"alg"`
		}
		var claims struct {
			AppID string `json:"appId"`
		}
		if json.Unmarshal(rawHeader, &header) != nil || header.Alg != "HS256" {
			t.Fatalf("accepted header %q", rawHeader)
		}
		if json.Unmarshal(rawClaims, &claims) != nil || claims.AppID != testClientID {
			t.Fatalf("accepted claims %q", rawClaims)
		}
		mac := hmac.New(sha256.New, []byte(testSecret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatal("accepted a signature that is not the HMAC of the token")
		}
	})
}
