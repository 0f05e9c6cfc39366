package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// sink records the replies handed over, in order, as a channel would
// enqueue them; while failing, it refuses them.
type sink struct {
	mu      sync.Mutex
	got     []handed
	failing bool
}

type handed struct {
	from, text string
	replies    []string
	session    int64
}

func (s *sink) DeliverReply(_ context.Context, m hookline.InboundMessage, r *hookline.BotReply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return errors.New("POST_URL answered 503")
	}
	s.got = append(s.got, handed{m.From, m.Text, texts(r), r.SessionID})
	return nil
}

func (s *sink) handed() []handed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// repliesOf lists the replies handed over for one user, in order.
func (s *sink) repliesOf(from string) []string {
	var out []string
	for _, h := range s.handed() {
		if h.from == from {
			out = append(out, h.replies...)
		}
	}
	return out
}

func accept(t *testing.T, e *env, b *hookline.Bot, from, text string) {
	t.Helper()
	if err := e.rt.AcceptMessage(context.Background(), hookline.InboundMessage{BotID: b.ID, ChannelID: 5, ChannelName: "async", From: from, To: "bot", Text: text}); err != nil {
		t.Fatalf("accept %q: %v", text, err)
	}
}

func counts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("count %d", i)
	}
	return out
}

// TestAcceptMessageInOrder: accepted messages are handled in the
// background, one after another per session, and their replies are
// handed over in that order; on PostgreSQL, by two processes at once.
func TestAcceptMessageInOrder(t *testing.T) {
	for _, dialect := range []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			out := &sink{}
			var envs []*env
			if dialect == sqlstore.DialectSQLite {
				envs = []*env{sqliteEnv(t, out)}
			} else {
				url, sealer := pgtest.URL(t), storetest.Sealer(t)
				envs = []*env{newEnv(t, openPostgres(t, url), sealer, out), newEnv(t, openPostgres(t, url), sealer, out)}
			}
			e := envs[0]
			c := e.company("Acme")
			cnt := newCounter(t)
			e.webhook(c, cnt.definition())
			b := e.createBot(c, counterBot)
			for _, x := range envs {
				x.rt.Start()
			}
			const n = 16
			var wg sync.WaitGroup
			accept(t, e, b, "u", "start")
			for i := range n {
				x := envs[i%len(envs)]
				wg.Go(func() { accept(t, x, b, "u", fmt.Sprint("m", i)) })
			}
			wg.Wait()
			waitFor(t, "every reply", func() bool { return len(out.handed()) == n+1 })
			if got := out.repliesOf("u"); !slices.Equal(got, counts(n+1)) {
				t.Fatalf("replies handed over: %q; want count 0..count %d in order", got, n)
			}
			if got := cnt.counts(t); len(got) != n {
				t.Fatalf("the webhook ran %d times for %d answers", len(got), n)
			}
		})
	}
}

// sqliteReopener opens the SQLite database of one data directory again
// and again, as a restarted process would.
func sqliteReopener(t *testing.T) func(t *testing.T) *sqlstore.DB {
	dir := t.TempDir()
	return func(t *testing.T) *sqlstore.DB {
		db, err := sqlstore.OpenSQLite(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return db
	}
}

// TestInboxAfterCrash: messages accepted by a process that died before
// handling them are handled by the next one, in order; a message whose
// step was saved but whose reply was not handed over is handed over
// again, without running its step (and its webhooks) a second time.
func TestInboxAfterCrash(t *testing.T) {
	for _, dialect := range []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			var open func(t *testing.T) *sqlstore.DB
			if dialect == sqlstore.DialectSQLite {
				open = sqliteReopener(t)
			} else {
				url := pgtest.URL(t)
				open = func(t *testing.T) *sqlstore.DB { return openPostgres(t, url) }
			}
			sealer := storetest.Sealer(t)
			stop := func(e *env) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := e.rt.Stop(ctx); err != nil {
					t.Fatal(err)
				}
				e.db.Close()
			}

			// The first process accepts and dies before its inbox runs.
			first := newEnv(t, open(t), sealer, &sink{})
			c := first.company("Acme")
			cnt := newCounter(t)
			first.webhook(c, cnt.definition())
			b := first.createBot(c, counterBot)
			for _, m := range []struct{ from, text string }{{"u1", "start"}, {"u2", "start"}, {"u1", "a"}, {"u1", "b"}} {
				accept(t, first, b, m.from, m.text)
			}
			stop(first)

			// The next one handles them, in order per session.
			out := &sink{}
			second := newEnv(t, open(t), sealer, out)
			second.rt.Start()
			waitFor(t, "the accepted messages", func() bool { return len(out.handed()) == 4 })
			if got := out.repliesOf("u1"); !slices.Equal(got, counts(3)) {
				t.Fatalf("u1's replies: %q", got)
			}
			if got := out.repliesOf("u2"); !slices.Equal(got, counts(1)) {
				t.Fatalf("u2's replies: %q", got)
			}

			// Its sink fails: the step is saved, the reply waits.
			out.mu.Lock()
			out.failing = true
			out.mu.Unlock()
			accept(t, second, b, "u1", "c")
			sessions, err := second.svc.FindBotSessions(context.Background(), c, b.ID, hookline.BotSessionListFilter{}, hookline.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var u1 int64
			for _, s := range sessions.Items {
				if s.From == "u1" {
					u1 = s.ID
				}
			}
			waitFor(t, "the step of c", func() bool {
				s, err := second.svc.FindBotSession(context.Background(), c, u1)
				return err == nil && s.Steps == 4
			})
			stop(second)

			// The third process hands it over once its retry is due (the
			// tests' retry delay is short), and does not run the step again.
			again := &sink{}
			third := newEnv(t, open(t), sealer, again)
			third.rt.Start()
			waitFor(t, "the reply of c", func() bool { return len(again.handed()) == 1 })
			if got := again.repliesOf("u1"); !slices.Equal(got, []string{"count 3"}) || again.handed()[0].session != u1 {
				t.Fatalf("handed over again: %q, session %d (want %d)", got, again.handed()[0].session, u1)
			}
			s, _ := third.svc.FindBotSession(context.Background(), c, u1)
			if s.Steps != 4 || !slices.Equal(cnt.counts(t), []int{0, 1, 2}) {
				t.Fatalf("after the hand-over: %d steps, webhook counts %v; want 4 steps and the webhook run 3 times", s.Steps, cnt.counts(t))
			}
		})
	}
}

// TestAcceptMessageChecks: without a sink accepted messages are refused;
// a bot that does not exist is not found.
func TestAcceptMessageChecks(t *testing.T) {
	e := sqliteEnv(t, nil)
	err := e.rt.AcceptMessage(context.Background(), hookline.InboundMessage{BotID: 1, From: "u", Text: "x"})
	if hookline.ErrorCode(err) != hookline.CodeUnavailable {
		t.Fatalf("without a sink: %v", err)
	}
	e = sqliteEnv(t, &sink{})
	err = e.rt.AcceptMessage(context.Background(), hookline.InboundMessage{BotID: 99, From: "u", Text: "x"})
	if hookline.ErrorCode(err) != hookline.CodeNotFound {
		t.Fatalf("unknown bot: %v", err)
	}
	for _, m := range []hookline.InboundMessage{
		{BotID: 1, From: "", Text: "x"},
		{BotID: 1, From: "u", Text: string(make([]byte, hookline.MaxBotMessageBytes+1))},
		{BotID: 1, From: "u\nv", Text: "x"},
		{BotID: 1, From: "u", Text: "x", CustomData: []byte("{")},
	} {
		if err := e.rt.AcceptMessage(context.Background(), m); hookline.ErrorCode(err) != hookline.CodeInvalid {
			t.Errorf("%+v: %v", m, err)
		}
		if _, err := e.rt.HandleMessage(context.Background(), m); hookline.ErrorCode(err) != hookline.CodeInvalid {
			t.Errorf("sync %+v: %v", m, err)
		}
	}
}
