package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/sqlstore/pgtest"
)

// The crash tests kill `hookline serve` processes with SIGKILL in the
// middle of a load and check what a receiver got against what was
// accepted. They build the binary and run for seconds, so they are skipped
// under -short (the race run) and bounded by crashBudget each.
const crashBudget = 55 * time.Second

// crashAdmin is the admin API key every node of a crash test shares.
const crashAdmin = "crash-test-admin-token-0123456789"

// node is one `hookline serve` process that a crash test starts, kills and
// restarts with the same settings.
type node struct {
	t    *testing.T
	bin  string
	env  []string
	data string

	mu   sync.Mutex
	cmd  *exec.Cmd
	base string // http://host:port of the running process, "" when down
	logs bytes.Buffer
	done chan struct{}
}

// start starts the process and waits until it listens.
func (n *node) start() {
	n.t.Helper()
	if err := n.startErr(); err != nil {
		n.t.Fatal(err)
	}
}

// startErr is start for goroutines other than the test's, which must not
// call Fatal.
func (n *node) startErr() error {
	cmd := exec.Command(n.bin, "serve", "--addr", "127.0.0.1:0", "--data", n.data)
	cmd.Env = append(os.Environ(), n.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start hookline serve: %w", err)
	}
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &v) == nil && v.Msg == "listening" {
				addr <- v.Addr
			}
			n.mu.Lock()
			if n.logs.Len() < 1<<20 {
				n.logs.WriteString(line + "\n")
			}
			n.mu.Unlock()
		}
	}()
	select {
	case a := <-addr:
		n.mu.Lock()
		n.cmd, n.base, n.done = cmd, "http://"+a, done
		n.mu.Unlock()
		return nil
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
		return fmt.Errorf("hookline serve did not start:\n%s", n.output())
	}
}

// kill sends SIGKILL: the process gets no chance to finish a send, record
// an outcome or release a lease.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd, n.base = nil, ""
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	_ = cmd.Wait()
}

// stop ends the process with SIGTERM, as an operator would.
func (n *node) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd, n.base = nil, ""
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	_ = cmd.Wait()
}

func (n *node) url() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.base
}

func (n *node) output() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.logs.String()
}

// arrival is one request the receiver got.
type arrival struct {
	id  string // webhook-id
	seq int
}

// orderReceiver records, per ordering key, the deliveries in the order they
// arrive. Each body names its key and its sequence number within the key
// (the order its client enqueued it in).
type orderReceiver struct {
	mu    sync.Mutex
	byKey map[string][]arrival
	total atomic.Int64
}

func (r *orderReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	var v struct{ Text string }
	if err := json.Unmarshal(body, &v); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	key, seqText, _ := strings.Cut(v.Text, " ")
	seq, err := strconv.Atoi(seqText)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.byKey[key] = append(r.byKey[key], arrival{req.Header.Get("Webhook-Id"), seq})
	r.mu.Unlock()
	r.total.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// distinct counts the deliveries received at least once.
func (r *orderReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, as := range r.byKey {
		seen := map[int]bool{}
		for _, a := range as {
			seen[a.seq] = true
		}
		n += len(seen)
	}
	return n
}

// check verifies what arrived against what was accepted (accepted[key] is
// how many deliveries of key were answered 202, sequence numbers 0 to
// accepted[key]-1). Precisely, for every key:
//
//   - every accepted sequence number arrived at least once, and nothing
//     else arrived;
//   - in order of arrival, sequence numbers never decrease: a delivery may
//     be repeated (its sender died before recording the outcome, so it was
//     sent again when its lease ran out) while it is the latest one of its
//     key, but once a newer one arrived, an older one never comes again;
//   - a repeat carries the same webhook-id as the first arrival, and
//     different deliveries carry different webhook-ids.
//
// It returns the number of repeated arrivals.
func (r *orderReceiver) check(t *testing.T, accepted map[string]int) int {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := map[string]string{} // webhook-id → key and sequence number
	repeats := 0
	for key, want := range accepted {
		as := r.byKey[key]
		last := -1
		var lastID string
		for i, a := range as {
			what := fmt.Sprintf("%s %d", key, a.seq)
			if prev, ok := ids[a.id]; ok && prev != what {
				t.Fatalf("webhook-id %s carried %q and %q", a.id, prev, what)
			}
			ids[a.id] = what
			switch {
			case a.seq < last:
				t.Fatalf("key %s: %d arrived after %d (arrival %d of %d)", key, a.seq, last, i+1, len(as))
			case a.seq == last:
				if a.id != lastID {
					t.Fatalf("key %s: %d arrived twice with webhook-ids %s and %s", key, a.seq, lastID, a.id)
				}
				repeats++
			case a.seq != last+1:
				t.Fatalf("key %s: %d arrived after %d; %d is missing", key, a.seq, last, last+1)
			}
			last, lastID = a.seq, a.id
		}
		if last != want-1 {
			t.Fatalf("key %s: %d of %d accepted deliveries arrived", key, last+1, want)
		}
	}
	for key := range r.byKey {
		if _, ok := accepted[key]; !ok {
			t.Fatalf("key %s arrived but was never accepted", key)
		}
	}
	return repeats
}

// crashLoad is a crash test's load: perKey deliveries for each of keys
// ordering keys, enqueued over HTTP by clients concurrent clients, each
// owning some keys and enqueuing each key's deliveries one after another.
type crashLoad struct {
	keys, perKey, clients int
}

// enqueue runs the load against whichever of nodes is up, and calls
// halfway once half the deliveries were accepted. A request that gets no
// answer (its node was killed) is sent again with the same Idempotency-Key,
// so that the delivery is queued once whether or not the first one was
// committed; a delivery counts as accepted when it is answered 202. It
// returns how many were accepted per key.
func (l crashLoad) enqueue(ctx context.Context, t *testing.T, nodes []*node, key string, webhookID any, halfway func()) map[string]int {
	t.Helper()
	total := l.keys * l.perKey
	var accepted atomic.Int64
	var once sync.Once
	counts := make([]int, l.keys)
	errs := make(chan error, l.clients)
	httpc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for c := 0; c < l.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for seq := 0; seq < l.perKey; seq++ {
				for k := c; k < l.keys; k += l.clients {
					body := fmt.Sprintf(`{"context": {"certainly": {"reply": "k%d %d"}}, "ordering_key": "k%d"}`, k, seq, k)
					for try := 0; ; try++ {
						if ctx.Err() != nil {
							errs <- fmt.Errorf("k%d %d not accepted in time", k, seq)
							return
						}
						base := nodes[(c+try)%len(nodes)].url()
						if base == "" {
							time.Sleep(20 * time.Millisecond)
							continue
						}
						req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/webhooks/%v/deliveries", base, webhookID), strings.NewReader(body))
						if err != nil {
							errs <- err
							return
						}
						req.Header.Set("Authorization", "Bearer "+key)
						req.Header.Set("Idempotency-Key", fmt.Sprintf("k%d-%d", k, seq))
						res, err := httpc.Do(req)
						if err != nil {
							time.Sleep(20 * time.Millisecond)
							continue
						}
						msg, _ := io.ReadAll(res.Body)
						res.Body.Close()
						if res.StatusCode == http.StatusAccepted {
							break
						}
						// A retry can reach another node while the first
						// request's delivery is still being committed by the
						// node it went to: that 409 says to send it again.
						retry := res.StatusCode == http.StatusServiceUnavailable ||
							res.StatusCode == http.StatusConflict && strings.Contains(string(msg), "being queued")
						if !retry {
							errs <- fmt.Errorf("enqueue k%d %d: %d %s", k, seq, res.StatusCode, msg)
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
					counts[k]++
					if accepted.Add(1) == int64(total/2) {
						once.Do(halfway)
					}
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	out := map[string]int{}
	for k, n := range counts {
		out[fmt.Sprintf("k%d", k)] = n
	}
	return out
}

// crashSetup creates a company, its key and a webhook posting to rc on the
// node at base, and returns the key and the webhook's id.
func crashSetup(t *testing.T, base, rc string) (string, any) {
	t.Helper()
	c := client{t, base}
	company := c.call("POST", "/api/v1/tenants", crashAdmin, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), crashAdmin, "", 201)["key"].(string)
	hook := c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Events", "method": "POST", "url": %q,
		"body": "{\"text\": \"{{certainly.reply}}\"}"}`, rc+"/events"), 201)
	c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/signing-secret", hook["id"]), key, "", 200)
	return key, hook["id"]
}

// waitArrived waits until every accepted delivery arrived at least once.
func waitArrived(ctx context.Context, t *testing.T, r *orderReceiver, accepted map[string]int, nodes []*node) {
	t.Helper()
	want := 0
	for _, n := range accepted {
		want += n
	}
	for r.distinct() < want {
		if ctx.Err() != nil {
			var logs strings.Builder
			for i, n := range nodes {
				out := n.output()
				fmt.Fprintf(&logs, "node %d (last 2000 bytes):\n%s\n", i, out[max(0, len(out)-2000):])
			}
			t.Fatalf("%d of %d accepted deliveries arrived in time\n%s", r.distinct(), want, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashEnv is the environment of every node: a short lease, so that a
// killed process's deliveries are taken over within seconds, and the test
// schedule.
func crashEnv(extra ...string) []string {
	return append([]string{
		"HOOKLINE_ADMIN_TOKEN=" + crashAdmin,
		"HOOKLINE_EGRESS_ALLOW=127.0.0.1/32",
		"HOOKLINE_DELIVERY_LEASE=3s",
		"HOOKLINE_DELIVERY_SCHEDULE=200ms,400ms,800ms",
		"HOOKLINE_DELIVERY_PER_TARGET=64",
		"HOOKLINE_LOG_LEVEL=info",
		"HOOKLINE_DATABASE_URL=",
		"HOOKLINE_SECRET_KEY=",
	}, extra...)
}

// TestCrashSQLite kills the one process serving a SQLite database with
// SIGKILL half-way through a load, restarts it on the same data directory,
// and checks that every accepted delivery arrives, in order per key, with
// duplicates only of the same webhook-id.
func TestCrashSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), crashBudget)
	defer cancel()
	bin := buildBinary(t)
	recv := &orderReceiver{byKey: map[string][]arrival{}}
	rc := httptest.NewServer(recv)
	defer rc.Close()
	n := &node{t: t, bin: bin, env: crashEnv(), data: filepath.Join(t.TempDir(), "data")}
	n.start()
	defer n.kill()
	key, hookID := crashSetup(t, n.url(), rc.URL)

	restarted := make(chan error, 1)
	load := crashLoad{keys: 100, perKey: 20, clients: 16}
	accepted := load.enqueue(ctx, t, []*node{n}, key, hookID, func() {
		go func() {
			n.kill()
			restarted <- n.startErr()
		}()
	})
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	waitArrived(ctx, t, recv, accepted, []*node{n})
	n.stop()
	repeats := recv.check(t, accepted)
	t.Logf("%d deliveries over %d keys arrived in order; %d repeated after the kill", load.keys*load.perKey, load.keys, repeats)
}

// TestCrashPostgres runs three processes on one PostgreSQL schema, enqueues
// 10,000 deliveries over 500 keys through all of them, kills one with
// SIGKILL half-way, and checks that the two others take over its leased
// deliveries: every accepted delivery arrives, in order per key, with
// duplicates only of the same webhook-id.
func TestCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills processes")
	}
	dbURL := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), crashBudget)
	defer cancel()
	bin := buildBinary(t)
	recv := &orderReceiver{byKey: map[string][]arrival{}}
	rc := httptest.NewServer(recv)
	defer rc.Close()
	env := crashEnv("HOOKLINE_DATABASE_URL="+dbURL, "HOOKLINE_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"HOOKLINE_DELIVERY_WORKERS=32")
	var nodes []*node
	for i := 0; i < 3; i++ {
		n := &node{t: t, bin: bin, env: env, data: filepath.Join(t.TempDir(), "data")}
		n.start()
		defer n.kill()
		nodes = append(nodes, n)
	}
	key, hookID := crashSetup(t, nodes[0].url(), rc.URL)

	load := crashLoad{keys: 500, perKey: 20, clients: 24}
	start := time.Now()
	accepted := load.enqueue(ctx, t, nodes, key, hookID, func() { nodes[1].kill() })
	t.Logf("enqueued in %v; %d arrived so far", time.Since(start), recv.distinct())
	waitArrived(ctx, t, recv, accepted, nodes)
	for _, n := range nodes {
		n.stop()
	}
	repeats := recv.check(t, accepted)
	t.Logf("%d deliveries over %d keys arrived in order through 3 processes, one killed; %d repeated after the kill", load.keys*load.perKey, load.keys, repeats)
}
