package intake

import (
	"context"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// UpdateProfile submits a profile transaction replacing this member's
// sectors, regions and technologies.
func (s *Service) UpdateProfile(ctx context.Context, p ledger.ProfileUpdate) (Submission, error) {
	payload, err := tx.EncodePayload(p)
	if err != nil {
		return Submission{}, err
	}
	return s.submitPayload(ctx, tx.TypeProfile, payload, nil)
}
