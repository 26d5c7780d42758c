// Package dataset loads the benchmarks' data set: the MITRE ATT&CK bundles
// and the IOC lists of ../shared/testdata, the IOCs turned into validated
// STIX 2.1 indicators, in a fixed pseudo-random order.
package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// attackBundles are the MITRE ATT&CK bundles every data set starts from.
var attackBundles = []string{"ics-attack-18.1.json", "mobile-attack-17.1.json"}

// defaultIndicators is how many IOC indicators a data set adds to ATT&CK
// when n is not given.
const defaultIndicators = 100_000

// Dataset is the validated STIX objects a benchmark publishes, in a fixed
// pseudo-random order (so that any prefix is a similar mix of ATT&CK objects
// and indicators of every kind).
type Dataset struct {
	Objects    []*stix.Object
	Attack     int            // ATT&CK objects included
	Indicators map[string]int // indicators included, by kind
	RawBytes   int64          // total size of the objects' JSON
	HeapBytes  uint64         // live heap the loaded data set takes (measured)
}

// Load reads every ATT&CK object under dir/attack and enough IOC
// values under dir/iocs, turned into indicators, to make n objects in all
// (n ≤ 0: all ATT&CK objects plus defaultIndicators indicators). Objects are
// deduplicated by id and IOC values by kind and value.
func Load(dir string, n int) (*Dataset, error) {
	before := liveHeap()
	attack, err := loadAttack(filepath.Join(dir, "attack"))
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		n = len(attack) + defaultIndicators
	}
	if n < len(attack) {
		attack = attack[:n]
	}
	iocs, err := loadIOCs(filepath.Join(dir, "iocs"))
	if err != nil {
		return nil, err
	}
	need := n - len(attack)
	if need > len(iocs) {
		return nil, fmt.Errorf("asked for %d objects but the data has only %d ATT&CK objects and %d distinct IOC values",
			n, len(attack), len(iocs))
	}
	ds := &Dataset{Objects: attack, Attack: len(attack), Indicators: map[string]int{}}
	for _, ioc := range iocs[:need] {
		obj, err := ioc.Indicator()
		if err != nil {
			return nil, err
		}
		ds.Objects = append(ds.Objects, obj)
		ds.Indicators[ioc.Kind.String()]++
	}
	shuffle(ds.Objects)
	for _, o := range ds.Objects {
		ds.RawBytes += int64(len(o.Raw))
	}
	if after := liveHeap(); after > before {
		ds.HeapBytes = after - before
	}
	return ds, nil
}

// loadAttack parses the ATT&CK bundles with stix.ParseInput and keeps the
// first object of each id (the bundles share a few, such as MITRE's
// identity and marking definitions).
func loadAttack(dir string) ([]*stix.Object, error) {
	seen := map[string]bool{}
	var out []*stix.Object
	for _, name := range attackBundles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read ATT&CK bundle: %w", err)
		}
		objs, err := stix.ParseInput(data)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		for _, o := range objs {
			if !seen[o.ID] {
				seen[o.ID] = true
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// loadIOCs reads every IOC list, deduplicated, the smaller and more varied
// lists first and IPsum's 120,000 addresses last, so that a data set of any
// size has every kind of value in it.
func loadIOCs(dir string) ([]IOC, error) {
	readers := []func(string) ([]IOC, error){readHashIOCs, readC2IOCs, readUnit42, readInfoblox, readIpsum}
	seen := map[string]bool{}
	var out []IOC
	for _, read := range readers {
		iocs, err := read(dir)
		if err != nil {
			return nil, fmt.Errorf("read IOC lists: %w", err)
		}
		for _, ioc := range iocs {
			if k := ioc.key(); !seen[k] {
				seen[k] = true
				out = append(out, ioc)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no IOC values found under " + dir)
	}
	return out, nil
}

// shuffle puts objects in a fixed pseudo-random order.
func shuffle(objs []*stix.Object) {
	r := rand.New(rand.NewPCG(2026, 11))
	r.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
}

// Summary describes the data set in one line.
func (ds *Dataset) Summary() string {
	kinds := make([]string, 0, len(ds.Indicators))
	total := 0
	for k, c := range ds.Indicators {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, c))
		total += c
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d objects: %d ATT&CK (ICS 18.1 + Mobile 17.1) + %d IOC indicators (%s); %.1f MiB of JSON",
		len(ds.Objects), ds.Attack, total, strings.Join(kinds, ", "), float64(ds.RawBytes)/(1<<20))
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// DefaultDir is where the shared test data is by default, relative to the
// module root.
const DefaultDir = "../shared/testdata"

// ResolveDir finds the shared test data: an explicit dir is taken as given;
// otherwise the default is $PHALANX_SHARED_TESTDATA, else dir (normally
// DefaultDir) beside the module root found above the working directory.
func ResolveDir(dir string, explicit bool) (string, error) {
	if !explicit {
		if env := os.Getenv("PHALANX_SHARED_TESTDATA"); env != "" {
			dir = env
		} else if root, err := moduleRoot(); err == nil {
			dir = filepath.Join(root, dir)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "attack")); err != nil {
		return "", fmt.Errorf("shared test data not found at %s (use -shared): %w", abs, err)
	}
	return abs, nil
}

// moduleRoot is the nearest directory at or above the working directory
// holding a go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s", wd)
		}
	}
}
