package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	"github.com/phalanx-ledger/phalanx/internal/measure"
)

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
	stopCPU                     func() error // ends the CPU profile
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
	stop, err := measure.StartCPUProfile(p.cpuPath)
	p.stopCPU = stop
	return err
}

func (p *profiler) stop() error {
	if p == nil {
		return nil
	}
	if p.stopCPU != nil {
		err := p.stopCPU()
		p.stopCPU = nil
		if err != nil {
			return err
		}
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
