package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/jinja"
)

func benchDef(url string) hookline.WebhookDefinition {
	return hookline.WebhookDefinition{
		Name: "bench", Method: "POST", URL: url, Body: seedBody,
		Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "bench-token-123456"},
		CustomVariables: []hookline.CustomVariable{
			{Name: "ticket_status", Mapper: "{{ticket.status}}"},
			{Name: "ticket_id", Mapper: "{{ticket.id}}"},
			{Name: "ticket_summary", Mapper: "Ticket {{ticket.id}} is {{ticket.status}} ({{ticket.priority}})"},
		},
	}
}

// benchCompiled compiles the benchmark webhook for url and builds the
// render data of the sample conversation (tests use it too).
func benchCompiled(tb testing.TB, url string) (*Compiled, map[string]any) {
	tb.Helper()
	c, err := Compile(benchDef(url))
	if err != nil {
		tb.Fatal(err)
	}
	conv := SampleConversation()
	data, err := ConversationData(&conv)
	if err != nil {
		tb.Fatal(err)
	}
	return c, data
}

// BenchmarkExecutorOverhead measures what hookline adds to one webhook
// call without the network: render URL, headers and the seed 000 body,
// apply auth, parse the seed 002 ticket response and map three custom
// variables.
func BenchmarkExecutorOverhead(b *testing.B) {
	c, data := benchCompiled(b, "https://api.example.com/tickets")
	work := executorWork(b, c, data)
	b.ReportAllocs()
	for b.Loop() {
		work()
	}
}

// executorWork is the executor's work on one call without the network:
// build the request from data, then map the seed ticket response.
func executorWork(b *testing.B, c *Compiled, data map[string]any) func() {
	ctx := context.Background()
	header := http.Header{"Content-Type": {"application/json"}}
	body := []byte(seedTicket)
	return func() {
		req, err := c.Build(ctx, data, egress.DefaultUserAgent)
		if err != nil {
			b.Fatal(err)
		}
		m := c.Map(ctx, 200, header, body, false)
		if m.Err != nil || len(m.Variables) != 3 || len(req.Egress.Body) == 0 {
			b.Fatalf("map: %+v", m)
		}
	}
}

// benchBuilt is the request c builds from data.
func benchBuilt(b *testing.B, c *Compiled, data map[string]any) *Request {
	b.Helper()
	req, err := c.Build(context.Background(), data, egress.DefaultUserAgent)
	if err != nil {
		b.Fatal(err)
	}
	return req
}

func benchReceiver(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, seedTicket)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkRunLocal is a full Run (build, send through egress, map) of the
// seed webhook against a local receiver; compare with
// BenchmarkBareNetHTTPPost, the same exchange with bare net/http.
func BenchmarkRunLocal(b *testing.B) {
	benchRun(b, localRunner(b))
}

// BenchmarkRunLocalLatency is BenchmarkRunLocal with every call timed on
// its own: a diagnostic of how the calls spread, which the mean hides. It
// reports the median and 90th percentile call (p50-ns, p90-ns) and the
// share of calls that took more than twice the median (slow-%).
func BenchmarkRunLocalLatency(b *testing.B) {
	benchLatency(b, localRunner(b))
}

// BenchmarkBareNetHTTPPostLatency is the same diagnostic for the bare POST.
func BenchmarkBareNetHTTPPostLatency(b *testing.B) {
	benchLatency(b, barePoster(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, benchReceiver(b)))
}

// benchLatency calls run in a loop, one call at a time, and reports how
// long the calls took (see BenchmarkRunLocalLatency).
func benchLatency(b *testing.B, run func() error) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := run(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(q float64) time.Duration { return took[int(q*float64(len(took)-1))] }
	median := at(0.5)
	slow := len(took) - sort.Search(len(took), func(i int) bool { return took[i] > 2*median })
	b.ReportMetric(float64(median), "p50-ns")
	b.ReportMetric(float64(at(0.9)), "p90-ns")
	b.ReportMetric(100*float64(slow)/float64(len(took)), "slow-%")
}

// benchRun calls run in a loop, one call at a time.
func benchRun(b *testing.B, run func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
}

// localRunner returns a function that runs the seed webhook against a
// local receiver. It is safe for concurrent use.
func localRunner(b *testing.B) func() error {
	return localRunnerOf(b, nil)
}

// localRunnerOf is localRunner for the seed webhook as edit changes it;
// edit gets the definition and the body it renders.
func localRunnerOf(b *testing.B, edit func(w *hookline.WebhookDefinition, body string)) func() error {
	srv := benchReceiver(b)
	c, data := benchCompiled(b, srv.URL+"/tickets")
	if edit != nil {
		def := benchDef(srv.URL + "/tickets")
		edit(&def, string(benchBuilt(b, c, data).Egress.Body))
		var err error
		if c, err = Compile(def); err != nil {
			b.Fatal(err)
		}
	}
	variables := len(c.mappers)
	e := NewExecutor(testClient())
	ctx := context.Background()
	return func() error {
		res := e.Run(ctx, c, data)
		if res.Error != nil || len(res.Variables) != variables {
			return fmt.Errorf("run: %+v, %d variables", res.Error, len(res.Variables))
		}
		return nil
	}
}

// BenchmarkRunLocalStaticBody is BenchmarkRunLocal with the seed body
// replaced by the text it renders to, which has nothing to render: a
// diagnostic that, set beside BenchmarkRunLocal, gives the wall time the
// body's render costs one call at a time.
func BenchmarkRunLocalStaticBody(b *testing.B) {
	benchRun(b, localRunnerOf(b, func(w *hookline.WebhookDefinition, body string) { w.Body = body }))
}

// BenchmarkRunLocalNoMapping is BenchmarkRunLocal with a text response and
// no custom variables, so that nothing is parsed or mapped: a diagnostic
// like the one above, for the mapping's share.
func BenchmarkRunLocalNoMapping(b *testing.B) {
	benchRun(b, localRunnerOf(b, func(w *hookline.WebhookDefinition, _ string) {
		w.ResponseType, w.CustomVariables = hookline.ResponseText, nil
	}))
}

// BenchmarkBareNetHTTPPost posts the body the seed webhook renders to the
// same kind of receiver with a plain keep-alive net/http client and reads
// the answer: the floor Run is measured against.
func BenchmarkBareNetHTTPPost(b *testing.B) {
	benchBarePost(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}})
}

// BenchmarkBareNetHTTPPostTimeout is the same bare POST through a client
// with a 5 s timeout, as any production client sets one and as Run does:
// a second baseline, reported beside the first, not instead of it.
func BenchmarkBareNetHTTPPostTimeout(b *testing.B) {
	benchBarePost(b, &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}})
}

// BenchmarkBareNetHTTPPostPlusExecutor is the bare POST with the
// executor's own work (BenchmarkExecutorOverhead: build and map, no
// network) done between requests: what Run would cost if the guarded
// client were free. It is a diagnostic, not a baseline: set beside
// BenchmarkRunLocal, it shows how much of Run's time over the bare POST is
// the executor's CPU work (and the scheduling it causes between requests)
// rather than anything else Run does.
func BenchmarkBareNetHTTPPostPlusExecutor(b *testing.B) {
	srv := benchReceiver(b)
	c, data := benchCompiled(b, srv.URL+"/tickets")
	benchBarePostWith(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, srv, executorWork(b, c, data))
}

// BenchmarkBareNetHTTPPostPlusSpin is the bare POST with a busy loop of
// 8 µs between requests: pure CPU, no allocation, about the executor's
// work measured alone. A diagnostic like the one above: set beside it, it
// shows how much wall time any client CPU between requests costs on the
// machine at hand, whoever spends it.
func BenchmarkBareNetHTTPPostPlusSpin(b *testing.B) {
	srv := benchReceiver(b)
	benchBarePostWith(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, srv, func() {
		for end := time.Now().Add(8 * time.Microsecond); time.Now().Before(end); {
		}
	})
}

func benchBarePost(b *testing.B, client *http.Client) {
	benchBarePostWith(b, client, benchReceiver(b), func() {})
}

// benchBarePostWith posts the seed body to srv with client, doing work
// before each request.
func benchBarePostWith(b *testing.B, client *http.Client, srv *httptest.Server, work func()) {
	post := barePoster(b, client, srv)
	benchRun(b, func() error {
		work()
		return post()
	})
}

// barePoster returns a function that posts the body the seed webhook
// renders to srv with client and reads the answer. It is safe for
// concurrent use.
func barePoster(b *testing.B, client *http.Client, srv *httptest.Server) func() error {
	c, data := benchCompiled(b, srv.URL+"/tickets")
	body := benchBuilt(b, c, data).Egress.Body
	b.Cleanup(client.CloseIdleConnections)
	return func() error {
		r, _ := http.NewRequest("POST", srv.URL+"/tickets", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer bench-token-123456")
		resp, err := client.Do(r)
		if err != nil {
			return err
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(out) == 0 {
			return fmt.Errorf("bare post: %v, status %d, %d bytes", err, resp.StatusCode, len(out))
		}
		return nil
	}
}

// benchParallelism is how many requests per core the parallel benchmarks
// keep in flight: 8 on 2 cores, a small host under steady load.
const benchParallelism = 4

// BenchmarkRunLocalParallel is BenchmarkRunLocal with several runs in
// flight at once: the time per run when the machine is busy, which is what
// bounds a host's throughput.
func BenchmarkRunLocalParallel(b *testing.B) {
	benchParallel(b, localRunner(b))
}

// benchParallel calls do from benchParallelism goroutines per core.
func benchParallel(b *testing.B, do func() error) {
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBareNetHTTPPostParallel is the bare POST with as many requests
// in flight as BenchmarkRunLocalParallel.
func BenchmarkBareNetHTTPPostParallel(b *testing.B) {
	benchParallel(b, barePoster(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, benchReceiver(b)))
}

// BenchmarkEgressLocal sends the prepared request of BenchmarkRunLocal
// through the egress client alone (no rendering, no mapping), to split
// Run's cost between the executor and the guarded client.
func BenchmarkEgressLocal(b *testing.B) {
	srv := benchReceiver(b)
	c, data := benchCompiled(b, srv.URL+"/tickets")
	req := benchBuilt(b, c, data)
	client := testClient()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r := req.Egress
		resp, err := client.Do(ctx, &r)
		if err != nil || resp.Status != 200 || len(resp.Body) == 0 {
			b.Fatalf("egress: %v", err)
		}
	}
}

// BenchmarkExecutorParts splits BenchmarkExecutorOverhead: the template
// engine's share (rendering the seed body, decoding the response, the
// three mappers) against the whole build and map.
func BenchmarkExecutorParts(b *testing.B) {
	c, data := benchCompiled(b, "https://api.example.com/tickets")
	ctx := context.Background()
	body := []byte(seedTicket)
	header := http.Header{"Content-Type": {"application/json"}}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Build(ctx, data, egress.DefaultUserAgent); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jinja-render-body", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.body.Render(ctx, data, c.limits); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m := c.Map(ctx, 200, header, body, false); m.Err != nil {
				b.Fatal(m.Err)
			}
		}
	})
	b.Run("jinja-decode-response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jinja.DecodeJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	parsed, _ := jinja.DecodeJSON(body)
	md := mapperData(200, flatHeaders(header), parsed)
	b.Run("jinja-mappers", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, mp := range c.mappers {
				var err error
				if mp.expr {
					_, err = mp.tmpl.Eval(ctx, md, c.limits)
				} else {
					_, err = mp.tmpl.Render(ctx, md, c.limits)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkRunConversationLocal is the bot runtime's call: RunConversation
// of the seed webhook's definition against a local receiver, which finds
// the definition compiled in the executor's cache.
func BenchmarkRunConversationLocal(b *testing.B) {
	benchRunConversation(b, func(e *Executor, def *hookline.WebhookDefinition, conv *hookline.Conversation) (*hookline.WebhookResult, error) {
		return e.RunConversation(context.Background(), def, conv)
	})
}

// BenchmarkRunConversationLocalUncached is the same call with the
// definition compiled every time, as RunConversation would without the
// compile cache: the figure that keeps the cache.
func BenchmarkRunConversationLocalUncached(b *testing.B) {
	benchRunConversation(b, func(e *Executor, def *hookline.WebhookDefinition, conv *hookline.Conversation) (*hookline.WebhookResult, error) {
		c, err := Compile(*def)
		if err != nil {
			return nil, err
		}
		data, err := ConversationData(conv)
		if err != nil {
			return nil, err
		}
		return e.Run(context.Background(), c, data), nil
	})
}

// benchRunConversation runs the seed webhook's definition in the sample
// conversation with run, one call at a time.
func benchRunConversation(b *testing.B, run func(*Executor, *hookline.WebhookDefinition, *hookline.Conversation) (*hookline.WebhookResult, error)) {
	srv := benchReceiver(b)
	def := benchDef(srv.URL + "/tickets")
	conv := SampleConversation()
	e := NewExecutor(testClient())
	benchRun(b, func() error {
		res, err := run(e, &def, &conv)
		if err != nil {
			return err
		}
		if res.Error != nil || len(res.Variables) != len(def.CustomVariables) {
			return fmt.Errorf("run: %+v, %d variables", res.Error, len(res.Variables))
		}
		return nil
	})
}
