package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
)

// members is the size of the network: the issue asks for four.
const members = 4

// stopTimeout bounds how long the nodes get to stop on SIGINT before they
// are killed.
const stopTimeout = 30 * time.Second

// node is one member's `phalanx up` process.
type node struct {
	id      string // member1 …
	dir     string // data directory
	logPath string // the process's stdout and stderr
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error         // its exit status, once done is closed
	cli     *client.Client
}

// pid is the node's process id.
func (n *node) pid() int { return n.cmd.Process.Pid }

// exited reports whether the process has ended.
func (n *node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// logTail is the end of the node's output, for error messages.
func (n *node) logTail() string {
	b, _ := os.ReadFile(n.logPath)
	s := strings.TrimSpace(string(b))
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}

// cluster is a fresh four-member testnet, each member a separate process.
type cluster struct {
	root  string // parent of every member directory and log
	nodes []*node
}

// startCluster creates a testnet under tmp with daemon.InitTestnet, runs
// every member with `bin up --dir D --no-sample --api-listen 127.0.0.1:0`
// and returns once all four have left block sync. On error every process
// it started is stopped and the directory removed.
func startCluster(ctx context.Context, bin, tmp string, hc *http.Client) (_ *cluster, err error) {
	root, err := os.MkdirTemp(tmp, "phalanx-cluster-")
	if err != nil {
		return nil, fmt.Errorf("create testnet directory: %w", err)
	}
	c := &cluster{root: root}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.stop())
		}
	}()
	dirs, err := daemon.InitTestnet(root, members, daemon.TestnetOptions{})
	if err != nil {
		return c, fmt.Errorf("init testnet: %w", err)
	}
	for i, dir := range dirs {
		n, err := startNode(bin, "member"+strconv.Itoa(i+1), dir, filepath.Join(root, "member"+strconv.Itoa(i+1)+".log"))
		if err != nil {
			return c, err
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		if err := n.waitReady(ctx, 60*time.Second, hc); err != nil {
			return c, err
		}
	}
	for _, n := range c.nodes {
		if err := n.waitCaughtUp(ctx, 60*time.Second); err != nil {
			return c, err
		}
	}
	return c, nil
}

// startNode starts `phalanx up` on dir with its output going to logPath.
func startNode(bin, id, dir, logPath string) (*node, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own copy
	cmd := exec.Command(bin, "up", "--dir", dir, "--no-sample", "--api-listen", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	n := &node{id: id, dir: dir, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		n.waitErr = cmd.Wait()
		close(n.done)
	}()
	return n, nil
}

// waitReady waits for the node to print that it serves, then makes a
// client from DIR/api.url and DIR/admin.token.
func (n *node) waitReady(ctx context.Context, limit time.Duration, hc *http.Client) error {
	deadline := time.Now().Add(limit)
	for {
		b, _ := os.ReadFile(n.logPath)
		if strings.Contains(string(b), "Ctrl-C to stop") {
			break
		}
		if n.exited() {
			return fmt.Errorf("%s exited during start-up (%v):\n%s", n.id, n.waitErr, n.logTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not up after %v:\n%s", n.id, limit, n.logTail())
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	url, err := os.ReadFile(filepath.Join(n.dir, daemon.APIURLFile))
	if err != nil {
		return fmt.Errorf("%s: %w", n.id, err)
	}
	tok, err := os.ReadFile(filepath.Join(n.dir, daemon.AdminTokenFile))
	if err != nil {
		return fmt.Errorf("%s: %w", n.id, err)
	}
	n.cli, err = client.New(strings.TrimSpace(string(url)), strings.TrimSpace(string(tok)), client.WithHTTPClient(hc))
	return err
}

// waitCaughtUp waits until the node has left block sync and joined
// consensus (before that its mempool takes no transactions) and has
// committed a block.
func (n *node) waitCaughtUp(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		st, err := n.status(ctx)
		if err == nil && !st.CatchingUp && st.Height >= 1 {
			return nil
		}
		if n.exited() {
			return fmt.Errorf("%s exited (%v):\n%s", n.id, n.waitErr, n.logTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not caught up after %v (last status %+v, %v)", n.id, limit, st, err)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// status is GET /v1/status, bounded to 10 s.
func (n *node) status(ctx context.Context) (api.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return n.cli.Status(ctx)
}

// statuses asks every node for its status.
func (c *cluster) statuses(ctx context.Context) ([]api.Status, error) {
	out := make([]api.Status, len(c.nodes))
	for i, n := range c.nodes {
		st, err := n.status(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: status: %w", n.id, err)
		}
		out[i] = st
	}
	return out, nil
}

// agree waits (up to limit) until every node reports the same height and
// fails unless they also report the same app hash and record count there.
// Empty blocks keep the height moving, so it retries until one poll
// catches all four at one height.
func (c *cluster) agree(ctx context.Context, limit time.Duration) (api.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		sts, err := c.statuses(ctx)
		if err != nil {
			return api.Status{}, err
		}
		same := true
		for _, st := range sts[1:] {
			same = same && st.Height == sts[0].Height
		}
		if same {
			for i, st := range sts[1:] {
				if st.AppHash != sts[0].AppHash || st.Records != sts[0].Records {
					return sts[0], fmt.Errorf("%s and %s diverge at height %d: app hash %.12s… vs %.12s…, records %d vs %d",
						c.nodes[0].id, c.nodes[i+1].id, st.Height, sts[0].AppHash, st.AppHash, sts[0].Records, st.Records)
				}
			}
			return sts[0], nil
		}
		if time.Now().After(deadline) {
			return api.Status{}, fmt.Errorf("members never reported one height within %v", limit)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return api.Status{}, err
		}
	}
}

// usage reads every node's CPU time so far and peak RSS.
func (c *cluster) usage() []procUsage {
	out := make([]procUsage, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = readUsage(n.pid())
	}
	return out
}

// stop sends SIGINT to every node, waits up to stopTimeout for all of
// them, kills (by pid) any still running, and removes the testnet
// directory. It is safe to call on a partly started cluster.
func (c *cluster) stop() error {
	for _, n := range c.nodes {
		if !n.exited() {
			n.cmd.Process.Signal(os.Interrupt)
		}
	}
	deadline := time.After(stopTimeout)
	var errs []error
	for _, n := range c.nodes {
		select {
		case <-n.done:
		case <-deadline:
		}
	}
	for _, n := range c.nodes {
		if !n.exited() {
			errs = append(errs, fmt.Errorf("%s (pid %d) did not stop within %v of SIGINT; killed", n.id, n.pid(), stopTimeout))
			syscall.Kill(n.pid(), syscall.SIGKILL)
			select {
			case <-n.done:
			case <-time.After(10 * time.Second):
				errs = append(errs, fmt.Errorf("%s (pid %d) still runs after SIGKILL", n.id, n.pid()))
			}
		}
	}
	if err := os.RemoveAll(c.root); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
