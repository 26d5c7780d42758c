package testutil

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// ScanTree reads every regular file under dir and returns the paths of
// those containing needle as raw bytes, hex (either case) or base64 (at
// any of the three alignments). It is how confidentiality tests prove that
// a node holds no plaintext of a record it may not read.
func ScanTree(t testing.TB, dir string, needle []byte) []string {
	t.Helper()
	forms := [][]byte{needle, []byte(hex.EncodeToString(needle)), bytes.ToUpper([]byte(hex.EncodeToString(needle)))}
	for k := range 3 {
		// with k bytes before it, the groups holding only needle bytes
		// encode the same wherever the needle sits at that alignment
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), needle...))
		from, to := 0, 4*((k+len(needle))/3)
		if k > 0 {
			from = 4
		}
		if to-from >= 8 {
			forms = append(forms, []byte(enc[from:to]))
		}
	}
	var hits []string
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, f := range forms {
			if bytes.Contains(b, f) {
				hits = append(hits, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	if files == 0 {
		t.Fatalf("scan %s: no files", dir)
	}
	return hits
}
