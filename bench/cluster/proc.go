package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/measure"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports in practice).
const clockTicks = 100

// procUsage is what /proc says of one process.
type procUsage struct {
	CPU     time.Duration // utime + stime so far
	PeakRSS uint64        // VmHWM, bytes
}

// readUsage reads a process's CPU time and peak RSS; fields it cannot read
// stay zero.
func readUsage(pid int) procUsage {
	var u procUsage
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The command name (field 2) is in parentheses and may hold
		// spaces; utime and stime are fields 14 and 15.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			f := strings.Fields(s[i+1:]) // f[0] is field 3
			if len(f) > 12 {
				ut, _ := strconv.ParseUint(f[11], 10, 64)
				st, _ := strconv.ParseUint(f[12], 10, 64)
				u.CPU = time.Duration(ut+st) * time.Second / clockTicks
			}
		}
	}
	u.PeakRSS = measure.PeakRSS(fmt.Sprintf("/proc/%d/status", pid))
	return u
}

// perfRecorder samples one process's stacks with `perf record` (the node
// has no pprof endpoint; Go keeps frame pointers, so perf unwinds its
// stacks and resolves its symbols).
type perfRecorder struct {
	cmd  *exec.Cmd
	done chan error
	out  string
}

// startPerf starts `perf record -g` on pid, writing to path.
func startPerf(path string, pid int) (*perfRecorder, error) {
	bin, err := exec.LookPath("perf")
	if err != nil {
		return nil, fmt.Errorf("-perf needs the perf tool: %w", err)
	}
	cmd := exec.Command(bin, "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", strconv.Itoa(pid), "-o", path)
	logf, err := os.Create(path + ".log")
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start perf: %w", err)
	}
	p := &perfRecorder{cmd: cmd, done: make(chan error, 1), out: path}
	go func() { p.done <- cmd.Wait() }()
	time.Sleep(200 * time.Millisecond) // let it attach before the timed part starts
	return p, nil
}

// stop ends the recording (SIGINT, as perf expects) and waits for perf to
// write its file.
func (p *perfRecorder) stop() error {
	if p == nil {
		return nil
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) { // perf exits non-zero after SIGINT on some versions
			return fmt.Errorf("perf: %w", err)
		}
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("perf did not finish writing within 60 s; killed")
	}
	if st, err := os.Stat(p.out); err != nil || st.Size() == 0 {
		return fmt.Errorf("perf wrote no profile to %s (see %s.log)", p.out, p.out)
	}
	return nil
}
