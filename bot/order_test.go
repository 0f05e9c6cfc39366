package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// counterBot collects anything and, for each answer, has the Counter
// webhook add one to the session's count: a step that did not see the
// previous step's count sends the same count twice.
const counterBot = `{"name": "Counter", "start": 1, "modules": [
  {"id": 1, "type": "collector", "key": "n", "prompt": "count {{ certainly.customVariables.count | default(0) }}",
   "connections": [{"webhooks": ["Counter"], "to": 1}]}
]}`

// counter is the Counter webhook's endpoint: it answers count + 1, after
// a pause that leaves a concurrent step time to interleave, were it not
// held back.
type counter struct {
	*receiver
}

func newCounter(t *testing.T) *counter {
	return &counter{newReceiver(t, func(body string) (int, string) {
		var in struct{ Count int }
		json.Unmarshal([]byte(body), &in)
		time.Sleep(5 * time.Millisecond)
		return 200, fmt.Sprintf(`{"count": %d}`, in.Count+1)
	})}
}

func (c *counter) definition() hookline.WebhookDefinition {
	return hookline.WebhookDefinition{Name: "Counter", Method: "POST", URL: c.URL,
		Body:            `{"count": {{ certainly.customVariables.count | default(0) }}}`,
		CustomVariables: []hookline.CustomVariable{{Name: "count", Mapper: "{{ count }}"}}}
}

// counts lists the counts the endpoint received, in order.
func (c *counter) counts(t *testing.T) []int {
	var out []int
	for _, b := range c.received() {
		var in struct{ Count int }
		if err := json.Unmarshal([]byte(b), &in); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		out = append(out, in.Count)
	}
	return out
}

// checkOrdered checks that n messages after the first were handled one
// after another, each seeing the state the previous left: the endpoint
// got 0..n-1 in order, the replies were count 1..count n, and the session
// has n+1 steps numbered in order.
func checkOrdered(t *testing.T, e *env, c *hookline.Caller, cnt *counter, sessionID int64, replies []string, n int) {
	t.Helper()
	got := cnt.counts(t)
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the webhook received counts %v; want 0..%d in order, each once", got, n-1)
	}
	sort.Slice(replies, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(replies[i], "count %d", &a)
		fmt.Sscanf(replies[j], "count %d", &b)
		return a < b
	})
	for i, r := range replies {
		if r != fmt.Sprintf("count %d", i+1) {
			t.Fatalf("replies = %q; want count 1..count %d, each once", replies, n)
		}
	}
	sess, err := e.svc.FindBotSession(context.Background(), c, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Steps != n+1 || len(sess.History) != n+1 || string(sess.Variables) != fmt.Sprintf(`{"count":%d}`, n) {
		t.Fatalf("session: %d steps, %d in history, variables %s; want %d steps and count %d", sess.Steps, len(sess.History), sess.Variables, n+1, n)
	}
	for i, st := range sess.History {
		if st.N != i+1 {
			t.Fatalf("history step %d has n %d", i, st.N)
		}
	}
}

// sendConcurrently sends n messages of one user at once, spread over the
// runtimes, and returns every reply.
func sendConcurrently(t *testing.T, envs []*env, b *hookline.Bot, from string, n int) []string {
	t.Helper()
	var mu sync.Mutex
	var replies []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		e := envs[i%len(envs)]
		wg.Go(func() {
			<-start
			r, err := e.rt.HandleMessage(context.Background(), hookline.InboundMessage{BotID: b.ID, ChannelID: 3, ChannelName: "web", From: from, Text: fmt.Sprint("m", i)})
			if err != nil {
				t.Errorf("message %d: %v", i, err)
				return
			}
			mu.Lock()
			replies = append(replies, texts(r)...)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return replies
}

// TestOrderOneNode: concurrent messages of one session on one process are
// handled one after another, each seeing the previous one's state.
func TestOrderOneNode(t *testing.T) {
	for _, dialect := range []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			var e *env
			if dialect == sqlstore.DialectSQLite {
				e = sqliteEnv(t, nil)
			} else {
				e = newEnv(t, openPostgres(t, pgtest.URL(t)), storetest.Sealer(t), nil)
			}
			c := e.company("Acme")
			cnt := newCounter(t)
			e.webhook(c, cnt.definition())
			b := e.createBot(c, counterBot)
			first, _ := e.sayOn(b, hookline.InboundMessage{ChannelID: 3, ChannelName: "web", From: "u", Text: "start"})
			const n = 20
			replies := sendConcurrently(t, []*env{e}, b, "u", n)
			checkOrdered(t, e, c, cnt, first.SessionID, replies, n)
		})
	}
}

// TestOrderTwoNodes: two runtimes, each with a store of its own on one
// PostgreSQL database as two processes would have, take concurrent
// messages of one session: still one after another.
func TestOrderTwoNodes(t *testing.T) {
	url := pgtest.URL(t)
	sealer := storetest.Sealer(t)
	a := newEnv(t, openPostgres(t, url), sealer, nil)
	bEnv := newEnv(t, openPostgres(t, url), sealer, nil)
	c := a.company("Acme")
	cnt := newCounter(t)
	a.webhook(c, cnt.definition())
	b := a.createBot(c, counterBot)
	first, _ := a.sayOn(b, hookline.InboundMessage{ChannelID: 3, ChannelName: "web", From: "u", Text: "start"})
	const n = 24
	replies := sendConcurrently(t, []*env{a, bEnv}, b, "u", n)
	checkOrdered(t, a, c, cnt, first.SessionID, replies, n)
	// Other sessions were not held up: a second user's session ran
	// beside, from its own start.
	_, got := bEnv.sayOn(b, hookline.InboundMessage{ChannelID: 3, ChannelName: "web", From: "other", Text: "start"})
	if !slices.Equal(got, []string{"count 0"}) {
		t.Fatalf("another session: %q", got)
	}
}

func openPostgres(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// waitFor polls cond until it holds, failing the test after a generous
// bound: it waits for background work, it does not time it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
