package node

import (
	"bytes"
	"testing"
)

// TestShutdownQuiet: the logger drops CometBFT's clean-stop error line and
// passes every other line through unchanged.
func TestShutdownQuiet(t *testing.T) {
	var b bytes.Buffer
	q := shutdownQuiet{&b}
	for _, line := range []string{
		"E[2026-11-26|17:21:32.979] Stopped accept routine, as transport is closed module=p2p numPeers=0\n",
		"E[2026-11-26|17:21:33.000] Connection failed @ sendRoutine module=p2p\n",
	} {
		if n, err := q.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	if got := b.String(); got != "E[2026-11-26|17:21:33.000] Connection failed @ sendRoutine module=p2p\n" {
		t.Fatalf("logged %q", got)
	}
}
