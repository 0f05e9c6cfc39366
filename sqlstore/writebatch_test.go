package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestWriteBatcherLeaders sends many writes at once through batchers of one
// and of three leaders, on each dialect: every write is committed once, a
// failing one fails alone, the extras reach finish once per committed
// write, and once all is done no leader is left counted and nothing
// queued, so the next write leads at once.
func TestWriteBatcherLeaders(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.db.ExecContext(ctx, "CREATE TABLE batch_test (n INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		for _, leaders := range []int{1, 3} {
			t.Run(fmt.Sprint(leaders, " leaders"), func(t *testing.T) {
				if _, err := db.db.ExecContext(ctx, "DELETE FROM batch_test"); err != nil {
					t.Fatal(err)
				}
				var mu sync.Mutex
				finished := 0
				b := &writeBatcher[int]{db: db, leaders: leaders, finish: func(_ context.Context, _ conn, extras []int) error {
					mu.Lock()
					defer mu.Unlock()
					for _, e := range extras {
						finished += e
					}
					return nil
				}}
				const writers = 200
				errs := make([]error, writers)
				var wg sync.WaitGroup
				for i := range writers {
					wg.Go(func() {
						errs[i] = b.write(ctx, 1, func(c conn) error {
							if i%50 == 7 {
								return errors.New("refused")
							}
							_, err := c.exec(ctx, "INSERT INTO batch_test (n) VALUES (?)", i)
							return err
						})
					})
				}
				wg.Wait()
				failed := 0
				for i, err := range errs {
					switch {
					case i%50 == 7 && err == nil:
						t.Errorf("write %d should have failed", i)
					case i%50 == 7:
						failed++
					case err != nil:
						t.Errorf("write %d: %v", i, err)
					}
				}
				var n int
				if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM batch_test").Scan(&n); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				got := finished
				mu.Unlock()
				if n != writers-failed || failed != 4 {
					t.Fatalf("%d rows for %d writes, %d failed", n, writers, failed)
				}
				// finish ran once for each committed write, however the
				// writes were batched (a failed batch runs no finish).
				if got != n {
					t.Fatalf("finish saw %d extras for %d committed writes", got, n)
				}
				b.mu.Lock()
				leading, queued := b.leading, len(b.queue)
				b.mu.Unlock()
				if leading != 0 || queued != 0 {
					t.Fatalf("after the writes: %d leading, %d queued", leading, queued)
				}
				// A caller that gave up is refused without writing.
				cancelled, cancel := context.WithCancel(ctx)
				cancel()
				if err := b.write(cancelled, 1, func(conn) error { return errors.New("ran") }); !errors.Is(err, context.Canceled) {
					t.Fatalf("a cancelled write: %v", err)
				}
			})
		}
	})
}

// TestSumCounters adds up a batch's counters per row, in the rows' order,
// so that concurrent batches lock shared rows in one order.
func TestSumCounters(t *testing.T) {
	h := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	got := sumCounters([]hookline.BotCounter{
		{BotID: 2, ChannelID: 1, Hour: h, Name: "messages_out", Value: 2, ChannelName: "a"},
		{BotID: 1, ChannelID: 9, Hour: h, Name: "messages_in", Value: 1, ChannelName: "x"},
		{BotID: 2, ChannelID: 1, Hour: h.Add(30 * time.Minute), Name: "messages_out", Value: 3, ChannelName: "b"},
		{BotID: 2, ChannelID: 1, Hour: h, Name: "messages_in", Value: 0},
		{BotID: 2, ChannelID: 1, Hour: h, Name: "messages_in", Value: 4},
	})
	want := []hookline.BotCounter{
		{BotID: 1, ChannelID: 9, Hour: h, Name: "messages_in", Value: 1, ChannelName: "x"},
		{BotID: 2, ChannelID: 1, Hour: h, Name: "messages_in", Value: 4},
		{BotID: 2, ChannelID: 1, Hour: h, Name: "messages_out", Value: 5, ChannelName: "b"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}
