package delivery_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/webhook"
)

// drainReceiver acknowledges deliveries and checks order per key: the body
// names its key and sequence number, and a key's numbers must arrive
// without going back (a repeat of the latest is a redelivery).
type drainReceiver struct {
	mu      sync.Mutex
	last    map[string]int
	errors  []string
	got     atomic.Int64
	want    int64
	done    chan struct{}
	closeMu sync.Once
}

func (r *drainReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var b struct {
		Key string
		Seq int
	}
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	last, ok := r.last[b.Key]
	switch {
	case ok && b.Seq < last:
		r.errors = append(r.errors, fmt.Sprintf("%s: %d after %d", b.Key, b.Seq, last))
	case ok && b.Seq == last:
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.last[b.Key] = b.Seq
	r.mu.Unlock()
	if r.got.Add(1) == r.want {
		r.closeMu.Do(func() { close(r.done) })
	}
	w.WriteHeader(http.StatusNoContent)
}

// drainSize is the backlog of the drain benchmark: DRAIN_N, default 20,000.
func drainSize(b *testing.B) int {
	n := 20000
	if v := os.Getenv("DRAIN_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("DRAIN_N=%q: want a positive number", v)
		}
	}
	return n
}

// drainKeys is the number of ordering keys of the backlog.
const drainKeys = 1000

// BenchmarkDrain measures the drain rate: a backlog of drainSize committed
// deliveries over 1,000 ordering keys, queued before the clock starts,
// sent by one worker to a local receiver that checks order per key and
// acknowledges with 204. Beside it, BenchmarkDrain/bare-client posts the
// same bodies to the same kind of receiver with net/http and 64 goroutines,
// which is the ceiling of the machine for these exchanges. Reported:
// deliveries/s. Run with:
//
//	go test ./delivery -run '^$' -bench Drain -benchtime 1x -count 5
func BenchmarkDrain(b *testing.B) {
	b.Run("bare-client", func(b *testing.B) {
		n := drainSize(b)
		for range b.N {
			recv := &drainReceiver{last: map[string]int{}, want: int64(n), done: make(chan struct{})}
			rc := httptest.NewServer(recv)
			bodies := make(chan []byte, 1024)
			go func() {
				for i := range n {
					bodies <- []byte(fmt.Sprintf(`{"key": "k%d", "seq": %d}`, i%drainKeys, i/drainKeys))
				}
				close(bodies)
			}()
			// Each key's bodies must go one after another, as the queue
			// sends them: one goroutine per group of keys.
			perKey := make([]chan []byte, 64)
			for i := range perKey {
				perKey[i] = make(chan []byte, 64)
			}
			// Connections are kept for every sender, as the queue's egress
			// client keeps them; http.Post's default keeps two per host
			// and would measure connection set-up instead.
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(perKey)}}
			defer hc.CloseIdleConnections()
			start := time.Now()
			var wg sync.WaitGroup
			for i := range perKey {
				wg.Add(1)
				go func(in chan []byte) {
					defer wg.Done()
					for body := range in {
						res, err := hc.Post(rc.URL, "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}(perKey[i])
			}
			i := 0
			for body := range bodies {
				perKey[(i%drainKeys)%len(perKey)] <- body
				i++
			}
			for _, c := range perKey {
				close(c)
			}
			wg.Wait()
			elapsed := time.Since(start)
			rc.Close()
			b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
		}
	})
	dialects := []string{sqlstore.DialectSQLite}
	if pgtest.Available() {
		dialects = append(dialects, sqlstore.DialectPostgres)
	}
	for _, dialect := range dialects {
		b.Run(dialect, func(b *testing.B) {
			for range b.N {
				drainOnce(b, dialect)
			}
		})
	}
}

func drainOnce(b *testing.B, dialect string) {
	ctx := context.Background()
	n := drainSize(b)
	url := ""
	if dialect == sqlstore.DialectPostgres {
		url = pgtest.URL(b)
	}
	db, err := sqlstore.Open(ctx, url, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	key := make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		b.Fatal(err)
	}
	store := sqlstore.NewWebhookStore(db, sealer)
	queue := sqlstore.NewDeliveryStore(db, sealer)
	client := egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	recv := &drainReceiver{last: map[string]int{}, want: int64(n), done: make(chan struct{})}
	rc := httptest.NewServer(recv)
	defer rc.Close()

	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		b.Fatal(err)
	}
	wh := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{
		Name: "Events", Method: "POST", URL: rc.URL, Body: `{"key": "{{certainly.key}}", "seq": {{certainly.seq}}}`,
	}}
	if err := webhook.Check(&wh.WebhookDefinition); err != nil {
		b.Fatal(err)
	}
	if err := store.CreateWebhook(ctx, hookline.AdminScope(), wh); err != nil {
		b.Fatal(err)
	}
	if err := queue.RotateSigningSecret(ctx, hookline.TargetWebhook, wh.ID, company.ID, delivery.NewSecret(), time.Now()); err != nil {
		b.Fatal(err)
	}
	// The backlog is committed before the worker starts: what is measured
	// is the drain alone. Rows go in from 8 goroutines, each in its own
	// transactions, as enqueues do.
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				d := &hookline.Delivery{
					MessageID: fmt.Sprintf("msg_%d_%d", now.UnixNano(), i), CompanyID: company.ID,
					TargetKind: hookline.TargetWebhook, TargetID: wh.ID, OrderingKey: fmt.Sprintf("k%d", i%drainKeys),
					NextAttemptAt: &now,
					Request: hookline.DeliveryRequest{Method: "POST", URL: rc.URL,
						Header: http.Header{"Content-Type": {"application/json"}},
						Body:   []byte(fmt.Sprintf(`{"key": "k%d", "seq": %d}`, i%drainKeys, i/drainKeys))},
				}
				if _, _, err := queue.CreateDelivery(ctx, d, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	// The per-target limit is twice the workers, as an operator sending
	// this volume to one endpoint would set HOOKLINE_DELIVERY_PER_TARGET:
	// the store counts a delivery as sending until its outcome is
	// recorded, so with the limit at the number of workers, a lease made
	// while outcomes wait to be recorded finds the target full, and
	// finding nothing reads the whole backlog (see BENCHMARKS.md).
	counted := &countingStore{DeliveryStore: queue}
	w := delivery.NewWorker(delivery.Config{Store: counted, Webhooks: store, Client: client, Workers: drainWorkers(), PerTarget: drainPerTarget()})
	b.ResetTimer()
	if path := os.Getenv("DRAIN_PROFILE"); path != "" {
		// The drain alone is profiled, without the enqueues before it.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	cpuStart := cpuSeconds()
	rssStart := rssMB(b)
	var rssMiddle float64
	start := time.Now()
	w.Start()
	deadline := time.After(5 * time.Minute)
wait:
	for {
		select {
		case <-recv.done:
			break wait
		case <-deadline:
			b.Fatalf("%d of %d deliveries arrived in 5 minutes", recv.got.Load(), n)
		case <-time.After(20 * time.Millisecond):
			if rssMiddle == 0 && recv.got.Load() >= int64(n/2) {
				rssMiddle = rssMB(b)
			}
		}
	}
	elapsed := time.Since(start)
	cpu := cpuSeconds() - cpuStart
	rssEnd := rssMB(b)
	b.StopTimer()
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.Stop(stopCtx); err != nil {
		b.Fatal(err)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.errors) > 0 {
		b.Fatalf("%d out of order, first %v", len(recv.errors), recv.errors[0])
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(n)/float64(counted.leases.Load()), "deliveries/lease")
	b.ReportMetric(float64(counted.released.Load())/float64(n), "released/delivery")
	b.ReportMetric(float64(counted.leaseTime.Load())/float64(counted.leases.Load())/1e6, "ms/lease")
	b.ReportMetric(float64(n)/float64(counted.completes.Load()), "deliveries/completion")
	b.ReportMetric(float64(counted.empty.Load()), "empty-leases")
	b.ReportMetric(float64(counted.emptyTime.Load())/float64(max(1, counted.empty.Load()))/1e6, "ms/empty-lease")
	b.ReportMetric(cpu/elapsed.Seconds(), "cores-busy")
	b.ReportMetric(cpu/float64(n)*1e6, "cpu-µs/delivery")
	b.ReportMetric(rssStart, "MB-rss-start")
	b.ReportMetric(rssMiddle, "MB-rss-middle")
	b.ReportMetric(rssEnd, "MB-rss-end")
}

// cpuSeconds is the CPU time this process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// rssMB is the resident set size of this process (store, worker and
// receiver together), from /proc/self/status; 0 where there is none.
func rssMB(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return float64(kb) / 1024
		}
	}
	return 0
}

// countingStore counts the worker's leases and the time they take.
type countingStore struct {
	*sqlstore.DeliveryStore
	leases    atomic.Int64
	empty     atomic.Int64 // leases that found nothing
	emptyTime atomic.Int64 // nanoseconds
	leaseTime atomic.Int64 // nanoseconds
	completes atomic.Int64 // transactions recording outcomes
	released  atomic.Int64 // deliveries leased and put back unsent
}

func (s *countingStore) ReleaseDeliveries(ctx context.Context, token string, ids []int64) error {
	s.released.Add(int64(len(ids)))
	return s.DeliveryStore.ReleaseDeliveries(ctx, token, ids)
}

func (s *countingStore) CompleteDeliveries(ctx context.Context, outcomes []hookline.DeliveryOutcome) error {
	s.completes.Add(1)
	return s.DeliveryStore.CompleteDeliveries(ctx, outcomes)
}

func (s *countingStore) LeaseDeliveries(ctx context.Context, req hookline.LeaseRequest) ([]*hookline.Delivery, error) {
	start := time.Now()
	ds, err := s.DeliveryStore.LeaseDeliveries(ctx, req)
	s.leases.Add(1)
	s.leaseTime.Add(int64(time.Since(start)))
	if len(ds) == 0 {
		s.empty.Add(1)
		s.emptyTime.Add(int64(time.Since(start)))
	}
	return ds, err
}

// drainPerTarget is the worker's limit per target: DRAIN_PER_TARGET,
// default twice the workers (no limit, since the backlog has one target).
func drainPerTarget() int {
	if n, err := strconv.Atoi(os.Getenv("DRAIN_PER_TARGET")); err == nil && n > 0 {
		return n
	}
	return 2 * drainWorkers()
}

// drainWorkers is the worker's concurrency: DRAIN_WORKERS, default
// delivery.DefaultWorkers.
func drainWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("DRAIN_WORKERS")); err == nil && n > 0 {
		return n
	}
	return delivery.DefaultWorkers
}
