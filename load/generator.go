package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Request is the one request a measurement sends over and over.
type Request struct {
	Method string
	// Path is joined to the target's base URL.
	Path   string
	Header http.Header
	Body   []byte
	// Expect, when set, must occur in every response body: a 2xx answer
	// without it (a webhook run whose call failed, say) is counted as
	// unexpected rather than as a success.
	Expect []byte
}

// Sample is what one measurement of one target observed.
type Sample struct {
	// Requests counts every request sent, failed ones included.
	Requests uint64
	// Errors are requests without an answer (connection or timeout).
	Errors uint64
	// Non2xx are answers with a status outside 200–299.
	Non2xx uint64
	// Unexpected are 2xx answers whose body lacked Request.Expect.
	Unexpected uint64
	// FirstError describes the first failure of any kind, if any.
	FirstError string
	// Elapsed runs from the first request's start to the last answer.
	Elapsed time.Duration
	// Latency holds the time of every request, failed ones included.
	Latency Histogram
}

// Failed is the number of requests that did not succeed.
func (s *Sample) Failed() uint64 { return s.Errors + s.Non2xx + s.Unexpected }

// Throughput is requests per second over Elapsed, failed ones included.
func (s *Sample) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Generator sends one Request to one target from a fixed number of
// connections, each a goroutine with its own keep-alive HTTP/1.1
// connection that sends its next request as soon as the answer is read.
type Generator struct {
	url        string
	request    Request
	transports []*http.Transport
	timeout    time.Duration
}

// NewGenerator prepares connections goroutines for request against base,
// which must be a loopback URL. timeout bounds each request.
func NewGenerator(base string, request Request, connections int, timeout time.Duration) (*Generator, error) {
	if _, err := CheckLoopbackURL(base); err != nil {
		return nil, err
	}
	if connections < 1 {
		return nil, fmt.Errorf("connections must be at least 1, got %d", connections)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("the request timeout must be positive, got %s", timeout)
	}
	target, err := url.JoinPath(base, request.Path)
	if err != nil {
		return nil, err
	}
	if request.Header == nil {
		request.Header = http.Header{}
	}
	g := &Generator{url: target, request: request, timeout: timeout}
	for range connections {
		g.transports = append(g.transports, newLoopbackTransport(1))
	}
	return g, nil
}

// Close closes the kept-alive connections.
func (g *Generator) Close() {
	for _, t := range g.transports {
		t.CloseIdleConnections()
	}
}

// Drive sends requests from every connection for d, then waits for the
// requests in flight to end. Those get at most the generator's timeout
// more (then they count as errors), so Drive returns within d plus that
// timeout.
func (g *Generator) Drive(ctx context.Context, d time.Duration) *Sample {
	start := time.Now()
	stopSending := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, stopSending.Add(g.timeout))
	defer cancel()

	samples := make([]*Sample, len(g.transports))
	var wg sync.WaitGroup
	for i, t := range g.transports {
		samples[i] = &Sample{}
		wg.Go(func() { g.loop(ctx, t, stopSending, 0, samples[i]) })
	}
	wg.Wait()
	total := &Sample{Elapsed: time.Since(start)}
	for _, s := range samples {
		total.Requests += s.Requests
		total.Errors += s.Errors
		total.Non2xx += s.Non2xx
		total.Unexpected += s.Unexpected
		if total.FirstError == "" {
			total.FirstError = s.FirstError
		}
		total.Latency.Merge(&s.Latency)
	}
	return total
}

// Once sends the request once, from the first connection.
func (g *Generator) Once(ctx context.Context) *Sample {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	s := &Sample{}
	began := time.Now()
	g.loop(ctx, g.transports[0], began.Add(g.timeout), 1, s)
	s.Elapsed = time.Since(began)
	return s
}

// loop is one connection: it sends requests one after another until
// stopSending, or until it has sent limit requests when limit is not 0,
// recording each into s.
func (g *Generator) loop(ctx context.Context, t *http.Transport, stopSending time.Time, limit uint64, s *Sample) {
	body := bytes.NewReader(nil)
	buf := bytes.NewBuffer(make([]byte, 0, 16<<10))
	for ctx.Err() == nil {
		began := time.Now()
		if !began.Before(stopSending) || (limit != 0 && s.Requests >= limit) {
			return
		}
		body.Reset(g.request.Body)
		req, err := http.NewRequestWithContext(ctx, g.request.Method, g.url, body)
		if err != nil {
			s.fail(&s.Errors, err.Error())
			return
		}
		// RoundTrip must not modify a request, so every connection can
		// send the one header map.
		req.Header = g.request.Header
		req.ContentLength = int64(len(g.request.Body))
		if len(g.request.Body) == 0 {
			req.Body = http.NoBody
		}
		res, err := t.RoundTrip(req)
		if err != nil {
			s.Requests++
			s.Latency.Record(time.Since(began))
			if errors.Is(err, context.Canceled) {
				return
			}
			s.fail(&s.Errors, err.Error())
			continue
		}
		buf.Reset()
		_, err = buf.ReadFrom(res.Body)
		res.Body.Close()
		s.Requests++
		s.Latency.Record(time.Since(began))
		switch {
		case err != nil:
			s.fail(&s.Errors, "reading the response: "+err.Error())
		case res.StatusCode < 200 || res.StatusCode > 299:
			s.fail(&s.Non2xx, fmt.Sprintf("status %d: %s", res.StatusCode, snippet(buf.Bytes())))
		case len(g.request.Expect) > 0 && !bytes.Contains(buf.Bytes(), g.request.Expect):
			s.fail(&s.Unexpected, fmt.Sprintf("the answer lacks %q: %s", g.request.Expect, snippet(buf.Bytes())))
		}
	}
}

func (s *Sample) fail(counter *uint64, msg string) {
	*counter++
	if s.FirstError == "" {
		s.FirstError = msg
	}
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// discard drains and closes a response body so its connection is reused.
func discard(res *http.Response) {
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
}
