package importer

import (
	"bytes"
	"context"
	"fmt"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// NodeLedger is a Ledger reached through a node's API: duplicates are
// looked up in its TAXII manifest, objects published with
// POST /v1/objects?wait=true — addressed to Address when it names
// recipients, a sharing group or a TLP level (objects above TLP:GREEN are
// sealed for their recipients and need them).
type NodeLedger struct {
	C       *client.Client
	Address intake.Address
	// Member is the importing member's id: private objects are sealed
	// for it alone.
	Member string
}

var _ Ledger = NodeLedger{}

// Known implements Ledger.
func (n NodeLedger) Known(ctx context.Context, ids []string) (map[string][]string, error) {
	return n.C.KnownVersions(ctx, ids)
}

// Publish implements Ledger.
func (n NodeLedger) Publish(ctx context.Context, objs []*stix.Object, private bool) ([]TxResult, error) {
	addr := n.Address
	if private {
		if n.Member == "" {
			return nil, errs.Errorf(errs.Invalid, "objects shared with this organisation only need the importing member's id")
		}
		addr = intake.Address{To: []string{n.Member}, TLP: n.Address.TLP}
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--2b5e8a3c-6f7d-4e1a-9c2b-0d4f6a8e1b3c","objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw)
	}
	b.WriteString("]}")
	res, err := n.C.PublishTo(ctx, b.Bytes(), addr, true)
	if err != nil && (errs.CodeOf(err) != errs.Rejected || len(res.Transactions) == 0) {
		return nil, err
	}
	out := make([]TxResult, 0, len(res.Transactions))
	covered := 0
	for _, tx := range res.Transactions {
		r := TxResult{Objects: len(tx.Objects), Accepted: tx.Code == 0 && tx.Committed()}
		if !r.Accepted {
			r.Reason = tx.Codename + ": " + tx.Log
		}
		covered += r.Objects
		out = append(out, r)
	}
	if covered != len(objs) {
		return nil, fmt.Errorf("node reported %d of %d objects", covered, len(objs))
	}
	return out, nil
}
