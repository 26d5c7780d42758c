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
// those containing needle as raw bytes, hex (either case) or standard
// base64 of it. It is how confidentiality tests prove that a node holds
// no plaintext of a record it may not read.
func ScanTree(t testing.TB, dir string, needle []byte) []string {
	t.Helper()
	forms := [][]byte{needle, []byte(hex.EncodeToString(needle)),
		bytes.ToUpper([]byte(hex.EncodeToString(needle))), []byte(base64.StdEncoding.EncodeToString(needle))[:len(needle)*4/3]}
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
