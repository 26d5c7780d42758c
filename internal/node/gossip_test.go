package node

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	"github.com/cometbft/cometbft/p2p"
)

// lineNet starts three nodes connected A–B–C (A and C are not peers of
// each other), running CometBFT's in-memory kvstore, with C the only
// validator: a transaction reaches a block only once it is in C's mempool.
func lineNet(t *testing.T) (a, b, c *Node) {
	t.Helper()
	root := t.TempDir()
	homes := make([]string, 3)
	ids := make([]string, 3)
	addrs := make([]string, 3)
	var valKey []byte
	for i := range homes {
		homes[i] = filepath.Join(root, string(rune('a'+i)), "comet")
		pk, id, err := InitHome(homes[i])
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		if i == 2 {
			valKey = pk
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		ln.Close()
	}
	genesis := time.Now().UTC()
	for _, h := range homes {
		if err := WriteGenesis(h, "line", genesis, []GenesisValidator{{Name: "c", PubKey: valKey, Power: 10}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	peer := func(i int) string { return ids[i] + "@" + addrs[i] }
	peers := []string{peer(1), peer(0) + "," + peer(2), peer(1)}
	nodes := make([]*Node, 3)
	for i := range nodes {
		n, err := Start(context.Background(), Config{Home: homes[i], P2PListen: "tcp://" + addrs[i], Peers: peers[i],
			TimeoutCommit: 100 * time.Millisecond, EmptyBlocks: time.Second, Log: io.Discard}, kvstore.NewInMemoryApplication())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Stop() })
		nodes[i] = n
	}
	return nodes[0], nodes[1], nodes[2]
}

// TestGossipRelaysToMembersNotConnectedToTheAuthor: a transaction handed
// to A reaches C, which is connected only to B, through B's delayed relay,
// and is committed by C, the only validator. Without the relay it would
// stay in A's and B's mempools for ever.
func TestGossipRelaysToMembersNotConnectedToTheAuthor(t *testing.T) {
	a, b, c := lineNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitPeers(ctx, t, b, 2)
	waitPeers(ctx, t, a, 1)
	for _, n := range []*Node{a, b, c} {
		waitSynced(ctx, t, n)
	}
	// B's mempool dates the transaction at least at this height, and
	// passes it on only after RelayAfterHeights more blocks; C can then
	// propose it in the block after.
	heldFrom := b.cmt.BlockStore().Height()
	res, err := a.Broadcast(ctx, []byte("relayed=yes"))
	if err != nil || res.Code != 0 {
		t.Fatalf("broadcast on A: %v %+v", err, res)
	}
	start := c.cmt.BlockStore().Height()
	for h := start + 1; ; h++ {
		blk := waitBlock(ctx, t, c, h)
		if len(blk) > 0 {
			if !bytes.Equal(blk[0], []byte("relayed=yes")) {
				t.Fatalf("height %d holds %q", h, blk[0])
			}
			if h <= heldFrom+RelayAfterHeights {
				t.Fatalf("committed at height %d, B at %d when it was sent: relayed without waiting %d blocks", h, heldFrom, RelayAfterHeights)
			}
			break
		}
	}
	if a.cmt.Switch().Peers().Has(p2p.ID(c.NodeID())) {
		t.Fatal("A connected to C directly: the test no longer shows relaying")
	}
}

// waitPeers waits until n has at least want peers.
func waitPeers(ctx context.Context, t *testing.T, n *Node, want int) {
	t.Helper()
	for n.cmt.Switch().Peers().Size() < want {
		if ctx.Err() != nil {
			t.Fatalf("%d peers, want %d", n.cmt.Switch().Peers().Size(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSynced waits until n has left block sync (its mempool takes
// transactions from then on).
func waitSynced(ctx context.Context, t *testing.T, n *Node) {
	t.Helper()
	for {
		st, err := n.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.SyncInfo.CatchingUp {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("still catching up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitBlock waits for the block at height h on n and returns its txs.
func waitBlock(ctx context.Context, t *testing.T, n *Node, h int64) [][]byte {
	t.Helper()
	for n.cmt.BlockStore().Height() < h {
		if ctx.Err() != nil {
			t.Fatalf("no block %d", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	blk, err := n.Block(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	txs := make([][]byte, len(blk.Txs))
	for i, tx := range blk.Txs {
		txs[i] = tx
	}
	return txs
}
