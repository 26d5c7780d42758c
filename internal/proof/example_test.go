package proof

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
	"github.com/transparency-dev/merkle/rfc6962"
)

// example is the worked example of docs/verification.md: a bundle built
// from fixed keys and inputs, with every intermediate value.
type example struct {
	bundle  *Bundle
	members []Member
	values  map[string]string // name → hex (or text) as the document lists them
}

func seedKey(s string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(s))
	return ed25519.NewKeyFromSeed(seed[:])
}

func fill(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// exampleObjects are the three objects of the worked examples.
var exampleObjects = [][]byte{
	[]byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000000","name":"zero"}`),
	[]byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000001","name":"one"}`),
	[]byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000002","name":"two"}`),
}

// buildExample builds the worked example with Phalanx's own code: version
// 1 (the whole transaction in the bundle) or 2 (its signed header and the
// item's audit path), whose values the document names with the prefix
// "v2_".
func buildExample(t testing.TB, version int) example {
	author := seedKey("phalanx example author")
	val := seedKey("phalanx example validator")
	v := map[string]string{}
	prefix := ""
	if version == 2 {
		prefix = "v2_"
	}
	put := func(k string, b []byte) { v[prefix+k] = hex.EncodeToString(b) }
	if version == 1 {
		put("author_public_key", author.Public().(ed25519.PublicKey))
		put("validator_public_key", val.Public().(ed25519.PublicKey))
	}

	objs := exampleObjects
	var rawTx []byte
	var itemHashes [][]byte
	if version == 1 {
		payload, err := tx.EncodePublish(tx.Publish{Objects: objs})
		if err != nil {
			t.Fatal(err)
		}
		if rawTx, err = tx.Sign(tx.Body{ChainID: "phalanx-example", Type: tx.TypePublish, Author: "cert-a", Nonce: 1, Payload: payload}, author); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if rawTx, err = tx.SignItems(tx.Header{ChainID: "phalanx-example", Type: tx.TypePublish, Author: "cert-a", Nonce: 1}, objs, author); err != nil {
			t.Fatal(err)
		}
		d, err := tx.Decode(rawTx)
		if err != nil {
			t.Fatal(err)
		}
		put("tx_header", d.BodyBytes)
		put("tx_signature", d.Signature)
		for i, o := range objs {
			itemHashes = append(itemHashes, rfc6962.DefaultHasher.HashLeaf(o))
			put(fmt.Sprintf("item_hash_%d", i), itemHashes[i])
		}
		put("item_node_0_1", nodeHash(itemHashes[0], itemHashes[1]))
		put("items_root", d.Header.ItemsRoot)
	}
	txHash := sha256.Sum256(rawTx)
	put("tx", rawTx)
	put("tx_hash", txHash[:])

	blockTime := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]Record, 3)
	leaves := make([][]byte, 3)
	for i := range recs {
		recs[i] = Record{Index: uint64(i), Height: 4, TimeUnixNano: blockTime.UnixNano(), TxHash: txHash[:], Author: "cert-a",
			ObjectID: fmt.Sprintf("indicator--00000000-0000-4000-8000-00000000000%d", i), Type: "indicator", Modified: "", Object: objs[i]}
		leaves[i] = LeafHash(recs[i])
	}
	rec1 := recs[1].Ledger()
	put("leaf_data_1", rec1.LeafData())
	put("leaf_hash_0", leaves[0])
	put("leaf_hash_1", leaves[1])
	put("leaf_hash_2", leaves[2])
	n01 := nodeHash(leaves[0], leaves[1])
	root := nodeHash(n01, leaves[2])
	put("node_0_1", n01)
	put("root", root)

	state := sha256.Sum256([]byte("phalanx example state"))
	c := Checkpoint{Origin: "phalanx-example", Size: 3, Root: root, Height: 5, StateHash: state[:]}
	put("state_hash", c.StateHash)
	put("app_hash", c.AppHash())
	note, err := SignCheckpoint(c, NewSigner("cert-a", author))
	if err != nil {
		t.Fatal(err)
	}
	v[prefix+"checkpoint_note"] = note

	valAddr := tmhash.SumTruncated(val.Public().(ed25519.PublicKey))
	if version == 1 {
		put("validator_address", valAddr)
	}
	h := types.Header{
		Version: cmtversion.Consensus{Block: 11, App: 1}, ChainID: "phalanx-example", Height: 6,
		Time:           time.Date(2026, 11, 1, 12, 0, 1, 500000000, time.UTC),
		LastBlockID:    types.BlockID{Hash: fill(0x11), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill(0x12)}},
		LastCommitHash: fill(0x13), DataHash: fill(0x14), ValidatorsHash: fill(0x15), NextValidatorsHash: fill(0x15),
		ConsensusHash: fill(0x16), AppHash: c.AppHash(), LastResultsHash: fill(0x17), EvidenceHash: fill(0x18),
		ProposerAddress: valAddr,
	}
	put("header_hash", h.Hash())
	commit := &types.Commit{Height: 6, Round: 0,
		BlockID: types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill(0x19)}},
		Signatures: []types.CommitSig{{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: valAddr,
			Timestamp: time.Date(2026, 11, 1, 12, 0, 2, 0, time.UTC)}}}
	sb := commit.VoteSignBytes("phalanx-example", 0)
	commit.Signatures[0].Signature = ed25519.Sign(val, sb)
	put("vote_sign_bytes", sb)
	put("vote_signature", commit.Signatures[0].Signature)
	hb, cb, err := EncodeSigned(&h, commit)
	if err != nil {
		t.Fatal(err)
	}
	b := &Bundle{Format: BundleFormat, Record: recs[1], LeafHash: leaves[1], Tx: rawTx, TxObject: 1,
		Inclusion:  []HexBytes{leaves[0], leaves[2]},
		Checkpoint: SignedCheckpoint{Format: CheckpointFormat, Note: note, Header: hb, Commit: cb}}
	if version == 2 {
		d, _ := tx.Decode(rawTx)
		b.Format, b.Tx, b.TxHeader, b.TxSignature = BundleFormatV2, nil, d.BodyBytes, d.Signature
		b.ItemPath = []HexBytes{itemHashes[0], itemHashes[2]}
	}
	ms := []Member{{ID: "cert-a", SignKey: author.Public().(ed25519.PublicKey), ValidatorKey: val.Public().(ed25519.PublicKey), Power: 10, Status: "active"}}
	return example{bundle: b, members: ms, values: v}
}

func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// docValues reads the worked example's values from docs/verification.md:
// the lines "name: value" of the fenced blocks after the marker, and the
// checkpoint note's fenced block.
func docValues(t *testing.T) map[string]string {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "verification.md")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	var in, note, noteV2 bool
	var noteText, noteV2Text strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```example":
			in = true
		case line == "```note":
			note = true
		case line == "```note-v2":
			noteV2 = true
		case line == "```":
			in, note, noteV2 = false, false, false
		case note:
			noteText.WriteString(line + "\n")
		case noteV2:
			noteV2Text.WriteString(line + "\n")
		case in:
			k, val, ok := strings.Cut(line, ":")
			if ok {
				out[strings.TrimSpace(k)] += strings.TrimSpace(val)
			}
		}
	}
	out["checkpoint_note"] = noteText.String()
	out["v2_checkpoint_note"] = noteV2Text.String()
	return out
}

// TestWorkedExample checks docs/verification.md: every value of its worked
// example is what Phalanx computes, the example bundle verifies, and the
// hashes the document derives by hand (leaf, nodes, app hash, header hash,
// vote sign bytes) are recomputed here from the document's byte layouts
// without Phalanx's or CometBFT's encoders.
func TestWorkedExample(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) { testWorkedExample(t, version) })
	}
}

func testWorkedExample(t *testing.T, version int) {
	ex := buildExample(t, version)
	if os.Getenv("PHALANX_PRINT_EXAMPLE") != "" {
		keys := make([]string, 0, len(ex.values))
		for k := range ex.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%s: %s\n", k, ex.values[k])
		}
	}
	if r := Verify(ex.bundle, ex.members); !r.OK() {
		t.Fatalf("example bundle: %+v", r.Checks)
	}
	doc := docValues(t)
	for k, want := range ex.values {
		if doc[k] != want {
			t.Errorf("docs/verification.md %s = %q; Phalanx computes %q", k, doc[k], want)
		}
	}
	checkByHand(t, ex.values, doc, version)
	checkExampleFiles(t, ex, version)
}

// checkExampleFiles keeps testdata/example-bundle.json and
// example-members.json (which the CLI test verifies with `phalanx verify`)
// equal to the worked example; PHALANX_PRINT_EXAMPLE=1 rewrites them.
func checkExampleFiles(t *testing.T, ex example, version int) {
	files := map[string]any{"example-bundle.json": ex.bundle, "example-members.json": ex.members}
	if version == 2 {
		files = map[string]any{"example-bundle-v2.json": ex.bundle}
	}
	for name, v := range files {
		want, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("testdata", name)
		if os.Getenv("PHALANX_PRINT_EXAMPLE") != "" {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the worked example (%v); PHALANX_PRINT_EXAMPLE=1 rewrites it", path, err)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkByHand recomputes the example's hashes from the layouts the
// document gives. The v2 example's values (prefix "v2_") stand in for the
// v1 example's names; the keys are the v1 example's (doc).
func checkByHand(t *testing.T, values, doc map[string]string, version int) {
	v := values
	if version == 2 {
		v = map[string]string{}
		for _, k := range []string{"author_public_key", "validator_public_key", "validator_address"} {
			v[k] = doc[k]
		}
		for k, val := range values {
			v[strings.TrimPrefix(k, "v2_")] = val
		}
		checkV2ByHand(t, v)
	}
	sum := func(parts ...[]byte) []byte {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	u64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	lp := func(b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) }
	obj := []byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000001","name":"one"}`)
	objHash := sha256.Sum256(obj)
	ns := uint64(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	leafData := bytes.Join([][]byte{[]byte("phalanx/record/v1\x00"), u64(1), u64(4), u64(ns), lp(unhex(t, v["tx_hash"])),
		lp([]byte("cert-a")), lp([]byte("indicator--00000000-0000-4000-8000-000000000001")), lp(nil), objHash[:]}, nil)
	if hex.EncodeToString(leafData) != v["leaf_data_1"] || hex.EncodeToString(sum([]byte{0}, leafData)) != v["leaf_hash_1"] {
		t.Error("leaf data or leaf hash differ from the documented layout")
	}
	n01 := sum([]byte{1}, unhex(t, v["leaf_hash_0"]), unhex(t, v["leaf_hash_1"]))
	if root := sum([]byte{1}, n01, unhex(t, v["leaf_hash_2"])); hex.EncodeToString(root) != v["root"] {
		t.Error("root differs from the documented node hashing")
	}
	app := sum([]byte("phalanx/apphash/v1\x00"), u64(3), unhex(t, v["root"]), unhex(t, v["state_hash"]))
	if hex.EncodeToString(app) != v["app_hash"] {
		t.Error("app hash differs from the documented formula")
	}
	if got := headerHashByHand(t, v); got != v["header_hash"] {
		t.Errorf("header hash by hand %s, documented %s", got, v["header_hash"])
	}
	if got := voteSignBytesByHand(t, v); got != v["vote_sign_bytes"] {
		t.Errorf("vote sign bytes by hand %s, documented %s", got, v["vote_sign_bytes"])
	}
	if !ed25519.Verify(unhex(t, v["validator_public_key"]), unhex(t, v["vote_sign_bytes"]), unhex(t, v["vote_signature"])) {
		t.Error("documented vote signature does not verify")
	}
	if a := sum(unhex(t, v["validator_public_key"]))[:20]; hex.EncodeToString(a) != v["validator_address"] {
		t.Error("validator address differs from SHA-256(key)[:20]")
	}
	checkNoteByHand(t, v)
}

// protobuf helpers: field key, varint, length-delimited.
func pbVarint(n uint64) []byte { return binary.AppendUvarint(nil, n) }
func pbKey(field, wire int) []byte {
	return pbVarint(uint64(field<<3 | wire))
}
func pbBytes(field int, b []byte) []byte {
	return append(append(pbKey(field, 2), pbVarint(uint64(len(b)))...), b...)
}
func pbUint(field int, n uint64) []byte { return append(pbKey(field, 0), pbVarint(n)...) }
func pbFixed64(field int, n int64) []byte {
	return append(pbKey(field, 1), binary.LittleEndian.AppendUint64(nil, uint64(n))...)
}
func pbTime(sec int64, nanos int32) []byte {
	var b []byte
	if sec != 0 {
		b = append(b, pbUint(1, uint64(sec))...)
	}
	if nanos != 0 {
		b = append(b, pbUint(2, uint64(nanos))...)
	}
	return b
}

// rfc6962Root is the Merkle root CometBFT uses for headers (RFC 6962 MTH).
func rfc6962Root(items [][]byte) []byte {
	if len(items) == 1 {
		s := sha256.Sum256(append([]byte{0}, items[0]...))
		return s[:]
	}
	k := 1
	for k*2 < len(items) {
		k *= 2
	}
	return nodeHash(rfc6962Root(items[:k]), rfc6962Root(items[k:]))
}

func headerHashByHand(t *testing.T, v map[string]string) string {
	hdrTime := time.Date(2026, 11, 1, 12, 0, 1, 500000000, time.UTC)
	fields := [][]byte{
		append(pbUint(1, 11), pbUint(2, 1)...), // version {block 11, app 1}
		pbBytes(1, []byte("phalanx-example")),  // chain id (StringValue)
		pbUint(1, 6),                           // height (Int64Value)
		pbTime(hdrTime.Unix(), int32(hdrTime.Nanosecond())),
		append(pbBytes(1, fill(0x11)), pbBytes(2, append(pbUint(1, 1), pbBytes(2, fill(0x12))...))...), // last block id
		pbBytes(1, fill(0x13)), pbBytes(1, fill(0x14)), pbBytes(1, fill(0x15)), pbBytes(1, fill(0x15)),
		pbBytes(1, fill(0x16)), pbBytes(1, unhex(t, v["app_hash"])), pbBytes(1, fill(0x17)), pbBytes(1, fill(0x18)),
		pbBytes(1, unhex(t, v["validator_address"])),
	}
	return hex.EncodeToString(rfc6962Root(fields))
}

func voteSignBytesByHand(t *testing.T, v map[string]string) string {
	ts := time.Date(2026, 11, 1, 12, 0, 2, 0, time.UTC)
	blockID := append(pbBytes(1, unhex(t, v["header_hash"])), pbBytes(2, append(pbUint(1, 1), pbBytes(2, fill(0x19))...))...)
	var msg []byte
	msg = append(msg, pbUint(1, 2)...)    // type: precommit
	msg = append(msg, pbFixed64(2, 6)...) // height (sfixed64); round 0 is omitted
	msg = append(msg, pbBytes(4, blockID)...)
	msg = append(msg, pbBytes(5, pbTime(ts.Unix(), 0))...)
	msg = append(msg, pbBytes(6, []byte("phalanx-example"))...)
	return hex.EncodeToString(append(pbVarint(uint64(len(msg))), msg...))
}

// checkNoteByHand checks the note's signature line from the C2SP layout.
func checkNoteByHand(t *testing.T, v map[string]string) {
	text, sigs, ok := strings.Cut(v["checkpoint_note"], "\n\n")
	if !ok {
		t.Fatal("note without signature block")
	}
	line := strings.TrimSuffix(sigs, "\n")
	name, b64, ok := strings.Cut(strings.TrimPrefix(line, "— "), " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || name != "cert-a" || len(raw) != 68 {
		t.Fatalf("signature line %q", line)
	}
	pub := unhex(t, v["author_public_key"])
	kh := sha256.Sum256(append([]byte("cert-a\n\x01"), pub...))
	if !bytes.Equal(raw[:4], kh[:4]) || !ed25519.Verify(pub, []byte(text+"\n"), raw[4:]) {
		t.Error("note signature differs from the C2SP layout")
	}
}

// cborHead is a CBOR head in its shortest form (RFC 8949 §4.2.1).
func cborHead(major byte, n int) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 256:
		return []byte{major<<5 | 24, byte(n)}
	default:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	}
}

func cborBytes(b []byte) []byte { return append(cborHead(2, len(b)), b...) }
func cborText(s string) []byte  { return append(cborHead(3, len(s)), s...) }

// checkV2ByHand checks the v2 example's header, signature, item tree and
// transaction encoding from the layouts of docs/verification.md.
func checkV2ByHand(t *testing.T, v map[string]string) {
	t.Helper()
	sum := func(parts ...[]byte) []byte {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	var ih [][]byte
	for i, o := range exampleObjects {
		ih = append(ih, sum([]byte{0}, o))
		if hex.EncodeToString(ih[i]) != v[fmt.Sprintf("item_hash_%d", i)] {
			t.Errorf("item hash %d differs from H(0x00 || item)", i)
		}
	}
	n01 := sum([]byte{1}, ih[0], ih[1])
	root := sum([]byte{1}, n01, ih[2])
	if hex.EncodeToString(n01) != v["item_node_0_1"] || hex.EncodeToString(root) != v["items_root"] {
		t.Error("items root differs from the documented item tree")
	}
	header := bytes.Join([][]byte{{0xa6},
		{0x01}, cborText("phalanx-example"), {0x02, 0x01}, {0x03}, cborText("cert-a"),
		{0x04, 0x01}, {0x05, 0x03}, {0x06}, cborBytes(root)}, nil)
	if hex.EncodeToString(header) != v["tx_header"] {
		t.Errorf("header by hand %x, documented %s", header, v["tx_header"])
	}
	sig := unhex(t, v["tx_signature"])
	if !ed25519.Verify(unhex(t, v["author_public_key"]), append([]byte("phalanx/tx/v2\x00"), header...), sig) {
		t.Error("documented header signature does not verify over \"phalanx/tx/v2\" 0x00 || header")
	}
	raw := bytes.Join([][]byte{{0x83}, cborBytes(header), cborBytes(sig), {0x83},
		cborBytes(exampleObjects[0]), cborBytes(exampleObjects[1]), cborBytes(exampleObjects[2])}, nil)
	if hex.EncodeToString(raw) != v["tx"] || hex.EncodeToString(sum(raw)) != v["tx_hash"] {
		t.Error("transaction by hand differs from the documented encoding or hash")
	}
}
