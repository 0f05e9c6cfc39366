// Package hookline holds the domain of the webhook layer: its types, the
// interfaces of its services and the one error type every layer returns.
// It imports nothing of the project's own packages; they all import it.
package hookline

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an Error. The HTTP layer maps each code to one status in
// one place; the store layer translates driver errors into these codes.
type Code string

const (
	// CodeInvalid: the input is malformed or breaks a rule (HTTP 400).
	CodeInvalid Code = "invalid"
	// CodeUnauthorized: no credentials or bad ones (HTTP 401).
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the caller is known but may not do this (HTTP 403).
	// Resources outside the caller's scope use CodeNotFound instead, so that
	// their existence is not revealed.
	CodeForbidden Code = "forbidden"
	// CodeNotFound: no such resource in the caller's scope (HTTP 404).
	CodeNotFound Code = "not_found"
	// CodeConflict: the change clashes with stored state, such as a
	// duplicate name (HTTP 409).
	CodeConflict Code = "conflict"
	// CodeTooLarge: the input exceeds a size limit (HTTP 413).
	CodeTooLarge Code = "too_large"
	// CodeUnavailable: a dependency is not ready, such as the store during
	// shutdown (HTTP 503).
	CodeUnavailable Code = "unavailable"
	// CodeInternal: a fault of ours; the message is never shown to clients
	// (HTTP 500).
	CodeInternal Code = "internal"
)

// Error is the one error type of hookline. Message is written for the person
// who sent the input; Field names the input field at fault, as a JSON path
// such as "auth.token" or "headers[2].value", when there is one. Err keeps
// the underlying cause for logs and errors.Is/As.
type Error struct {
	Code    Code
	Message string
	Field   string
	// Line and Column locate the error in the text of Field, a template,
	// 1-based; 0 when unknown or not a template's error. The message
	// names them too; these are for edges that point at the spot.
	Line   int
	Column int
	Err    error
}

func (e *Error) Error() string {
	var s string
	switch {
	case e.Field != "" && e.Message != "":
		s = fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	case e.Message != "":
		s = fmt.Sprintf("%s: %s", e.Code, e.Message)
	default:
		s = string(e.Code)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid Error that names the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a CodeNotFound Error for a resource kind and id, worded
// the same whether the resource does not exist or lies outside the caller's
// scope.
func NotFound(kind string, id any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %v not found", kind, id)}
}

// ErrorCode returns the code of the first Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-facing message of the first Error in err's
// chain. Internal errors get a generic message: their details are for logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by the first Error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Present pairs a required input field's name with whether the input has
// it, for Required.
type Present struct {
	Name string
	Has  bool
}

// Has is Present{name, has}.
func Has(name string, has bool) Present { return Present{Name: name, Has: has} }

// Required returns one CodeInvalid error naming every required field the
// input lacks, in the order given, with Field the first of them; nil when
// none is missing.
func Required(fields ...Present) error {
	var missing []string
	for _, f := range fields {
		if !f.Has {
			missing = append(missing, f.Name)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return Invalid(missing[0], "missing required field %q", missing[0])
	}
	return Invalid(missing[0], "missing required fields: %s", strings.Join(missing, ", "))
}
