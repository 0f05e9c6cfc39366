package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/webhook"
)

// Defaults of a Worker.
const (
	DefaultWorkers   = 64
	DefaultPerTarget = 8
	// DefaultLeaseDuration is how long a lease holds: twice the longest
	// request, so that only a dead worker's deliveries are taken over.
	DefaultLeaseDuration = 2 * egress.MaxTimeout
	DefaultPollInterval  = 250 * time.Millisecond
	// completionBatch bounds the outcomes recorded in one transaction.
	completionBatch = 256
)

// Config configures a Worker.
type Config struct {
	Store    hookline.DeliveryStore
	Webhooks hookline.WebhookStore
	// Targets reads the targets of kinds other than webhooks, which
	// Webhooks serves.
	Targets map[hookline.TargetKind]TargetResolver
	// Client is the one egress client every outbound request goes through.
	Client *egress.Client
	// Schedule is the wait before each retry (DefaultSchedule if empty).
	Schedule []time.Duration
	// Workers bounds the deliveries this process sends at once; no company
	// takes more than half of them while others wait.
	Workers int
	// PerTarget bounds the deliveries sending to one target at once.
	PerTarget     int
	LeaseDuration time.Duration
	// PollInterval is how often the store is asked for due deliveries when
	// nothing woke the worker.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Observer, if not nil, is told of every outcome (metrics).
	Observer Observer
}

// Worker sends due deliveries. It leases them from the store in batches,
// hands each to one of its sending goroutines (one HTTP exchange per
// attempt), and
// records the outcomes in batches. Start it once; Stop it before the store
// closes.
type Worker struct {
	cfg  Config
	log  *slog.Logger
	node string // the lease token's prefix, unique per worker
	seq  atomic.Int64

	wakeCh   chan struct{}
	slotFree chan struct{}
	stopping chan struct{}
	stopOnce sync.Once
	stopErr  error
	started  atomic.Bool
	loopDone chan struct{}

	// hard is cancelled when Stop's deadline passes: sends still running
	// are cut off and their deliveries released.
	hard       context.Context
	hardCancel context.CancelFunc

	mu        sync.Mutex
	inflight  int
	companies map[int64]int
	targets   map[target]int
	// aloneUntil: until then, no company is held to half the workers,
	// because a lease excluding the one at its share found nothing else.
	aloneUntil time.Time

	// cache keeps what sends read of their targets (see targetTTL).
	cache targetCache

	sends sync.WaitGroup
	// jobs feeds the sending goroutines, one per worker, started once:
	// a goroutine started per send grew its stack again for every
	// exchange, a twentieth of the CPU of draining a backlog.
	jobs     chan *hookline.Delivery
	results  chan result
	recorded chan struct{}
}

type target struct {
	kind hookline.TargetKind
	id   int64
}

// result is what a send hands the recorder: an outcome, or a delivery to
// put back without an attempt. The worker's slot is freed once it is
// recorded.
type result struct {
	outcome *hookline.DeliveryOutcome
	release *hookline.Delivery
	company int64
	target  target
}

// NewWorker returns a worker for cfg, with defaults filled in.
func NewWorker(cfg Config) *Worker {
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.PerTarget <= 0 {
		cfg.PerTarget = DefaultPerTarget
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	targets := map[hookline.TargetKind]TargetResolver{hookline.TargetWebhook: webhookTargets{cfg.Webhooks}}
	for kind, r := range cfg.Targets {
		targets[kind] = r
	}
	cfg.Targets = targets
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	hard, cancel := context.WithCancel(context.Background())
	return &Worker{
		cfg: cfg, log: log, node: hex.EncodeToString(b),
		wakeCh: make(chan struct{}, 1), slotFree: make(chan struct{}, 1),
		stopping: make(chan struct{}), loopDone: make(chan struct{}),
		hard: hard, hardCancel: cancel,
		companies: map[int64]int{}, targets: map[target]int{}, cache: targetCache{entries: map[target]*targetState{}},
		results: make(chan result, cfg.Workers), recorded: make(chan struct{}),
		jobs: make(chan *hookline.Delivery, cfg.Workers),
	}
}

// Start starts leasing and sending in the background.
func (w *Worker) Start() {
	if w.started.Swap(true) {
		return
	}
	for range w.cfg.Workers {
		go func() {
			for d := range w.jobs {
				w.send(d)
			}
		}()
	}
	go w.record()
	go w.run()
}

// Wake tells the worker that a delivery is due now.
func (w *Worker) Wake() { signal(w.wakeCh) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Stop stops leasing, lets the sends in flight finish until ctx is done
// (then cuts them off and releases their deliveries for the next worker),
// and records every outcome before it returns. Stopping a stopped worker
// returns what the first Stop returned.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() { w.stopErr = w.stop(ctx) })
	return w.stopErr
}

func (w *Worker) stop(ctx context.Context) error {
	close(w.stopping)
	if !w.started.Load() {
		w.hardCancel()
		return nil
	}
	<-w.loopDone
	close(w.jobs)
	done := make(chan struct{})
	go func() { w.sends.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		w.hardCancel()
		<-done
		err = fmt.Errorf("delivery worker: sends still running at shutdown were cut off and will be sent again: %w", ctx.Err())
	}
	close(w.results)
	<-w.recorded
	w.hardCancel()
	return err
}

// run leases and dispatches until Stop.
func (w *Worker) run() {
	defer close(w.loopDone)
	timer := time.NewTimer(w.cfg.PollInterval)
	defer timer.Stop()
	least := 1
	for {
		select {
		case <-w.stopping:
			return
		default:
		}
		if w.dispatch(least) > 0 {
			least = w.batch()
			continue
		}
		timer.Reset(w.cfg.PollInterval)
		select {
		case <-w.stopping:
			return
		case <-w.wakeCh:
			least = 1
		case <-w.slotFree:
			least = w.batch()
		case <-timer.C:
			least = 1
		}
	}
}

// batch is how many workers must be free before a send's end or a
// recorded outcome leads to a lease. Leasing for every freed worker made
// one lease query per delivery, the largest cost of draining a backlog;
// waiting for an eighth of the workers makes them several times fewer and
// holds a freed worker back for no longer than a few sends take. A new
// delivery (Wake) and the poll still lease for a single free worker.
func (w *Worker) batch() int { return max(1, w.cfg.Workers/8) }

// half is the share of the workers one company may hold while others wait.
func (w *Worker) half() int { return max(1, w.cfg.Workers/2) }

// dispatch leases as many due deliveries as there are free workers, if
// at least least are, and starts sending them; it returns how many it
// started.
func (w *Worker) dispatch(least int) int {
	w.mu.Lock()
	free := w.cfg.Workers - w.inflight
	var capped int64
	if time.Now().After(w.aloneUntil) {
		for company, n := range w.companies {
			if n >= w.half() {
				capped = company
			}
		}
	}
	w.mu.Unlock()
	if free <= 0 || free < least {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := hookline.LeaseRequest{
		Token: fmt.Sprintf("%s-%d", w.node, w.seq.Add(1)), Limit: free, Duration: w.cfg.LeaseDuration,
		PerTarget: w.cfg.PerTarget, ExcludeCompany: capped,
	}
	ds, err := w.cfg.Store.LeaseDeliveries(ctx, req)
	if err == nil && len(ds) == 0 && capped != 0 {
		// Nobody else waits: the company may take the free workers, and
		// the leases of the next poll interval do not ask again. Finding
		// that nothing else is due reads every due delivery, so asking
		// on every lease made draining one company's backlog read the
		// whole backlog about once per lease.
		w.mu.Lock()
		w.aloneUntil = time.Now().Add(w.cfg.PollInterval)
		w.mu.Unlock()
		req.ExcludeCompany = 0
		ds, err = w.cfg.Store.LeaseDeliveries(ctx, req)
	}
	if err != nil {
		w.log.Warn("delivery lease failed", "error", err.Error())
		return 0
	}
	var release []int64
	started := 0
	stopping := false
	select {
	case <-w.stopping:
		stopping = true
	default:
	}
	w.mu.Lock()
	for _, d := range ds {
		t := target{d.TargetKind, d.TargetID}
		if stopping || w.targets[t] >= w.cfg.PerTarget {
			release = append(release, d.ID)
			continue
		}
		w.inflight++
		w.companies[d.CompanyID]++
		w.targets[t]++
		w.sends.Add(1)
		started++
		w.jobs <- d
	}
	w.mu.Unlock()
	if len(release) > 0 {
		if err := w.cfg.Store.ReleaseDeliveries(ctx, req.Token, release); err != nil {
			w.log.Warn("delivery release failed; the lease will expire", "error", err.Error())
		}
	}
	return started
}

// send makes one attempt of d and hands its result to the recorder.
func (w *Worker) send(d *hookline.Delivery) {
	defer w.sends.Done()
	r := w.attempt(w.hard, d)
	r.company, r.target = d.CompanyID, target{d.TargetKind, d.TargetID}
	w.results <- r
}

// free gives back the slots of recorded results. A slot is held until its
// outcome is stored, not only until its send ends: the store counts a
// delivery as sending until then, and a lease made in between would find
// its target fuller than it is, and might read the whole backlog to find
// nothing it may take.
func (w *Worker) free(batch []result) {
	w.mu.Lock()
	for _, r := range batch {
		w.inflight--
		if w.companies[r.company]--; w.companies[r.company] <= 0 {
			delete(w.companies, r.company)
		}
		if w.targets[r.target]--; w.targets[r.target] <= 0 {
			delete(w.targets, r.target)
		}
	}
	w.mu.Unlock()
	signal(w.slotFree)
}

// attempt sends d once, with its target's current auth, timeout and
// signing secret, and works out what comes next.
func (w *Worker) attempt(ctx context.Context, d *hookline.Delivery) result {
	out := &hookline.DeliveryOutcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken}
	ts, err := w.target(ctx, d)
	if err != nil {
		if ctx.Err() != nil {
			return result{release: d}
		}
		// The store did not answer: try again later without counting an
		// attempt.
		w.log.Warn("delivery target could not be read", "delivery_id", d.ID, "error", err.Error())
		out.Status, out.NextAttemptAt = hookline.DeliveryPending, time.Now().Add(egress.Jitter(w.cfg.Schedule[0]))
		return result{outcome: out}
	}
	if ts.gone {
		// The target is gone: this delivery and what waits for it are
		// canceled.
		if _, err := w.cfg.Store.CancelTargetDeliveries(ctx, d.TargetKind, d.TargetID); err != nil {
			w.log.Warn("cancel the deliveries of a deleted target", "target_id", d.TargetID, "error", err.Error())
		}
		out.Status = hookline.DeliveryCanceled
		return result{outcome: out}
	}
	if ts.disabled != nil {
		out.Status = hookline.DeliveryFailed
		return result{outcome: out}
	}
	tg, secret := ts.target, ts.secret

	req := &egress.Request{
		Method: d.Request.Method, URL: d.Request.URL, Header: d.Request.Header.Clone(), Body: d.Request.Body,
		Timeout: tg.Timeout, NoRetry: true,
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	start := time.Now()
	a := &hookline.DeliveryAttempt{At: start}
	out.Attempt = a
	if tg.Authorize != nil {
		if err := tg.Authorize(req); err != nil {
			a.ErrorKind, a.Error = hookline.ErrRender, err.Error()
			out.Status = hookline.DeliveryFailed
			return result{outcome: out}
		}
	}
	if !tg.Unsigned {
		unix := start.Unix()
		req.Header.Set(HeaderID, d.MessageID)
		req.Header.Set(HeaderTimestamp, fmt.Sprint(unix))
		sig, err := Signature(secret, d.MessageID, unix, req.Body, start)
		if err != nil {
			a.ErrorKind, a.Error = hookline.ErrRender, "the signing secret does not decode"
			out.Status = hookline.DeliveryFailed
			return result{outcome: out}
		}
		if sig != "" {
			req.Header.Set(HeaderSignature, sig)
		}
	}

	resp, err := w.cfg.Client.Do(ctx, req)
	a.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	scrub := scrubber(tg.Secrets)
	if err != nil {
		if w.hard.Err() != nil {
			return result{release: d}
		}
		we := webhook.ExchangeError(err)
		a.ErrorKind, a.Error = we.Kind, scrub(we.Message)
		if we.Kind == hookline.ErrRender {
			out.Status = hookline.DeliveryFailed
			return result{outcome: out}
		}
		w.retry(d, out, nil)
		return result{outcome: out}
	}
	a.Status = resp.Status
	a.Response = scrub(shownResponse(resp.Body))
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		out.Status = hookline.DeliverySucceeded
		return result{outcome: out}
	case resp.Status == http.StatusGone:
		a.ErrorKind, a.Error = hookline.ErrHTTPStatus, fmt.Sprintf("the endpoint answered 410 Gone: the %s is disabled until it is enabled again", d.TargetKind)
		out.Status, out.DisableTarget = hookline.DeliveryFailed, true
		w.forget(d.TargetKind, d.TargetID)
		return result{outcome: out}
	}
	a.ErrorKind, a.Error = hookline.ErrHTTPStatus, fmt.Sprintf("the endpoint answered %d %s", resp.Status, http.StatusText(resp.Status))
	if tg.Permanent != nil {
		if permanent, reason := tg.Permanent(resp.Status, resp.Body); permanent {
			a.Error = scrub(fmt.Sprintf("the endpoint answered %d %s: %s", resp.Status, http.StatusText(resp.Status), reason))
			out.Status = hookline.DeliveryFailed
			return result{outcome: out}
		}
	}
	if !retryableStatus(resp.Status) {
		out.Status = hookline.DeliveryFailed
		return result{outcome: out}
	}
	w.retry(d, out, resp)
	return result{outcome: out}
}

// retry schedules the next attempt after a failed one, or gives up after
// the schedule's last step. A Retry-After answer pushes the attempt to the
// later of the step and that time, at most MaxRetryAfter away.
func (w *Worker) retry(d *hookline.Delivery, out *hookline.DeliveryOutcome, resp *egress.Response) {
	step := d.RoundAttempts
	if step >= len(w.cfg.Schedule) {
		out.Status = hookline.DeliveryFailed
		return
	}
	now := time.Now()
	wait := egress.Jitter(w.cfg.Schedule[step])
	if resp != nil {
		if ra, ok := egress.RetryAfter(resp.Header.Get("Retry-After"), now); ok && ra > wait {
			wait = min(ra, MaxRetryAfter)
		}
	}
	out.Status, out.NextAttemptAt = hookline.DeliveryPending, now.Add(wait)
}

// record writes outcomes and releases in batches until Stop closes the
// results, and after each batch tells the dispatcher, as a freed worker
// does: a completion may free the next delivery of a key.
func (w *Worker) record() {
	defer close(w.recorded)
	for first := range w.results {
		batch := []result{first}
	drain:
		for len(batch) < completionBatch {
			select {
			case r, ok := <-w.results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		var outcomes []hookline.DeliveryOutcome
		releases := map[string][]int64{}
		for _, r := range batch {
			w.observe(r)
			if r.outcome != nil {
				outcomes = append(outcomes, *r.outcome)
			} else {
				releases[r.release.LeaseToken] = append(releases[r.release.LeaseToken], r.release.ID)
			}
		}
		w.persist("record delivery outcomes", func(ctx context.Context) error {
			return w.cfg.Store.CompleteDeliveries(ctx, outcomes)
		})
		for token, ids := range releases {
			w.persist("release deliveries", func(ctx context.Context) error {
				return w.cfg.Store.ReleaseDeliveries(ctx, token, ids)
			})
		}
		w.free(batch)
	}
}

// persist runs a write, retrying a few times: one that never succeeds
// leaves its deliveries leased until the lease expires, and they are sent
// again (at least once).
func (w *Worker) persist(what string, write func(ctx context.Context) error) {
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := write(ctx)
		cancel()
		if err == nil {
			return
		}
		if try == 5 || errors.Is(err, context.Canceled) {
			w.log.Error(what+" failed; the deliveries will be sent again when their lease expires", "error", err.Error())
			return
		}
		w.log.Warn(what+" failed; retrying", "error", err.Error(), "try", try)
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}

// shownResponse is the first MaxDeliveryResponseBytes of a body as valid
// UTF-8 text without NUL, as every store can keep it.
func shownResponse(body []byte) string {
	if len(body) > hookline.MaxDeliveryResponseBytes {
		cut := hookline.MaxDeliveryResponseBytes
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(body), "\uFFFD"), "\x00", "\uFFFD")
}

// scrubber masks the target's auth secrets in text a receiver may echo.
func scrubber(secrets []string) func(string) string {
	return func(s string) string {
		for _, secret := range secrets {
			if len(secret) >= 6 {
				s = strings.ReplaceAll(s, secret, hookline.SecretMask)
			}
		}
		return s
	}
}
