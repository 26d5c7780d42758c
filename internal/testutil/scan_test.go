package testutil

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestScanTreeFindsEveryForm(t *testing.T) {
	needle := []byte("canary0123456789abcdef")
	for name, content := range map[string][]byte{
		"raw":  append([]byte("xx"), needle...),
		"hex":  []byte("zz" + hex.EncodeToString(needle)),
		"b64a": []byte(base64.StdEncoding.EncodeToString(needle)),
		"b64b": []byte(base64.StdEncoding.EncodeToString(append([]byte{1}, needle...))),
		"b64c": []byte(base64.StdEncoding.EncodeToString(append([]byte{1, 2}, needle...))),
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f"), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if hits := ScanTree(t, dir, needle); len(hits) != 1 {
			t.Errorf("%s: not found", name)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("nothing here"), 0o600)
	if hits := ScanTree(t, dir, needle); len(hits) != 0 {
		t.Errorf("false positive: %v", hits)
	}
}
