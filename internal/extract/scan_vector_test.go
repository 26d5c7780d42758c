//go:build amd64

package extract

import "testing"

// TestScanMatchesReferenceWithoutVBMI runs the differential tests with the
// vector path's fallbacks for a processor with AVX-512 but without VBMI
// and VBMI2 (classifyRanges, ipv4), when this one has them.
func TestScanMatchesReferenceWithoutVBMI(t *testing.T) {
	if !useVBMI {
		t.Skip("the processor has no AVX-512 VBMI: the other tests ran the fallbacks")
	}
	useVBMI = false
	defer func() { useVBMI = true }()
	TestScanMatchesReference(t)
	TestScanMatchesReferenceLong(t)
}
