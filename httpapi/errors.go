package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
)

// codeMethodNotAllowed is the error code of 405 answers, which come from
// routing rather than from a hookline.Error.
const codeMethodNotAllowed = "method_not_allowed"

// errorBody is the body of every error response:
// {"error": {"code", "message", "field"?}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// RenderError answers with err's status and the standard error body.
// Internal errors are logged with the request id and shown to the client
// only as that id; unavailable ones are logged too, as they need an
// operator's eye.
func (s *Server) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	code := hookline.ErrorCode(err)
	id := edge.RequestID(r.Context())
	detail := errorDetail{Code: string(code), Message: hookline.ErrorMessage(err), Field: hookline.ErrorField(err)}
	switch code {
	case hookline.CodeInternal:
		s.log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
		detail = errorDetail{Code: string(code), Message: fmt.Sprintf("internal error (request id %s)", id)}
	case hookline.CodeUnavailable:
		s.log.Warn("unavailable", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
	writeJSON(w, edge.StatusOf(code), errorBody{Error: detail})
}

// writeJSON writes v as the JSON response body with the given status.
// Messages quote user input and name things like <API key>: they are
// written as is, not HTML-escaped, since the API never serves HTML.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Response types are ours and always marshal; this is a bug.
		panic(fmt.Sprintf("httpapi: marshal %T: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
