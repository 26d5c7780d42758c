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
	"syscall"
	"time"
)

// processCPU is the user+system CPU time this process has used so far, or
// 0 when getrusage fails.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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

// profiler writes a CPU profile, and optionally mutex and allocation
// profiles, of one run. A nil *profiler does nothing.
type profiler struct {
	cpuPath, mutexPath, memPath string
	cpu                         *os.File
}

func (p *profiler) start() error {
	if p == nil {
		return nil
	}
	if p.memPath != "" {
		runtime.GC()
		runtime.MemProfileRate = 64 << 10 // finer than the default 512 KiB
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
	if err := p.writeMem(); err != nil {
		return err
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

// writeMem writes the allocation profile (alloc_space covers what was
// allocated since start, as the rate was raised there; earlier allocations
// are sampled at the default rate).
func (p *profiler) writeMem() error {
	if p.memPath == "" {
		return nil
	}
	runtime.GC() // settle the profile
	f, err := os.Create(p.memPath)
	if err != nil {
		return fmt.Errorf("create allocation profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("write allocation profile: %w", err)
	}
	return nil
}
