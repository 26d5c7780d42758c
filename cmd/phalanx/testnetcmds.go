package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// How long `testnet up` waits for its members to start, and to stop.
const (
	testnetReadyTimeout = 90 * time.Second
	testnetStopTimeout  = 20 * time.Second
)

// readyLine is what `phalanx up` prints once its node serves the API.
const readyLine = "Ctrl-C to stop"

func newTestnetCmd(g *globals) *cobra.Command {
	var o daemon.TestnetOptions
	var votingPeriod int64
	cmd := &cobra.Command{
		Use:   "testnet (N | up)",
		Short: "Create an N-member network on this machine (testnet N), or run it (testnet up)",
		Long: `testnet N creates DIR/member1 … DIR/memberN: one data directory per member,
each a validator of one shared genesis, with its own 127.0.0.1 ports and the
others as peers. testnet up runs every member as a separate "phalanx up"
process, prints each one's API address and admin token, and stops them all
on Ctrl-C. Every member directory also works with any command's --dir.`,
		Example: "  phalanx testnet 4 --dir /tmp/net\n  phalanx testnet up --dir /tmp/net",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("dir") {
				return errors.New("testnet needs --dir DIR: the directory that holds the members' data directories")
			}
			if args[0] == "up" {
				for _, name := range []string{"chain-id", "sector", "region", "timeout-commit"} {
					if cmd.Flags().Changed(name) {
						return fmt.Errorf("--%s is for testnet N; testnet up takes only --dir", name)
					}
				}
				return runTestnet(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g.Dir)
			}
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return fmt.Errorf("testnet %q: want a number of members or \"up\"", args[0])
			}
			if votingPeriod != ledger.DefaultParams().VotingPeriod {
				p := ledger.DefaultParams()
				p.VotingPeriod = votingPeriod
				o.Params = &p
			}
			return initTestnet(cmd.OutOrStdout(), cmd.ErrOrStderr(), g.Dir, n, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ChainID, "chain-id", "", "chain id of the new network")
	f.StringSliceVar(&o.Sectors, "sector", nil, "sector of every member (repeatable)")
	f.StringSliceVar(&o.Regions, "region", nil, "region of every member (repeatable)")
	f.DurationVar(&o.TimeoutCommit, "timeout-commit", daemon.DefaultTestnetTimeoutCommit, "pause after each block")
	f.Int64Var(&votingPeriod, "voting-period", ledger.DefaultParams().VotingPeriod, "blocks a governance proposal stays open")
	return cmd
}

func initTestnet(out, errOut io.Writer, dir string, n int, o daemon.TestnetOptions) error {
	dirs, err := daemon.InitTestnet(dir, n, o)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		fmt.Fprintln(out, d)
	}
	fmt.Fprintf(errOut, "created a %d-member testnet; run it with: phalanx testnet up --dir %s\n", n, dir)
	return nil
}

// runTestnet starts every member of the testnet in dir as a `phalanx up`
// process, reports where each one serves, and stops them all when ctx
// ends (Ctrl-C). A member that exits on its own is reported and the
// others keep running.
func runTestnet(ctx context.Context, out, errOut io.Writer, dir string) error {
	dirs, err := daemon.TestnetMembers(dir)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the phalanx binary: %w", err)
	}
	log := &syncWriter{w: errOut}
	exited := make(chan *child, len(dirs))
	children, err := startChildren(exe, dirs, log, exited)
	if err == nil {
		err = waitReady(ctx, children, testnetReadyTimeout)
	}
	if err == nil {
		err = printTestnet(out, children)
	}
	if err == nil {
		err = superviseTestnet(ctx, log, children, exited)
	}
	if errors.Is(err, context.Canceled) {
		err = nil // Ctrl-C while the members were starting
	}
	return errors.Join(err, stopChildren(children, testnetStopTimeout))
}

// startChildren starts a `phalanx up` for each member directory. On an
// error it returns the children it did start, for the caller to stop.
func startChildren(exe string, dirs []string, log io.Writer, exited chan<- *child) ([]*child, error) {
	children := make([]*child, 0, len(dirs))
	for _, d := range dirs {
		c, err := startChild(exe, d, log, exited)
		if err != nil {
			return children, err
		}
		children = append(children, c)
	}
	return children, nil
}

// superviseTestnet reports members that exit on their own until ctx
// ends (it then returns nil) or none is left.
func superviseTestnet(ctx context.Context, log io.Writer, children []*child, exited <-chan *child) error {
	for running := len(children); running > 0; running-- {
		select {
		case <-ctx.Done():
			return nil
		case c := <-exited:
			if ctx.Err() != nil {
				return nil // Ctrl-C in a terminal reaches the members too
			}
			fmt.Fprintf(log, "%s: exited: %s\n", c.member, describeExit(c.err))
		}
	}
	return errors.New("every member of the testnet has exited")
}

func describeExit(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// printTestnet prints each member's id, API address and admin token.
func printTestnet(out io.Writer, children []*child) error {
	fmt.Fprintf(out, "testnet of %d members up\n", len(children))
	for _, c := range children {
		url, err := readTrimmed(filepath.Join(c.dir, daemon.APIURLFile))
		if err != nil {
			return err
		}
		token, err := readTrimmed(filepath.Join(c.dir, daemon.AdminTokenFile))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s  API %s  token %s  pid %d  dir %s\n", c.member, url, token, c.cmd.Process.Pid, c.dir)
	}
	fmt.Fprintln(out, readyLine)
	return nil
}

func readTrimmed(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// child is one member's `phalanx up` process.
type child struct {
	member string
	dir    string
	cmd    *exec.Cmd
	ready  chan struct{} // closed when it has printed readyLine
	done   chan struct{} // closed when it has exited; err is then set
	err    error
}

// startChild starts `phalanx up` on the member directory dir. Its output
// goes to log, each line prefixed with the member id; when it exits it is
// sent on exited.
func startChild(exe, dir string, log io.Writer, exited chan<- *child) (*child, error) {
	cfg, err := daemon.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	c := &child{member: cfg.Member, dir: dir, ready: make(chan struct{}), done: make(chan struct{})}
	c.cmd = exec.Command(exe, "up", "--dir", dir, "--no-sample")
	pw := &prefixWriter{w: log, prefix: c.member + ": ", watch: readyLine, seen: c.ready}
	c.cmd.Stdout, c.cmd.Stderr = pw, pw
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.member, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		pw.flush()
		close(c.done)
		exited <- c
	}()
	return c, nil
}

// waitReady waits until every child has printed readyLine, failing if
// one exits first, ctx ends or timeout passes.
func waitReady(ctx context.Context, children []*child, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, c := range children {
		select {
		case <-c.ready:
		case <-c.done:
			return fmt.Errorf("%s exited before it was up: %s", c.member, describeExit(c.err))
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to start: %w", c.member, context.Cause(ctx))
		}
	}
	return nil
}

// stopChildren interrupts every child still running, as Ctrl-C would,
// and waits up to timeout for them; it kills those still running then.
// It returns an error naming each of them that had to be killed or
// stopped with an error (those that exited before were reported then).
func stopChildren(children []*child, timeout time.Duration) error {
	var running []*child
	for _, c := range children {
		if !c.exited() {
			running = append(running, c)
			_ = c.cmd.Process.Signal(os.Interrupt)
		}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	expired := false
	var errs []error
	for _, c := range running {
		if !expired {
			select {
			case <-c.done:
			case <-timer.C:
				expired = true
			}
		}
		switch {
		case !c.exited():
			_ = c.cmd.Process.Kill()
			<-c.done
			errs = append(errs, fmt.Errorf("%s did not stop within %v and was killed", c.member, timeout))
		case c.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", c.member, c.err))
		}
	}
	return errors.Join(errs...)
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// syncWriter serialises writes of several children to one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter writes whole lines to w, each with prefix, and closes seen
// the first time a line equals watch. os/exec calls Write from one
// goroutine at a time when Stdout and Stderr are the same writer.
type prefixWriter struct {
	w      io.Writer
	prefix string
	watch  string
	seen   chan struct{}
	once   sync.Once
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.line(p.buf[:i])
		p.buf = p.buf[i+1:]
	}
}

func (p *prefixWriter) line(l []byte) {
	if string(bytes.TrimSpace(l)) == p.watch {
		p.once.Do(func() { close(p.seen) })
	}
	fmt.Fprintf(p.w, "%s%s\n", p.prefix, l)
}

// flush writes a last line without a newline; call it after the process
// has exited and its output is copied.
func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		p.line(p.buf)
		p.buf = nil
	}
}
