package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

// SweepLock names the lock a sweep holds, so that processes sharing a
// database sweep one at a time.
const SweepLock = "bot-session-sweep"

// sweepBatch bounds the sessions one query of a sweep reads.
const sweepBatch = 100

func (r *Runtime) runSweep() {
	defer r.workers.Done()
	timer := time.NewTimer(r.cfg.SweepInterval)
	defer timer.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-timer.C:
		}
		n, err := r.Sweep(r.ctx)
		switch {
		case err != nil && r.ctx.Err() == nil:
			r.log.Warn("bot sessions: the idle sweep failed; trying again at the next interval", "error", err.Error())
		case n > 0:
			r.log.Info("bot sessions ended for idleness", "sessions", n)
		}
		timer.Reset(r.cfg.SweepInterval)
	}
}

// Sweep ends the open sessions whose idle timeout has passed, under the
// sweep lock, and returns how many it ended. A session whose lock is held
// is in a step, which is no idleness: it is left alone.
func (r *Runtime) Sweep(ctx context.Context) (int, error) {
	ended := 0
	err := r.cfg.Lock(ctx, SweepLock, func(ctx context.Context) error {
		for {
			now := r.cfg.Now()
			expired, err := r.cfg.Sessions.FindExpiredBotSessions(ctx, now, sweepBatch)
			if err != nil {
				return err
			}
			batch := 0
			for _, s := range expired {
				unlock, ok, err := r.cfg.Sessions.TryLockBotSession(ctx, s.Key())
				if err != nil {
					return fmt.Errorf("lock session %d: %w", s.ID, err)
				}
				if !ok {
					continue
				}
				done, err := r.cfg.Sessions.EndIdleBotSession(ctx, s.ID, now)
				unlock()
				if err != nil {
					return err
				}
				if done {
					batch++
					r.observe([]hookline.BotCounter{{Name: hookline.BotMetricSessionsEnded, Value: 1}})
				}
			}
			ended += batch
			// A short batch is the last; a batch that ended nothing holds
			// only sessions in a step, which the next sweep finds again.
			if len(expired) < sweepBatch || batch == 0 {
				return nil
			}
		}
	})
	return ended, err
}
