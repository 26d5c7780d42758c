package intake

import (
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// checkPatterns refuses indicators whose STIX pattern the detection matcher
// cannot evaluate (see internal/detect for the supported subset), so that
// nothing is published that would silently never match. Revoked versions
// and other pattern types (sigma, yara, ...) pass.
func checkPatterns(objs []*stix.Object) error {
	for i, o := range objs {
		if o.Type != "indicator" || o.PatternType != "stix" || o.Revoked {
			continue
		}
		if _, err := detect.CompileObject(o); err != nil {
			return errs.Errorf(errs.Invalid, "object %d (%s): pattern: %v", i, o.ID, err)
		}
	}
	return nil
}
