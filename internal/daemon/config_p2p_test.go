package daemon

import (
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/node"
)

// TestP2PRateConfig: p2p_rate reaches the consensus node; 0 leaves the
// default; a rate below 1 MiB/s, or negative, is refused with the setting
// named.
func TestP2PRateConfig(t *testing.T) {
	c := Config{Member: "cert-a", ChainID: "phalanx-test", APIListen: "127.0.0.1:0", TimeoutCommit: "50ms", EmptyBlocks: "2s"}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.nodeConfig(t.TempDir()).P2PRate; got != 0 {
		t.Fatalf("unset p2p_rate gave the node %d, want 0 (its default)", got)
	}
	c.P2PRate = 50 << 20
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.nodeConfig(t.TempDir()).P2PRate; got != 50<<20 {
		t.Fatalf("p2p_rate reached the node as %d", got)
	}
	for _, bad := range []int64{-1, node.MinP2PRate - 1, 5} {
		c.P2PRate = bad
		if err := c.validate(); err == nil || !strings.Contains(err.Error(), "p2p_rate") {
			t.Fatalf("p2p_rate %d: %v, want an error naming p2p_rate", bad, err)
		}
	}
}
