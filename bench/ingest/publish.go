package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// maxNonceRetries bounds how often one publish is retried after the node's
// nonce race (see publish).
const maxNonceRetries = 100

// publish submits objs through intake. A transaction that CheckTx refuses
// as a replayed nonce is signed again and resubmitted, and counted in
// retries: intake takes its nonce from the ledger's mempool view, which
// Commit resets to the committed nonces until CometBFT's recheck has
// re-admitted the mempool's transactions, so a publish signed in that
// window reuses a nonce already taken (a node bug this benchmark reports
// rather than hides). Any other refusal is an error.
func publish(ctx context.Context, in *intake.Service, objs []*stix.Object) ([]intake.Submission, int, error) {
	var subs []intake.Submission
	for retries := 0; ; retries++ {
		got, err := in.PublishObjects(ctx, objs)
		taken := 0 // objects in transactions the mempool took
		for _, s := range got {
			if s.Code != ledger.CodeOK {
				err = fmt.Errorf("CheckTx refused %s: code=%d, %s: %s", s.TxHash, s.Code, s.Codename, s.Log)
				break
			}
			subs = append(subs, s)
			taken += len(s.Objects)
		}
		if err == nil {
			return subs, retries, nil
		}
		if !isNonceRace(err) || retries >= maxNonceRetries {
			return subs, retries, fmt.Errorf("publish %d objects: %w", len(objs), err)
		}
		objs = objs[taken:]
		select {
		case <-ctx.Done():
			return subs, retries + 1, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// isNonceRace reports whether a publish failed because CheckTx saw a nonce
// the mempool had already admitted.
func isNonceRace(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, fmt.Sprintf("code=%d,", ledger.CodeBadNonce)) && strings.Contains(msg, "replayed nonce")
}
