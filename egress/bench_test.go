package egress

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The two benchmarks send the same small JSON body to the same kind of local
// receiver over kept-alive connections, so run together they measure what
// the guarded client costs over bare net/http.

var benchBody = []byte(`{"event":"MESSAGE","sessionId":"5f2b9c1e-8d7a-4c3b-9e1f-2a6d4b8c0e11","message":{"text":"Where is my order?","channel":"web"},"customData":{"orderId":"A-10293","locale":"en-GB"}}`)

func benchReceiver(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"ticket":{"id":388,"status":"open"}}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkDoPost(b *testing.B) {
	srv := benchReceiver(b)
	c := New(Config{Allow: allowLoopback1})
	b.Cleanup(c.transport.CloseIdleConnections)
	header := http.Header{"Content-Type": {"application/json"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(ctx, &Request{Method: "POST", URL: srv.URL + "/hook", Header: header, Body: benchBody})
		if err != nil || resp.Status != 200 {
			b.Fatal(resp, err)
		}
	}
}

func BenchmarkBareNetHTTPPost(b *testing.B) {
	srv := benchReceiver(b)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	barePost(b, client, srv.URL+"/hook")
}

// barePost posts benchBody to url with client once per iteration and reads
// the answer: the loop both bare baselines share.
func barePost(b *testing.B, client *http.Client, url string) {
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest("POST", url, bytes.NewReader(benchBody))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode, err)
		}
		resp.Body.Close()
	}
}
