package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Peer is a server process that hookline bench starts besides hookline:
// the two baselines and the receiver of outbound calls.
type Peer string

const (
	// PeerHello answers every request with a small JSON body, the least
	// an HTTP API server can do: the baseline of reads.
	PeerHello Peer = "hello"
	// PeerForwarder reads the request, POSTs a 1 KB JSON body to the
	// receiver with a plain net/http client and relays the answer: the
	// least a webhook run can do, and the baseline of runs.
	PeerForwarder Peer = "forwarder"
	// PeerReceiver stands in for a helpdesk: it reads the request and
	// answers a small JSON ticket.
	PeerReceiver Peer = "receiver"
	// PeerSink receives the delivery scenarios' deliveries: it answers
	// 204 and checks order per key (see sink).
	PeerSink Peer = "sink"
)

// Peers lists every peer, for usage text and checks.
func Peers() []Peer { return []Peer{PeerHello, PeerForwarder, PeerReceiver, PeerSink} }

// helloBody is the hello server's answer.
const helloBody = `{"hello":"world"}`

// receiverTicket is the receiver's answer: the ticket of the Help Center's
// example that the webhook tests and benchmarks use too.
const receiverTicket = `{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`

// forwardBody is what the forwarder POSTs: 1 KB of JSON, as in the
// issue's forwarder, made of the seed body's fields for the sample
// conversation and padding. It is larger than the 0.6 KB that hookline
// renders from the seed body, which favours hookline slightly.
const forwardBody = `{"lastName": "Lovelace", "replyData": {"ticket_id": "388"}, "sessionId": 4815162342, ` +
	`"attachedMedia": "", "direction": "in", "reply": "My ticket number is 388", ` +
	`"extractedData": {"email": "ada@example.com", "ticket_id": "388", "order_id": "A-1042"}, ` +
	`"botId": "5f0c6d3e-8a2b-4c1d-9e7f-2a3b4c5d6e7f", "botDeploymentId": "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b", ` +
	`"firstName": "Ada", "customVariables": {"language": "en", "plan": "premium"}, "moduleId": 12, ` +
	`"to": "104230175193582", "from": "6021983457712345", "botTrainedModelId": "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e", ` +
	`"note": "padding that brings this body to the size of a rendered webhook body with a longer conversation: ` +
	`the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog, ` +
	`the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog, ` +
	`the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog."}`

// expect is what a successful answer of each baseline holds.
func (p Peer) expect() []byte {
	switch p {
	case PeerHello:
		return []byte(`"hello"`)
	case PeerForwarder:
		return []byte(`"status": "open"`)
	}
	return nil
}

// PeerHandler returns the handler of peer p. The forwarder sends to
// receiverURL, which must be a loopback URL.
func PeerHandler(p Peer, receiverURL string) (http.Handler, error) {
	switch p {
	case PeerHello:
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, helloBody)
		}), nil
	case PeerReceiver:
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, receiverTicket)
		}), nil
	case PeerSink:
		return newSink(), nil
	case PeerForwarder:
		if _, err := CheckLoopbackURL(receiverURL); err != nil {
			return nil, fmt.Errorf("the forwarder's receiver: %w", err)
		}
		return newForwarder(receiverURL), nil
	}
	return nil, fmt.Errorf("unknown peer %q; want one of %v", p, Peers())
}

// forwarder is the baseline of webhook runs.
type forwarder struct {
	receiverURL string
	client      *http.Client
}

func newForwarder(receiverURL string) *forwarder {
	// The transport keeps as many idle connections per host as hookline's
	// egress client does (16), so that both reuse connections to the
	// receiver alike under the same load.
	return &forwarder{receiverURL: receiverURL, client: &http.Client{Transport: newLoopbackTransport(16)}}
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, f.receiverURL, strings.NewReader(forwardBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := f.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(res.StatusCode)
	io.Copy(w, res.Body)
}

// ServePeer runs peer p on addr until ctx ends. Once it listens, it logs
// a JSON line {"msg":"listening","addr":...} to logOut, the line hookline
// serve logs too, by which the parent learns the port.
func ServePeer(ctx context.Context, p Peer, addr, receiverURL string, logOut io.Writer) error {
	handler, err := PeerHandler(p, receiverURL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "peer", string(p))
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
