package node

import (
	"context"
	"time"

	protomem "github.com/cometbft/cometbft/api/cometbft/mempool/v1"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"
)

// RelayAfterHeights is how many blocks a transaction received from a peer
// waits in the mempool, uncommitted, before a node passes it on to its
// other peers. CometBFT's mempool floods: every node sends every
// transaction to every peer that did not send it, so in a network where
// each member is connected to every other (Phalanx's persistent peers)
// each replica receives each transaction once from its author's node and
// once more from every other replica, and sends it on to them; a 1,000-object
// transaction is about 550 KB, encrypted, framed, hashed and copied on
// each of those hops. With the delay the author's node sends a
// transaction to its peers at once and the replicas pass on only what is
// still waiting eight blocks later, which is what a member that is not
// connected to the author needs: it reaches every member, a hop per eight
// blocks at worst, while the members connected to the author propose it.
// Two blocks was too few: under batched load a transaction often waits
// two to four blocks, and most were still relayed (docs/benchmarks.md,
// "Session 7"; docs/internals.md, "Mempool gossip").
const RelayAfterHeights = 8

// relayTick is how often a peer's gossip routine looks for held
// transactions that are due; sweepEvery how often it walks the mempool
// to drop held transactions that were committed meanwhile.
const (
	relayTick  = 200 * time.Millisecond
	sweepEvery = time.Second
)

// gossipReactor is CometBFT's mempool reactor (receiving, channels, sync
// state) with its own broadcast routine per peer: transactions this node
// admitted from its own clients go to each peer at once, as CometBFT's
// do; transactions received from a peer are held until RelayAfterHeights
// blocks have passed and sent only if still in the mempool.
type gossipReactor struct {
	*mempool.Reactor
	conf   *cfg.MempoolConfig
	mp     *mempool.CListMempool
	height func() int64 // latest committed height
}

// withGossipReactor is the node option that puts a gossipReactor in place
// of CometBFT's mempool reactor. It keeps CometBFT's reactor inside, so the
// node's catch-up (which enables the reactor's transactions once synced)
// and its receive path are unchanged. Any other mempool type is left alone.
func withGossipReactor(conf *cfg.MempoolConfig) nm.Option {
	return func(n *nm.Node) {
		mp, ok := n.Mempool().(*mempool.CListMempool)
		if !ok {
			return
		}
		orig, ok := n.MempoolReactor().(*mempool.Reactor)
		if !ok {
			return
		}
		bs := n.BlockStore()
		r := &gossipReactor{Reactor: orig, conf: conf, mp: mp, height: bs.Height}
		nm.CustomReactors(map[string]p2p.Reactor{"MEMPOOL": r})(n)
	}
}

// AddPeer starts the peer's broadcast routine (p2p.Reactor).
func (r *gossipReactor) AddPeer(peer p2p.Peer) {
	if r.conf.Broadcast {
		go r.broadcast(peer)
	}
}

// heldTx is a transaction received from another peer, not yet sent on.
type heldTx struct {
	entry mempool.Entry
	due   int64 // the committed height from which it may be sent
}

// heldSet is one peer's held transactions in mempool order, with an index
// so that holding one again (the mempool's iterator starts again from the
// front when its current entry is removed) costs a map look-up.
type heldSet struct {
	list []heldTx
	in   map[mempool.Entry]bool
}

// hold adds entry unless it is held already.
func (s *heldSet) hold(entry mempool.Entry) {
	if s.in == nil {
		s.in = map[mempool.Entry]bool{}
	}
	if s.in[entry] {
		return
	}
	s.in[entry] = true
	s.list = append(s.list, heldTx{entry: entry, due: entry.Height() + RelayAfterHeights})
}

// anyDue reports whether some held transaction may be sent at height h.
func (s *heldSet) anyDue(h int64) bool {
	for _, t := range s.list {
		if h >= t.due {
			return true
		}
	}
	return false
}

// broadcast sends the mempool's transactions to one peer in mempool order
// until the peer or the reactor stops.
func (r *gossipReactor) broadcast(peer p2p.Peer) {
	for r.WaitSync() { // catching up: the reactor takes no transactions yet
		select {
		case <-time.After(mempool.PeerCatchupSleepIntervalMS * time.Millisecond):
		case <-peer.Quit():
			return
		case <-r.Quit():
			return
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-peer.Quit():
		case <-r.Quit():
		case <-ctx.Done():
		}
		cancel()
	}()
	iter := r.mp.NewIterator(ctx)
	next := iter.WaitNextCh()
	tick := time.NewTicker(relayTick)
	defer tick.Stop()
	var held heldSet
	lastSweep := time.Now()
	for {
		if !r.IsRunning() || !peer.IsRunning() || ctx.Err() != nil {
			return
		}
		select {
		case entry := <-next:
			next = iter.WaitNextCh()
			if entry == nil || entry.IsSender(peer.ID()) {
				continue
			}
			if r.fromPeer(entry) {
				held.hold(entry)
				continue
			}
			if !r.send(ctx, peer, entry) {
				return
			}
		case now := <-tick.C:
			// Walk the mempool when something is due, and once a second
			// anyway to let go of what was committed.
			if len(held.in) == 0 || (!held.anyDue(r.height()) && now.Sub(lastSweep) < sweepEvery) {
				continue
			}
			lastSweep = now
			if !r.relayDue(ctx, peer, &held) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// fromPeer reports whether the transaction came from a connected peer
// rather than from this node's own clients.
func (r *gossipReactor) fromPeer(entry mempool.Entry) bool {
	from := false
	r.Switch.Peers().ForEach(func(p p2p.Peer) {
		from = from || entry.IsSender(p.ID())
	})
	return from
}

// relayDue drops the held transactions that left the mempool (committed,
// or dropped by a recheck), so a held set does not keep a committed
// transaction's bytes alive, and sends those whose time has come. It
// returns false when the peer stopped.
func (r *gossipReactor) relayDue(ctx context.Context, peer p2p.Peer, held *heldSet) bool {
	h := r.height()
	live := r.entries()
	rest := held.list[:0]
	for _, t := range held.list {
		switch {
		case !live[t.entry] || t.entry.IsSender(peer.ID()):
		case h < t.due:
			rest = append(rest, t)
		default:
			if !r.send(ctx, peer, t.entry) {
				return false
			}
		}
	}
	clear(held.list[len(rest):])
	held.list = rest
	// What was sent stays in the index while it is in the mempool, so
	// the iterator's restart cannot hold it again.
	for e := range held.in {
		if !live[e] {
			delete(held.in, e)
		}
	}
	return true
}

// entries is the set of transactions now in the mempool.
func (r *gossipReactor) entries() map[mempool.Entry]bool {
	live := make(map[mempool.Entry]bool, r.mp.Size())
	for e := r.mp.TxsFront(); e != nil; e = e.Next() {
		if entry, ok := e.Value.(mempool.Entry); ok {
			live[entry] = true
		}
	}
	return live
}

// send sends one transaction once the peer has caught up to within a
// block of it, retrying while the peer's queue is full, as CometBFT's
// routine does. It returns false when the peer or the reactor stopped.
func (r *gossipReactor) send(ctx context.Context, peer p2p.Peer, entry mempool.Entry) bool {
	for {
		// A peer more than a block behind would only have to recheck it.
		ps, ok := peer.Get(types.PeerStateKey).(mempool.PeerState)
		if ok && ps.GetHeight()+1 >= entry.Height() {
			break
		}
		if !r.pause(ctx) {
			return false
		}
	}
	for !peer.Send(p2p.Envelope{ChannelID: mempool.MempoolChannel, Message: &protomem.Txs{Txs: [][]byte{entry.Tx()}}}) {
		if !r.pause(ctx) {
			return false
		}
	}
	return true
}

// pause waits CometBFT's catch-up interval; false if ctx ended first.
func (r *gossipReactor) pause(ctx context.Context) bool {
	select {
	case <-time.After(mempool.PeerCatchupSleepIntervalMS * time.Millisecond):
		return true
	case <-ctx.Done():
		return false
	}
}
