package channel

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookline/hookline"
)

// The JWT of a hook call (seed 004): header {"alg": "HS256", "typ": "JWT"},
// payload {"appId": <client id>, ...}, signed with the app's client secret.
// The algorithm is pinned: a token naming any other (none, HS384, RS256 to
// confuse a public key with a secret, ...) is refused before any key is
// looked at, and the key function checks it again, so that no change of
// the library's defaults can widen it.

// TokenAlgorithm is the one signing algorithm hook tokens may use.
const TokenAlgorithm = "HS256"

// VerifyToken checks a hook call's JWT: HS256, signed with one of secrets
// (the app's current client secret, then the previous one during a
// rotation), its appId claim equal to clientID, exp and nbf honoured when
// present with hookline.HookTokenLeeway of clock skew, exp required when
// requireExp is set. Every failure is CodeUnauthorized, with a message
// that says what is wrong and never echoes the token or a secret.
func VerifyToken(token, clientID string, secrets []string, requireExp bool, now time.Time) error {
	switch {
	case token == "":
		return unauthorized("the bearer token is empty")
	case len(token) > hookline.MaxHookTokenLen:
		return unauthorized("the token is %d bytes long; at most %d are accepted", len(token), hookline.MaxHookTokenLen)
	case len(secrets) == 0:
		return unauthorized("the channel's app has no client secret")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{TokenAlgorithm}),
		jwt.WithLeeway(hookline.HookTokenLeeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	}
	if requireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	keys := make([]jwt.VerificationKey, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(s)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodHS256 {
			return nil, fmt.Errorf("alg %v", t.Header["alg"])
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	})
	if err != nil {
		return tokenError(err)
	}
	appID, ok := claims["appId"].(string)
	switch {
	case !ok:
		return unauthorized("the token has no appId claim (a string): set it to the channel's client id")
	case appID != clientID:
		return unauthorized("the token's appId is not the client id of this channel's app")
	}
	return nil
}

// tokenError words a failed check for the caller.
func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token is not a well-formed JWT (three base64url parts, JSON header and claims)", Err: err}
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid) && !errors.Is(err, jwt.ErrSignatureInvalid):
		// The parser refused the algorithm: unknown, or not HS256.
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token must be signed with HS256 (alg \"HS256\"); other algorithms, none included, are refused", Err: err}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token's signature does not verify with the client secret of this channel's app", Err: err}
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "this channel requires an exp claim in its tokens", Err: err}
	case errors.Is(err, jwt.ErrTokenExpired):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token has expired (exp, with 60 s of leeway)", Err: err}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token is not valid yet (nbf, with 60 s of leeway)", Err: err}
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token's claims are invalid (exp, nbf and iat must be numbers)", Err: err}
	}
	return &hookline.Error{Code: hookline.CodeUnauthorized, Message: "the token is not valid", Err: err}
}

func unauthorized(format string, args ...any) error {
	return hookline.Errorf(hookline.CodeUnauthorized, format, args...)
}
