package measure

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcessCPUGrows: spinning on the CPU shows in ProcessCPU.
func TestProcessCPUGrows(t *testing.T) {
	c0 := ProcessCPU()
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
	}
	if d := ProcessCPU() - c0; d < 10*time.Millisecond {
		t.Fatalf("30 ms of spinning counted as %s of CPU", d)
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
