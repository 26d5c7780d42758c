package ledger

import (
	"fmt"
)

// prefixTxResult keys, by transaction hash, where each delivered
// transaction sits in the chain and what became of it. It is meta (not
// hashed): it repeats the block's ABCI results, which CometBFT's tx index
// used to keep, in the same durable batch as the block's state, so that
// it holds exactly the committed heights (docs/operations.md).
var prefixTxResult = []byte("meta/txres/")

func txResultKey(txHash []byte) []byte {
	return append(append([]byte(nil), prefixTxResult...), txHash...)
}

// storedTxResult is the stored form of a TxOutcome.
type storedTxResult struct {
	Height int64  `cbor:"1,keyasint"`
	Index  uint32 `cbor:"2,keyasint"` // position in the block's transactions
	Code   uint32 `cbor:"3,keyasint"`
	Log    string `cbor:"4,keyasint,omitempty"`
	Data   []byte `cbor:"5,keyasint,omitempty"`
}

// TxOutcome is a committed transaction's place in the chain and its result
// (the ABCI ExecTxResult's code, log and data).
type TxOutcome struct {
	Height int64
	Index  int // position in the block's transactions
	Code   uint32
	Log    string
	Data   []byte
}

// TxOutcome returns the outcome of the committed transaction with hash
// txHash; ok is false when no committed block carried it (or it was
// committed before the ledger kept outcomes). A transaction committed more
// than once (the same bytes in a later block, always rejected there) keeps
// its first successful outcome, else its latest one, as CometBFT's tx
// index did.
func (a *App) TxOutcome(txHash []byte) (out TxOutcome, ok bool, err error) {
	v, err := a.kv.Get(txResultKey(txHash))
	if err != nil {
		return TxOutcome{}, false, fmt.Errorf("read outcome of transaction %X: %w", txHash, err)
	}
	if v == nil {
		return TxOutcome{}, false, nil
	}
	var s storedTxResult
	if err := cborDec.Unmarshal(v, &s); err != nil {
		return TxOutcome{}, false, fmt.Errorf("decode outcome of transaction %X: %w", txHash, err)
	}
	return TxOutcome{Height: s.Height, Index: int(s.Index), Code: s.Code, Log: s.Log, Data: s.Data}, true, nil
}

// txResultPairs are the meta writes that record the outcome of each of the
// block's transactions. A failed result never replaces a successful one of
// the same hash, from this block or a committed one.
func (b *block) txResultPairs() ([]Pair, error) {
	pairs := make([]Pair, 0, len(b.txs))
	okHere := map[string]bool{}
	for i, t := range b.txs {
		if t.Code != CodeOK {
			if okHere[string(t.Hash)] {
				continue
			}
			prev, ok, err := b.a.TxOutcome(t.Hash)
			if err != nil {
				return nil, err
			}
			if ok && prev.Code == CodeOK {
				continue
			}
		} else {
			okHere[string(t.Hash)] = true
		}
		v := mustEncode(storedTxResult{Height: b.height, Index: uint32(i), Code: t.Code, Log: t.Log, Data: t.Data})
		pairs = append(pairs, Pair{txResultKey(t.Hash), v})
	}
	return pairs, nil
}
