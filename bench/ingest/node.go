package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/daemon"
)

// benchNode is a fresh single-validator node in its own temporary data
// directory, as `phalanx init` + `phalanx node` would run it, minus the
// HTTP server: the benchmark drives intake and the projection directly.
type benchNode struct {
	*daemon.Daemon
	dir string
}

// startNode initialises a data directory under tmp and opens a node on it,
// waiting until consensus has produced its first block.
func startNode(ctx context.Context, tmp string) (*benchNode, error) {
	dir, err := os.MkdirTemp(tmp, "phalanx-bench-")
	if err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := daemon.Init(dir, daemon.InitOptions{Member: "bench", APIListen: "127.0.0.1:0"}); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("init node: %w", err)
	}
	d, err := daemon.Open(ctx, dir, daemon.Options{CometLog: io.Discard})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open node: %w", err)
	}
	n := &benchNode{Daemon: d, dir: dir}
	if err := n.waitFirstBlock(ctx, 30*time.Second); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// waitFirstBlock waits until the ledger has committed height 1, so that
// start-up is not part of any measurement.
func (n *benchNode) waitFirstBlock(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for n.Ledger().State().Height < 1 {
		if time.Now().After(deadline) {
			return fmt.Errorf("node made no block within %v", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// Close stops the node and deletes its data directory.
func (n *benchNode) Close() error {
	return errors.Join(n.Daemon.Close(), os.RemoveAll(n.dir))
}
