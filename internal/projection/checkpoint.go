package projection

import (
	"context"
	"database/sql"
	"fmt"
)

// checkpointer copies the write-ahead log back into the database file on
// its own goroutine and connection, so that Apply does not pay for
// checkpoints (page copies and fsyncs) on its own time. A PASSIVE
// checkpoint never blocks the writer or readers. The writer connection
// keeps a high wal_autocheckpoint as a backstop should this fall behind.
type checkpointer struct {
	db      *sql.DB
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{
		db:      db,
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go c.run()
	return c
}

// request asks for a checkpoint soon; it never blocks.
func (c *checkpointer) request() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.stopped)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
			// A failed checkpoint is retried on the next request, and the
			// writer's own autocheckpoint bounds the log meanwhile.
			_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// close stops the goroutine and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.stopped
	return c.db.Close()
}

// truncate copies the whole log into the database and truncates the log
// file to zero bytes, waiting for readers as the busy timeout allows: after
// a withdrawal no old page image stays in the log.
func (c *checkpointer) truncate(ctx context.Context) error {
	var busy, logPages, done int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: the log could not be truncated (readers busy)")
	}
	return nil
}
