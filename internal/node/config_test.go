package node

import "testing"

// TestCometConfig: the settings Phalanx changes from CometBFT's defaults
// reach CometBFT's configuration: the p2p rate (default and configured),
// no tx index and no kept ABCI responses (the ledger records outcomes).
func TestCometConfig(t *testing.T) {
	home := t.TempDir()
	conf, err := Config{Home: home}.cometConfig()
	if err != nil {
		t.Fatal(err)
	}
	if conf.P2P.SendRate != DefaultP2PRate || conf.P2P.RecvRate != DefaultP2PRate {
		t.Fatalf("default rates %d/%d, want %d", conf.P2P.SendRate, conf.P2P.RecvRate, DefaultP2PRate)
	}
	if conf.TxIndex.Indexer != "null" || !conf.Storage.DiscardABCIResponses {
		t.Fatalf("tx indexer %q, discard ABCI responses %v; want null, true", conf.TxIndex.Indexer, conf.Storage.DiscardABCIResponses)
	}
	conf, err = Config{Home: home, P2PRate: 3 << 20}.cometConfig()
	if err != nil {
		t.Fatal(err)
	}
	if conf.P2P.SendRate != 3<<20 || conf.P2P.RecvRate != 3<<20 {
		t.Fatalf("configured rates %d/%d, want %d", conf.P2P.SendRate, conf.P2P.RecvRate, 3<<20)
	}
}
