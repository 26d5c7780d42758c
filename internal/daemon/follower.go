package daemon

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// follower keeps the projection in step with the ledger. The ledger hands
// it every committed block; it applies their records to SQLite (reading any
// it missed back from the ledger state) and then wakes the publishers
// waiting for those blocks.
type follower struct {
	proj   *projection.Store
	opener *opener // opens sealed records addressed to this member
	log    *slog.Logger
	ch     chan ledger.Committed
	// notify, once set (setNotify), is told of every block after its
	// records are queryable. It is set after the follower has started,
	// hence atomic.
	notify atomic.Pointer[func(ledger.Committed)]
	// preload runs once before catch-up with the projection's next index;
	// records, when set, receives every batch of records the projection
	// applies (the detection matcher's feed), with what the projection
	// decoded of their indicators (projection.ApplyDecoded).
	preload func(ctx context.Context, app *ledger.App, upTo uint64) error
	records func([]record.Record, map[uint64]*projection.Indicator)

	height atomic.Int64  // last block whose records are queryable
	next   atomic.Uint64 // next record index the projection expects
	done   chan struct{}
	once   sync.Once
	cancel context.CancelFunc
}

func newFollower(p *projection.Store, o *opener, log *slog.Logger) *follower {
	return &follower{proj: p, opener: o, log: log, ch: make(chan ledger.Committed, 4096), done: make(chan struct{})}
}

// committed is the ledger's commit hook. It blocks when the projection is
// 4096 blocks behind, which slows consensus rather than losing events.
func (f *follower) committed(c ledger.Committed) { f.ch <- c }

func (f *follower) start(ctx context.Context, app *ledger.App) {
	ctx, f.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go f.run(ctx, app)
}

// setNotify makes fn the receiver of every block the follower applies
// from now on; it is safe while the follower runs.
func (f *follower) setNotify(fn func(ledger.Committed)) { f.notify.Store(&fn) }

func (f *follower) stop() {
	f.once.Do(func() {
		f.cancel()
		<-f.done
	})
}

func (f *follower) run(ctx context.Context, app *ledger.App) {
	defer close(f.done)
	if f.preload != nil {
		if next, err := f.proj.NextIndex(ctx); err != nil {
			f.log.Error("matcher preload failed", "err", err)
		} else if err := f.preload(ctx, app, next); err != nil {
			f.log.Error("matcher preload failed", "err", err)
		}
	}
	if err := f.catchUp(ctx, app, app.State().Records); err != nil {
		f.log.Error("projection catch-up failed", "err", err)
	}
	f.height.Store(app.State().Height)
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-f.ch:
			batch := f.drain(c)
			if err := f.apply(ctx, app, batch); err != nil {
				f.log.Error("projection apply failed", "err", err)
			}
		}
	}
}

// drain gathers the blocks already waiting, so SQLite commits once for many.
func (f *follower) drain(first ledger.Committed) []ledger.Committed {
	batch := []ledger.Committed{first}
	for n := len(first.Records); n < 20000 && len(batch) < 256; {
		select {
		case c := <-f.ch:
			batch = append(batch, c)
			n += len(c.Records)
		default:
			return batch
		}
	}
	return batch
}

func (f *follower) apply(ctx context.Context, app *ledger.App, batch []ledger.Committed) error {
	var recs []record.Record
	for _, c := range batch {
		recs = append(recs, c.Records...)
	}
	if len(recs) > 0 {
		if err := f.catchUp(ctx, app, recs[0].Index); err != nil {
			return err
		}
		if err := f.applyRecords(ctx, recs); err != nil {
			return err
		}
	}
	for _, c := range batch {
		for _, w := range c.Withdrawn {
			if err := f.proj.Withdraw(ctx, w.ID, w.Version); err != nil {
				return err
			}
		}
	}
	last := batch[len(batch)-1]
	f.height.Store(last.Height)
	if notify := f.notify.Load(); notify != nil {
		for _, c := range batch {
			(*notify)(c)
		}
	}
	return nil
}

// catchUp applies records [projection's next, upTo) from the ledger state.
func (f *follower) catchUp(ctx context.Context, app *ledger.App, upTo uint64) error {
	next, err := f.proj.NextIndex(ctx)
	if err != nil {
		return err
	}
	f.next.Store(next)
	for next < upTo {
		recs, err := app.Records(next, upTo, 5000)
		if err != nil || len(recs) == 0 {
			return err
		}
		if err := f.applyRecords(ctx, recs); err != nil {
			return err
		}
		next = f.next.Load()
	}
	return nil
}

func (f *follower) applyRecords(ctx context.Context, recs []record.Record) error {
	recs, probs := f.opener.open(recs)
	for _, p := range probs {
		f.log.Warn("sealed record not projected", "index", p.index, "id", p.id, "reason", p.why)
	}
	decoded, err := f.proj.ApplyDecoded(ctx, recs)
	if err != nil {
		return err
	}
	if f.records != nil {
		f.records(recs, decoded)
	}
	if end := recs[len(recs)-1].Index + 1; end > f.next.Load() {
		f.next.Store(end)
	}
	return nil
}
