package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// TestProjectionFromParse: the benchmarks' data set (the cluster
// benchmark's 50,000 objects: ATT&CK and IOC indicators of every kind)
// projects exactly alike from records carrying their parse, as a live
// node's follower gets them, and from records without, as a rebuild
// reads them: same Digest, same IndexDigest (every column, label, value
// and full-text term), same indicators handed to the matcher.
func TestProjectionFromParse(t *testing.T) {
	ds, err := Load(testutil.SharedTestdata(t), 50000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Indicators) < 7 {
		t.Fatalf("indicators of %d kinds only: %v", len(ds.Indicators), ds.Indicators)
	}
	ctx := context.Background()
	var digests, index [2]string
	var decoded [2]map[uint64]*projection.Indicator
	for i, withParse := range []bool{true, false} {
		s, err := projection.Open(ctx, filepath.Join(t.TempDir(), "projection.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		decoded[i] = map[uint64]*projection.Indicator{}
		recs := make([]record.Record, 0, 1000)
		for n, o := range ds.Objects {
			tx := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(n/1000)))
			r := record.Record{Index: uint64(n), Height: int64(n/1000 + 1), Time: time.Unix(int64(n/1000), 0).UTC(),
				TxHash: tx[:], Author: "member1", ObjectID: o.ID, Type: o.Type, Modified: o.Version(), Object: o.Raw}
			if withParse {
				r.Parsed = o
			}
			if recs = append(recs, r); len(recs) == cap(recs) || n == len(ds.Objects)-1 {
				d, err := s.ApplyDecoded(ctx, recs)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range d {
					decoded[i][k] = v
				}
				recs = recs[:0]
			}
		}
		if digests[i], err = s.Digest(ctx); err != nil {
			t.Fatal(err)
		}
		if index[i], err = s.IndexDigest(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if digests[0] != digests[1] || index[0] != index[1] {
		t.Fatalf("with the parse: digest %s, index digest %s; without: %s, %s", digests[0], index[0], digests[1], index[1])
	}
	if !reflect.DeepEqual(decoded[0], decoded[1]) {
		t.Fatal("indicators handed to the matcher differ")
	}
	if len(decoded[0]) < 40000 {
		t.Fatalf("only %d indicators handed to the matcher", len(decoded[0]))
	}
}
