package stix

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// sample is one STIX object taken from a shared test data file.
type sample struct {
	name string          // file name and position, for test names
	raw  json.RawMessage // the object's JSON as written in the file
}

// exampleFiles lists the OASIS example files, including threat-reports/.
func exampleFiles(t testing.TB, shared string) []string {
	t.Helper()
	var files []string
	root := filepath.Join(shared, "stix2.1-examples")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no example files under %s", root)
	}
	return files
}

// readSamples returns the objects of a file holding a bundle or a bare
// object, decoded independently of the package under test.
func readSamples(t testing.TB, path string) []sample {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	base := filepath.Base(path)
	if top.Type != "bundle" {
		return []sample{{name: base, raw: bytes.TrimSpace(data)}}
	}
	out := make([]sample, len(top.Objects))
	for i, raw := range top.Objects {
		out[i] = sample{name: base + "#" + strconv.Itoa(i), raw: raw}
	}
	return out
}

// exampleSamples returns every object of every OASIS example file.
func exampleSamples(t testing.TB) []sample {
	t.Helper()
	shared := testutil.SharedTestdata(t)
	var all []sample
	for _, f := range exampleFiles(t, shared) {
		all = append(all, readSamples(t, f)...)
	}
	return all
}

// decodeMap decodes JSON the way the schema validator and our mutations
// need it: numbers as json.Number.
func decodeMap(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsePattern checks a STIX pattern and returns its literals
// (lexAndParsePattern without the tokens).
func parsePattern(p string) ([]string, error) {
	_, values, err := lexAndParsePattern(p)
	return values, err
}
