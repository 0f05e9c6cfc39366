package egress

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Kind classifies a failed exchange for the people and code reacting to it.
type Kind string

const (
	// KindTimeout: the request's deadline passed before the exchange,
	// retries and body read included, finished. The message says how far
	// the last attempt got: not yet sent (connecting), sent with no answer
	// within the timeout, or answered with a body that did not arrive in
	// time; whether the receiver has the request matters to whoever sends
	// it again.
	KindTimeout Kind = "timeout"
	// KindConnection: the connection was refused, reset or closed early, or
	// the caller cancelled the request (Err then wraps context.Canceled).
	KindConnection Kind = "connection"
	// KindDNS: the host name did not resolve.
	KindDNS Kind = "dns"
	// KindTLS: the TLS handshake failed or the certificate was not trusted.
	KindTLS Kind = "tls"
	// KindBlocked: the address guard refused the destination; nothing was
	// dialed.
	KindBlocked Kind = "blocked_address"
	// KindInvalid: the request itself is malformed (method, URL, scheme,
	// credentials in the URL, headers).
	KindInvalid Kind = "invalid_request"
	// KindInvalidResponse: the server answered with something the client
	// cannot use: a Location that does not parse, a redirect to a URL it
	// refuses (scheme, credentials) or one redirect too many, a body that
	// does not decode in its Content-Encoding. Sending again would get the
	// same answer, so it is never retried.
	KindInvalidResponse Kind = "invalid_response"
)

// Error is the one error type Do returns. Msg is written for the person who
// defined the request and never contains the URL's path or query, where API
// keys often travel; Err keeps the cause for logs and errors.Is/As.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// classify turns an error from one attempt into an *Error. ctx is the
// attempt's context: its deadline decides timeouts whatever layer noticed.
func classify(ctx context.Context, err error, phase string) *Error {
	// url.Error's text carries the whole URL, query and all: drop it.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee *Error
	if errors.As(err, &ee) && (ee.Kind == KindBlocked || ee.Kind == KindInvalid || ee.Kind == KindInvalidResponse) {
		return ee
	}
	if isDecodingError(err) {
		return &Error{Kind: KindInvalidResponse, Msg: "the response body does not decode " + phase + ": " + err.Error(), Err: err}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Msg: "deadline passed " + phase, Err: context.DeadlineExceeded}
	}
	if errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled) {
		return &Error{Kind: KindConnection, Msg: "request canceled " + phase, Err: context.Canceled}
	}
	if ee != nil {
		return ee
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsError(dnsErr.Name, dnsErr)
	}
	if isTLSError(err) {
		return &Error{Kind: KindTLS, Msg: "TLS handshake failed: " + err.Error(), Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: KindTimeout, Msg: "timed out " + phase, Err: err}
	}
	return &Error{Kind: KindConnection, Msg: connectionMessage(err, phase), Err: err}
}

func dnsError(host string, err *net.DNSError) *Error {
	reason := err.Err
	switch {
	case err.IsNotFound:
		reason = "no such host"
	case err.IsTimeout:
		reason = "the resolver did not answer in time"
	}
	return &Error{Kind: KindDNS, Msg: "cannot resolve " + host + ": " + reason, Err: err}
}

func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		header   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		ech      *tls.ECHRejectionError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &header), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &ech):
		return true
	}
	// crypto/tls reports many handshake failures as plain errors.New("tls: ...").
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "tls: ") {
			return true
		}
	}
	return false
}

// isDecodingError reports whether err is a body that fails to decompress
// in the Content-Encoding the server declared (net/http undoes gzip).
func isDecodingError(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}

func connectionMessage(err error, phase string) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused " + phase
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server " + phase
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection " + phase
	}
	return "connection failed " + phase + ": " + err.Error()
}
