package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// parseItems is what a node's intake primes for a transaction of items:
// stix.Parse of each item it accepts (nil for the others).
func parseItems(items []string) []*stix.Object {
	out := make([]*stix.Object, len(items))
	for i, it := range items {
		out[i], _ = stix.Parse([]byte(it))
	}
	return out
}

// TestPrimedSameOutcome: for valid publishes and for each way a publish
// is rejected, in both transaction versions, CheckTx and FinalizeBlock give exactly the same verdicts,
// messages and app hash on a node primed with the transaction's parse as
// on one that parses it.
func TestPrimedSameOutcome(t *testing.T) {
	alice := newMember("alice")
	const ts = "2026-01-01T00:00:00.000Z"
	amber := strings.Replace(indicator(9, ts), `"name"`, `"object_marking_refs":["`+tlp.AmberV1ID+`"],"name"`, 1)
	big := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":"note--00000000-0000-4000-8000-000000000001","created":"%s","modified":"%s","content":"%s","object_refs":["indicator--00000001-0000-4000-8000-000000000000"]}`, ts, ts, strings.Repeat("x", 1<<20))
	tooMany := make([]string, 10001)
	for i := range tooMany {
		tooMany[i] = indicator(1000+i, ts)
	}
	cases := []struct {
		name  string
		items []string
		code  uint32
	}{
		{"valid", []string{indicator(2, ts), indicator(3, ts), indicator(1, "2026-02-01T00:00:00.000Z")}, CodeOK},
		{"invalid stix", []string{indicator(2, ts), `{"type":"indicator","id":"indicator--x"}`}, CodeInvalidSTIX},
		{"not compact", []string{indicator(2, ts), " " + indicator(3, ts)}, CodeInvalidSTIX},
		{"must seal", []string{indicator(2, ts), amber}, CodeMustSeal},
		{"twice in tx", []string{indicator(2, ts), indicator(2, ts)}, CodeDuplicate},
		{"already on the ledger", []string{indicator(1, ts)}, CodeDuplicate},
		{"object too large", []string{big}, CodeTooLarge},
		{"too many objects", tooMany, CodeTooLarge},
		{"empty", nil, CodeEmpty},
	}
	for _, c := range cases {
		for _, v := range []int{1, 2} {
			if v == 2 && len(c.items) == 0 {
				continue // a version 2 transaction cannot be empty
			}
			t.Run(fmt.Sprintf("%s v%d", c.name, v), func(t *testing.T) {
				samePrimedOutcome(t, alice, v, c.items, c.code)
			})
		}
	}
}

func samePrimedOutcome(t *testing.T, alice member, version int, items []string, code uint32) {
	const ts = "2026-01-01T00:00:00.000Z"
	var raw []byte
	if version == 1 {
		raw = publishTx(t, alice, testChain, 2, items...)
	} else {
		raw = publishV2(t, alice, 2, items...)
	}
	var verdicts [2]string
	for i, prime := range []bool{false, true} {
		a, _ := newApp(t, alice)
		finalize(t, a, 1, publishV2(t, alice, 1, indicator(1, ts)))
		if prime {
			a.Prime(sha256.Sum256(raw), parseItems(items))
		}
		chk, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatal(err)
		}
		res := finalize(t, a, 2, raw)
		r := res.TxResults[0]
		verdicts[i] = fmt.Sprintf("check %d %q; block %d %q %X; records %d", chk.Code, chk.Log, r.Code, r.Log, res.AppHash, a.State().Records)
		if chk.Code != code || r.Code != code {
			t.Fatalf("primed=%v: %s; want code %d (%s)", prime, verdicts[i], code, CodeName(code))
		}
	}
	if verdicts[0] != verdicts[1] {
		t.Fatalf("parsed: %s\nprimed: %s", verdicts[0], verdicts[1])
	}
}

// TestPrimedFollowsParams: objects primed and accepted by CheckTx under
// the old limits are still refused by FinalizeBlock after a vote lowered
// them, as on a replica that never saw the transaction.
func TestPrimedFollowsParams(t *testing.T) {
	c := newCommunity(t, 1, "alice")
	p := DefaultParams()
	p.VotingPeriod, p.MaxObjectBytes = 1, 256 // an indicator() is longer
	propose := c.sign("alice", tx.TypePropose, Propose{Kind: KindParams, Params: &p})
	vote := c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes})
	items := []string{indicator(1, "2026-01-01T00:00:00.000Z")}
	pub := c.signV2("alice", tx.TypePublish, []byte(items[0]))
	c.apps[0].Prime(sha256.Sum256(pub), parseItems(items))
	if res, err := c.apps[0].CheckTx(context.Background(), &abci.CheckTxRequest{Tx: pub, Type: abci.CHECK_TX_TYPE_CHECK}); err != nil || res.Code != 0 {
		t.Fatalf("CheckTx: %+v %v", res, err)
	}
	c.block(propose)
	c.block(vote)
	res := c.block(pub) // block() fails if the replicas disagree
	c.expect(res, 0, CodeTooLarge, "the limit is 256")
}

// TestPrimedObjectsAreUsed: the ledger does take a primed object in place
// of its own parse (shown with one that breaks Prime's contract: same Raw,
// forged markings), and only for an item whose bytes its Raw matches; an
// entry is used once.
func TestPrimedObjectsAreUsed(t *testing.T) {
	alice := newMember("alice")
	items := []string{indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")}
	raw := publishV2(t, alice, 1, items...)
	forged := parseItems(items)
	red := *forged[1]
	red.Markings = []string{tlp.RedID}
	forged[1] = &red
	check := func(a *App) *abci.CheckTxResponse {
		t.Helper()
		res, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	a, _ := newApp(t, alice)
	a.Prime(sha256.Sum256(raw), forged)
	if res := check(a); res.Code != CodeMustSeal || !strings.Contains(res.Log, "object 1") {
		t.Fatalf("CheckTx with a forged primed object: %d %q; want must_seal for object 1 (the primed object unused?)", res.Code, res.Log)
	}
	if n, size := a.primed.fifo.len(); n != 0 || size != 0 {
		t.Fatalf("primed entry kept after use: %d entries, %d objects", n, size)
	}

	b, _ := newApp(t, alice)
	other := red
	other.Raw = []byte(indicator(3, "2026-01-01T00:00:00.000Z")) // not this item's bytes
	b.Prime(sha256.Sum256(raw), []*stix.Object{forged[0], &other})
	if res := check(b); res.Code != CodeOK {
		t.Fatalf("CheckTx with a primed object of other bytes: %d %q; want it parsed and accepted", res.Code, res.Log)
	}
}

// TestPrimeCacheBounded: the prime cache holds at most its number of
// objects, dropping the oldest entries.
func TestPrimeCacheBounded(t *testing.T) {
	c := newPrimeCache(5)
	objs := parseItems([]string{indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")})
	for i := range 4 {
		c.put([32]byte{byte(i)}, objs)
	}
	n, size := c.fifo.len()
	if size != 4 || n != 2 || c.take([32]byte{0}) != nil || c.take([32]byte{1}) != nil || c.take([32]byte{3}) == nil {
		t.Fatalf("cache after 4 puts of 2 objects, bound 5: size %d, %d entries", size, n)
	}
	c.put([32]byte{9}, make([]*stix.Object, 6))
	if c.take([32]byte{9}) != nil {
		t.Fatal("an entry above the bound was kept")
	}
}
