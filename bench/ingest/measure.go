package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
)

// peakRSS is the process's peak resident set size (VmHWM) in bytes, or 0
// when /proc/self/status cannot tell.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// canResetPeak records whether resetPeakRSS works on this kernel.
var canResetPeak = true

// resetPeakRSS returns freed memory to the OS and resets VmHWM to the
// current RSS (Linux: "5" > /proc/self/clear_refs), so that each run's peak
// is its own. Where that is refused, peaks stay cumulative.
func resetPeakRSS() {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		canResetPeak = false
	}
}

// profiler writes a CPU profile, and optionally a mutex profile, of one run.
// A nil *profiler does nothing.
type profiler struct {
	cpuPath, mutexPath string
	cpu                *os.File
}

func (p *profiler) start() error {
	if p == nil {
		return nil
	}
	if p.mutexPath != "" {
		runtime.SetMutexProfileFraction(5)
	}
	if p.cpuPath == "" {
		return nil
	}
	f, err := os.Create(p.cpuPath)
	if err != nil {
		return fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("start CPU profile: %w", err)
	}
	p.cpu = f
	return nil
}

func (p *profiler) stop() error {
	if p == nil {
		return nil
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			return fmt.Errorf("write CPU profile: %w", err)
		}
		p.cpu = nil
	}
	if p.mutexPath == "" {
		return nil
	}
	runtime.SetMutexProfileFraction(0)
	f, err := os.Create(p.mutexPath)
	if err != nil {
		return fmt.Errorf("create mutex profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("mutex").WriteTo(f, 0); err != nil {
		return fmt.Errorf("write mutex profile: %w", err)
	}
	return nil
}
