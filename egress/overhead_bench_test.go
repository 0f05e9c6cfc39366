package egress

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// cannedTransport answers every request with the same small JSON reply
// without any network, so that a benchmark measures the client alone.
type cannedTransport struct{}

var cannedReply = []byte(`{"ok":true,"ticket":{"id":388,"status":"open"}}`)

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(cannedReply)),
		ContentLength: int64(len(cannedReply)),
		Request:       req,
	}, nil
}

// BenchmarkDoOverhead is Do without the network: what the guarded client
// costs on top of net/http's client (BenchmarkBareClientOverhead).
func BenchmarkDoOverhead(b *testing.B) {
	c := New(Config{Allow: allowLoopback1})
	c.roundTrip = cannedTransport{}
	header := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"hookline"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(ctx, &Request{Method: "POST", URL: "http://127.0.0.1:8080/hook", Header: header, Body: benchBody})
		if err != nil || resp.Status != 200 || len(resp.Body) != len(cannedReply) {
			b.Fatal(resp, err)
		}
	}
}

// BenchmarkBareClientOverhead is a bare net/http client with a timeout over
// the same canned transport.
func BenchmarkBareClientOverhead(b *testing.B) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: cannedTransport{}}
	barePost(b, client, "http://127.0.0.1:8080/hook")
}
