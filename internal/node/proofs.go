package node

import (
	"bytes"
	"context"
	"fmt"
	"os"

	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
)

// BlockHeight is the height of the last block in the node's block store.
func (n *Node) BlockHeight() int64 { return n.cmt.BlockStore().Height() }

// SignedHeader returns the stored header of block height and the commit
// that signs it: the last commit of the next block, or the commit this
// node saw for the newest block.
func (n *Node) SignedHeader(_ context.Context, height int64) (*types.Header, *types.Commit, error) {
	bs := n.cmt.BlockStore()
	if height < bs.Base() || height > bs.Height() {
		return nil, nil, fmt.Errorf("block %d is not in the block store [%d, %d]", height, bs.Base(), bs.Height())
	}
	meta := bs.LoadBlockMeta(height)
	if meta == nil {
		return nil, nil, fmt.Errorf("block %d is missing from the block store", height)
	}
	var c *types.Commit
	if height < bs.Height() {
		c = bs.LoadBlockCommit(height)
	}
	if c == nil {
		c = bs.LoadSeenCommit(height)
	}
	if c == nil {
		return nil, nil, fmt.Errorf("no commit stored for block %d", height)
	}
	return &meta.Header, c, nil
}

// TxAt returns the bytes of transaction index of block height from the
// block store, checking that its hash is hash.
func (n *Node) TxAt(height int64, index int, hash []byte) ([]byte, error) {
	bs := n.cmt.BlockStore()
	if height < bs.Base() || height > bs.Height() {
		return nil, fmt.Errorf("transaction %X: block %d is not in the block store [%d, %d]", hash, height, bs.Base(), bs.Height())
	}
	b, _ := bs.LoadBlock(height)
	if b == nil {
		return nil, fmt.Errorf("transaction %X: block %d is missing from the block store", hash, height)
	}
	if index < 0 || index >= len(b.Txs) {
		return nil, fmt.Errorf("transaction %X: block %d has %d transactions, not %d", hash, height, len(b.Txs), index+1)
	}
	raw := b.Txs[index]
	if !bytes.Equal(raw.Hash(), hash) {
		return nil, fmt.Errorf("transaction %d of block %d has hash %X, not %X", index, height, raw.Hash(), hash)
	}
	return raw, nil
}

// ValidatorPubKey reads the Ed25519 public key of the validator key file
// in home (config/priv_validator_key.json).
func ValidatorPubKey(home string) ([]byte, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	b, err := os.ReadFile(conf.PrivValidatorKeyFile())
	if err != nil {
		return nil, fmt.Errorf("read validator key: %w", err)
	}
	var k privval.FilePVKey
	if err := cmtjson.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("decode validator key file: %w", err)
	}
	if k.PrivKey == nil || k.PubKey == nil || !bytes.Equal(k.PrivKey.PubKey().Bytes(), k.PubKey.Bytes()) {
		return nil, fmt.Errorf("validator key file: private and public keys do not match")
	}
	return k.PubKey.Bytes(), nil
}
