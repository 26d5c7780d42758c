package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/types"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
)

// ApplicationFile is where InitJoin writes the membership application.
const ApplicationFile = "application.json"

// Application is what an organisation that wants to join hands to a member:
// its public keys and where its node listens. A member files it as an
// admit_member proposal (`phalanx gov propose admit --application FILE`).
type Application struct {
	ledger.Member
	Contact    string `json:"contact,omitempty"`
	NodeID     string `json:"node_id"`
	P2PAddress string `json:"p2p_address"` // host:port other members' nodes dial
}

// InitJoin prepares a data directory for an organisation that wants to join
// an existing network: member keys (0600), validator and node keys, and
// DIR/application.json. The node cannot run until Join has installed the
// network's genesis and peers.
func InitJoin(dir string, o InitOptions, contact string) (Application, error) {
	if Initialized(dir) {
		return Application{}, fmt.Errorf("%s is already initialised", dir)
	}
	o = o.withDefaults()
	if !ledger.ValidMemberID(o.Member) {
		return Application{}, fmt.Errorf("member id %q: want 1-63 of a-z, 0-9, '-'", o.Member)
	}
	if err := ledger.ValidateProfileList("technologies", o.Technologies); err != nil {
		return Application{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Application{}, fmt.Errorf("create data directory: %w", err)
	}
	id, err := keys.Generate(o.Member)
	if err != nil {
		return Application{}, err
	}
	if err := id.Save(filepath.Join(dir, KeyFile)); err != nil {
		return Application{}, err
	}
	valKey, nodeID, err := node.InitHome(filepath.Join(dir, cometDir))
	if err != nil {
		return Application{}, err
	}
	p2p, err := freeLoopbackPort()
	if err != nil {
		return Application{}, err
	}
	app := Application{Member: ledger.Member{ID: o.Member, Name: o.Name, SignKey: id.SignPublic(),
		SealKey: id.SealPublic(), ValidatorKey: valKey, Sectors: o.Sectors, Regions: o.Regions, Technologies: o.Technologies},
		Contact: contact, NodeID: nodeID, P2PAddress: p2p}
	b, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return Application{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, ApplicationFile), append(b, '\n'), 0o644); err != nil {
		return Application{}, err
	}
	c := Config{Member: o.Member, APIListen: o.APIListen, P2PListen: "tcp://" + p2p,
		TimeoutCommit: "100ms", EmptyBlocks: DefaultEmptyBlocks}
	return app, c.save(dir)
}

// Join installs the network's genesis file and the peers to sync from into
// a directory made by InitJoin. After `phalanx up` the node follows the
// chain; once the members admit it by vote, it validates.
func Join(dir, genesisFile, peers string) error {
	c, err := readConfigLoose(dir)
	if err != nil {
		return err
	}
	gen, err := types.GenesisDocFromFile(genesisFile)
	if err != nil {
		return fmt.Errorf("read genesis %s: %w", genesisFile, err)
	}
	if _, err := ledger.ParseGenesis(gen.AppState); err != nil {
		return fmt.Errorf("genesis %s: %w", genesisFile, err)
	}
	for _, p := range strings.Split(peers, ",") {
		if id, addr, ok := strings.Cut(strings.TrimSpace(p), "@"); !ok || id == "" || addr == "" {
			return fmt.Errorf("peer %q: want NODE_ID@HOST:PORT", p)
		}
	}
	raw, err := os.ReadFile(genesisFile)
	if err != nil {
		return err
	}
	// Byte for byte: every member's node must start from the same file.
	if err := os.WriteFile(filepath.Join(dir, cometDir, "config", "genesis.json"), raw, 0o644); err != nil {
		return fmt.Errorf("install genesis: %w", err)
	}
	c.ChainID, c.Peers = gen.ChainID, peers
	if err := c.validate(); err != nil {
		return err
	}
	return c.save(dir)
}

// readConfigLoose reads phalanx.json without validating it (a directory
// made by InitJoin has no chain id yet).
func readConfigLoose(dir string) (Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return Config{}, fmt.Errorf("%s: run \"phalanx init --join\" first: %w", dir, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("decode %s: %w", ConfigFile, err)
	}
	return c, nil
}
