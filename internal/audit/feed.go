package audit

import (
	"context"
	"math"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// feedBlocks is how many committed blocks a feed holds before the replay
// waits for its reader.
const feedBlocks = 2

// feed hands the records a replay commits to one comparison while the
// replay runs, block by block and in index order, so the comparison
// neither waits for the whole replay nor reads the records back from the
// scratch state. Its read is a Records function for reads in increasing
// index order (as Projection and Ledgers make them): it waits until the
// replay has committed what it asks for, or ended.
type feed struct {
	blocks chan []record.Record
	quit   chan struct{} // closed when the reader stops reading
	once   sync.Once

	buf []record.Record // received, not yet passed
}

func newFeed() *feed {
	return &feed{blocks: make(chan []record.Record, feedBlocks), quit: make(chan struct{})}
}

// put hands over one committed block's records; it waits while the reader
// is feedBlocks behind, and drops them once the reader stopped.
func (f *feed) put(recs []record.Record) {
	if len(recs) == 0 {
		return
	}
	select {
	case f.blocks <- recs:
	case <-f.quit:
	}
}

// end says the replay is over: reads past the last record return none.
func (f *feed) end() { close(f.blocks) }

// stop says the reader is done: the replay no longer waits for it.
func (f *feed) stop() { f.once.Do(func() { close(f.quit) }) }

// read implements Records for reads in increasing index order.
func (f *feed) read(from, to uint64, max int) ([]record.Record, error) {
	for len(f.buf) == 0 || f.buf[len(f.buf)-1].Index+1 < to {
		recs, ok := <-f.blocks
		if !ok {
			break
		}
		f.buf = append(f.buf, recs...)
	}
	k := 0
	for k < len(f.buf) && f.buf[k].Index < from {
		k++
	}
	f.buf = f.buf[k:]
	n := 0
	for n < len(f.buf) && f.buf[n].Index < to && (max <= 0 || n < max) {
		n++
	}
	out := f.buf[:n:n]
	f.buf = f.buf[n:]
	return out, nil
}

// streamProjection compares the projection with the records a replay
// feeds as it commits them; size waits for the replay's end and returns
// how many records it produced.
func streamProjection(ctx context.Context, proj Scanner, f *feed, open func([]record.Record) []record.Record, size func() uint64, batch int) (*Diff, uint64, error) {
	defer f.stop()
	return projection(ctx, proj, opened(f.read, open), math.MaxUint64, size, batch)
}
