package measure

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcessCPUGrows: spinning on the CPU shows in ProcessCPU.
func TestProcessCPUGrows(t *testing.T) {
	// Spinning until 20 ms of CPU are counted, not for a wall time: on a
	// loaded machine 30 ms of wall clock can be 8 ms of CPU. A counter that
	// does not grow fails at the bound.
	c0 := ProcessCPU()
	for bound := time.Now().Add(10 * time.Second); ProcessCPU()-c0 < 20*time.Millisecond; {
		if time.Now().After(bound) {
			t.Fatalf("10 s of spinning counted as %s of CPU", ProcessCPU()-c0)
		}
	}
}

// TestPeakRSS reads this process's peak and a status file's VmHWM line.
func TestPeakRSS(t *testing.T) {
	if PeakRSS("/proc/self/status") == 0 {
		t.Fatal("no peak RSS for this process")
	}
	p := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(p, []byte("Name:\tx\nVmHWM:\t  2048 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := PeakRSS(p); got != 2048<<10 {
		t.Fatalf("PeakRSS = %d, want %d", got, 2048<<10)
	}
	if got := PeakRSS(filepath.Join(t.TempDir(), "missing")); got != 0 {
		t.Fatalf("PeakRSS of a missing file = %d", got)
	}
}

// TestStartCPUProfile writes a non-empty profile, and an empty path none.
func TestStartCPUProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := StartCPUProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		t.Fatalf("profile: %v %v", fi, err)
	}
	stop, err = StartCPUProfile("")
	if err != nil || stop() != nil {
		t.Fatal("an empty path must profile nothing")
	}
}
