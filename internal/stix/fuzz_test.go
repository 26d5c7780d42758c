package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// fuzzSeedDir locates the shared test data for seeding fuzz targets. Unlike
// testutil.SharedTestdata it does not skip when the folder is missing (the
// targets then run on inline seeds alone); under CI=true it defers to
// SharedTestdata, which fails.
func fuzzSeedDir(f *testing.F) string {
	if os.Getenv("CI") == "true" {
		return testutil.SharedTestdata(f)
	}
	dir := os.Getenv("PHALANX_SHARED_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata")
	}
	if _, err := os.Stat(dir); err != nil {
		f.Logf("shared test data not found at %s; fuzzing from inline seeds only", dir)
		return ""
	}
	return dir
}

// addSeeds adds inline seeds and, when available, every OASIS example file
// and object plus a slice of each ATT&CK bundle.
func addSeeds(f *testing.F) {
	f.Add([]byte(goodIndicator))
	f.Add([]byte(bundle(goodIndicator, badIndicator)))
	f.Add([]byte(bundle()))
	for _, text := range validObjects {
		f.Add(compactJSON(f, text))
		f.Add([]byte(bundle(text)))
	}
	for _, typ := range simpleSDOs {
		f.Add([]byte(minimalSDO(typ)))
	}
	dir := fuzzSeedDir(f)
	if dir == "" {
		return
	}
	for _, path := range exampleFiles(f, dir) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, s := range readSamples(f, path) {
			f.Add([]byte(s.raw))
		}
	}
	attack, _ := filepath.Glob(filepath.Join(dir, "attack", "*-attack-*.json"))
	for _, path := range attack {
		samples := readSamples(f, path)
		for i := 0; i < len(samples); i += 50 {
			f.Add([]byte(samples[i].raw))
		}
	}
}

// FuzzParseInput checks that ParseInput never panics, is deterministic, and
// that every object it accepts re-parses from its Raw to an equal Object.
func FuzzParseInput(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ParseInput(data)
		objs2, err2 := ParseInput(data)
		if errString(err) != errString(err2) || !reflect.DeepEqual(objs, objs2) {
			t.Fatalf("not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || objs != nil {
				t.Fatalf("error is %T with %d objects, want *ValidationError and none", err, len(objs))
			}
			return
		}
		if len(objs) == 0 {
			t.Fatal("accepted input without objects")
		}
		for i, o := range objs {
			if !json.Valid(o.Raw) {
				t.Fatalf("object %d: Raw is not JSON", i)
			}
			var c bytes.Buffer
			if err := json.Compact(&c, o.Raw); err != nil || !bytes.Equal(c.Bytes(), o.Raw) {
				t.Fatalf("object %d: Raw is not compact", i)
			}
			again, err := Parse(o.Raw)
			if err != nil {
				t.Fatalf("object %d: Raw does not re-parse: %v", i, err)
			}
			if !reflect.DeepEqual(again, o) {
				t.Fatalf("object %d re-parses differently:\n%+v\n%+v", i, again, o)
			}
			checkPatternTree(t, o)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzDecoder compares the strict decoder with encoding/json: whatever it
// accepts, encoding/json decodes to the same value; whatever valid JSON
// object it rejects, it rejects for one of its deliberate extra rules.
func FuzzDecoder(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"a":"\ud83d\ude00","b":[1,-0.5e+10,true,null,{}],"c":"\u00e9\n"}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := decoder{data: data}
		got, err := d.topObject()
		valid := json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
		if err != nil {
			if !valid {
				return
			}
			for _, why := range []string{"duplicate object key", "not valid UTF-8", "surrogate", "nesting deeper"} {
				if strings.Contains(err.Error(), why) {
					return
				}
			}
			t.Fatalf("rejected valid JSON: %v", err)
		}
		if !valid {
			t.Fatalf("accepted invalid JSON")
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded differently:\n%#v\n%#v", got, want)
		}
	})
}

// checkPatternTree checks that o's pattern tree, built from the tokens
// Parse kept, is the tree ParsePattern builds from the pattern's text.
func checkPatternTree(t *testing.T, o *Object) {
	t.Helper()
	got, err := o.PatternTree()
	if o.PatternType != "stix" {
		if got != nil || err != nil {
			t.Fatalf("%s: PatternTree of a %q pattern = %v, %v; want nil, nil", o.ID, o.PatternType, got, err)
		}
		return
	}
	if o.patternToks == nil {
		t.Fatalf("%s: Parse kept no tokens of its STIX pattern", o.ID)
	}
	want, werr := ParsePattern(o.Pattern)
	if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: PatternTree = %v, %v; ParsePattern = %v, %v", o.ID, got, err, want, werr)
	}
}
