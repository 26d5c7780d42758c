package daemon

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitJoinAndJoin(t *testing.T) {
	network := initDir(t)
	dir := filepath.Join(t.TempDir(), "newcomer")
	app, err := InitJoin(dir, InitOptions{Member: "cert-b", Name: "CERT B", Sectors: []string{"finance"}, APIListen: "127.0.0.1:0"}, "soc@cert-b.example")
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != "cert-b" || len(app.SignKey) != 32 || len(app.SealKey) != 32 || len(app.ValidatorKey) != 32 || app.NodeID == "" || !strings.HasPrefix(app.P2PAddress, "127.0.0.1:") {
		t.Fatalf("application %+v", app)
	}
	var onDisk Application
	b, err := os.ReadFile(filepath.Join(dir, ApplicationFile))
	if err != nil || json.Unmarshal(b, &onDisk) != nil || !bytes.Equal(onDisk.SignKey, app.SignKey) {
		t.Fatalf("application file: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, KeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), "phalanx join") {
		t.Fatalf("config before join: %v", err)
	}
	genesis := filepath.Join(network, cometDir, "config", "genesis.json")
	if err := Join(dir, genesis, "not-a-peer"); err == nil || !strings.Contains(err.Error(), "NODE_ID@HOST:PORT") {
		t.Fatalf("bad peers: %v", err)
	}
	if err := Join(dir, filepath.Join(t.TempDir(), "missing.json"), "id@127.0.0.1:1"); err == nil {
		t.Fatal("join with a missing genesis succeeded")
	}
	if err := Join(dir, genesis, "abcd@127.0.0.1:26656"); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := LoadConfig(network)
	if c.ChainID != want.ChainID || c.Peers != "abcd@127.0.0.1:26656" {
		t.Fatalf("joined config %+v", c)
	}
	g1, _ := os.ReadFile(genesis)
	g2, _ := os.ReadFile(filepath.Join(dir, cometDir, "config", "genesis.json"))
	if !bytes.Equal(g1, g2) {
		t.Fatal("installed genesis differs from the network's")
	}
	if _, err := InitJoin(dir, InitOptions{Member: "cert-b"}, ""); err == nil {
		t.Fatal("InitJoin overwrote an initialised directory")
	}
}
