package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

// The inbox: accepted (async) messages are committed first (AcceptMessage
// returns once they are), then handled in the background in order per
// session, by whichever process holds the session's lock, and each reply
// is handed to the Sink. After a crash, what was left is handled when any
// process polls the inbox: a message not yet stepped is stepped, a
// message stepped but not handed over is handed over (again, perhaps:
// at least once).

// inboxBatch bounds the keys one pass of the inbox reads.
const inboxBatch = 100

// maxRetryDelay bounds the wait before a failed message is tried again.
const maxRetryDelay = 5 * time.Minute

// retryDelay is the wait after the n-th failure (1-based): 1 s, doubling,
// at most maxRetryDelay.
func retryDelay(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// AcceptMessage commits m to the inbox and returns; its step runs in the
// background, in order after the session's earlier messages, and its
// reply goes to the Sink.
func (r *Runtime) AcceptMessage(ctx context.Context, m hookline.InboundMessage) error {
	if err := checkMessage(&m); err != nil {
		return err
	}
	if r.cfg.Sink == nil {
		return hookline.Errorf(hookline.CodeUnavailable, "this process has no reply sink, so it cannot take asynchronous messages")
	}
	if _, err := r.cfg.Sessions.AddBotInbox(ctx, m); err != nil {
		return err
	}
	r.poke()
	return nil
}

// poke asks the inbox for a pass at once.
func (r *Runtime) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Start runs the inbox and the idle sweep in the background. What the
// inbox holds from before (a crash, a restart) is handled at once.
func (r *Runtime) Start() {
	r.started.Do(func() {
		r.workers.Add(2)
		go r.runInbox()
		go r.runSweep()
		r.poke()
	})
}

// Stop ends the background work: steps and hand-overs in progress are
// cancelled (what they saved stays saved; the rest is done again by the
// next process to poll), and Stop waits for them, at most until ctx ends.
func (r *Runtime) Stop(ctx context.Context) error {
	r.cancel()
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot runtime: still running at shutdown: %w", ctx.Err())
	}
}

func (r *Runtime) runInbox() {
	defer r.workers.Done()
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
		case <-tick.C:
		}
		r.drain()
	}
}

// drain hands each key with messages due to a worker, as long as workers
// are free; keys this process is on already are left to their worker.
func (r *Runtime) drain() {
	keys, err := r.cfg.Sessions.FindBotInboxKeys(r.ctx, time.Now(), inboxBatch)
	if err != nil {
		if r.ctx.Err() == nil {
			r.log.Warn("bot inbox: reading the due messages failed; trying again at the next poll", "error", err.Error())
		}
		return
	}
	for _, key := range keys {
		r.mu.Lock()
		busy := r.active[key]
		r.mu.Unlock()
		if busy {
			continue
		}
		select {
		case r.slots <- struct{}{}:
		default:
			return // every worker is busy; the next pass goes on
		}
		r.mu.Lock()
		r.active[key] = true
		r.mu.Unlock()
		r.workers.Add(1)
		go func() {
			defer func() {
				r.mu.Lock()
				delete(r.active, key)
				r.mu.Unlock()
				<-r.slots
				r.workers.Done()
				// A message accepted while this worker was finishing
				// found the key busy; look again.
				r.poke()
			}()
			r.handleKey(key)
		}()
	}
}

// handleKey handles a key's messages in order while it holds the
// session's lock. Another holder (a sync message, another process) makes
// it leave the key for a later pass.
func (r *Runtime) handleKey(key hookline.BotSessionKey) {
	ctx := r.ctx
	unlock, ok, err := r.cfg.Sessions.TryLockBotSession(ctx, key)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			r.log.Warn("bot inbox: locking a session failed", "bot_id", key.BotID, "channel_id", key.ChannelID, "error", err.Error())
		}
		return
	}
	defer unlock()
	for ctx.Err() == nil {
		it, err := r.cfg.Sessions.NextBotInbox(ctx, key)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			return
		}
		if err != nil {
			r.log.Warn("bot inbox: reading a message failed", "bot_id", key.BotID, "error", err.Error())
			return
		}
		if it.NextAttemptAt.After(time.Now()) {
			return // it waits after a failure, and the later ones wait for it
		}
		if !it.Stepped {
			reply, err := r.step(ctx, it.Message, it.ID)
			if err != nil {
				r.failed(ctx, it, "step", err)
				if permanent(err) {
					continue
				}
				return
			}
			it.Reply = reply
		}
		if err := r.cfg.Sink.DeliverReply(ctx, it.Message, it.Reply); err != nil {
			r.failed(ctx, it, "reply hand-over", err)
			return
		}
		if err := r.cfg.Sessions.DeleteBotInbox(ctx, it.ID); err != nil {
			r.log.Warn("bot inbox: forgetting a handled message failed; its reply will be handed over again", "inbox_id", it.ID, "error", err.Error())
			return
		}
	}
}

// permanent reports whether a step's error will not go away by trying
// again: the bot is gone, or the message is invalid.
func permanent(err error) bool {
	switch hookline.ErrorCode(err) {
	case hookline.CodeNotFound, hookline.CodeInvalid:
		return true
	}
	return false
}

// failed records a failure of an inbox message: one that cannot succeed
// is dropped; any other waits and is tried again.
func (r *Runtime) failed(ctx context.Context, it *hookline.BotInboxItem, what string, err error) {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return // shutting down: the next process to poll takes it over
	}
	if what == "step" && permanent(err) {
		r.log.Warn("bot inbox: dropping a message that cannot be handled", "inbox_id", it.ID, "bot_id", it.Message.BotID, "error", err.Error())
		if derr := r.cfg.Sessions.DeleteBotInbox(ctx, it.ID); derr != nil {
			r.log.Warn("bot inbox: dropping a message failed", "inbox_id", it.ID, "error", derr.Error())
		}
		return
	}
	wait := r.cfg.RetryDelay(it.Attempts + 1)
	r.log.Warn("bot inbox: "+what+" failed; trying again later", "inbox_id", it.ID, "bot_id", it.Message.BotID,
		"attempts", it.Attempts+1, "retry_in", wait.String(), "error", err.Error())
	if derr := r.cfg.Sessions.DeferBotInbox(ctx, it.ID, time.Now().Add(wait), err.Error()); derr != nil {
		r.log.Warn("bot inbox: deferring a message failed", "inbox_id", it.ID, "error", derr.Error())
	}
}
