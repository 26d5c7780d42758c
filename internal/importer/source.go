// Package importer reads threat-intelligence feeds and turns them into
// validated STIX 2.1 objects, then publishes them through a node's API in
// batches, with progress, resumption after interruption and a summary.
//
// Formats: STIX 2.1 bundles (streamed token by token, so a large bundle
// needs little memory), STIX 2.0 bundles (upgraded to 2.1), MISP event
// JSON and MISP feed directories (manifest.json and one file per event),
// and CSV or plain-text IOC lists (IPv4, IPv6, CIDR, domain, URL, MD5,
// SHA-1, SHA-256, SHA-512, e-mail address), each value becoming an
// indicator whose id is a UUIDv5 of its type and value, so importing the
// same list twice yields duplicates, not new objects.
package importer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ioc"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// Formats.
const (
	FormatSTIX   = "stix"      // STIX 2.1 or 2.0 bundle (2.0 is upgraded)
	FormatMISP   = "misp"      // one MISP event JSON file
	FormatFeed   = "misp-feed" // a MISP feed directory
	FormatCSV    = "csv"       // CSV ioc.IOC list
	FormatText   = "text"      // plain-text ioc.IOC list, one value a line
	FormatDetect = ""          // decide from the input
)

// Item is one object a source produced, or why an entry was refused.
type Item struct {
	Object *stix.Object // validated STIX 2.1; nil when rejected
	Reject string       // why the entry was refused
	Where  string       // where it came from, e.g. "line 12" or "objects[3]"
	// ByID says the object is derived (from an IOC or a MISP attribute)
	// and counts as a duplicate when its id is on the ledger in any
	// version.
	ByID bool
	// Private says the source shares it with the importing member only
	// (MISP distribution 0, "your organisation only"): it is sealed for
	// that member alone, whatever else the import is addressed to.
	Private bool
}

// Source yields items in a fixed order, so a position (the number of items
// read) identifies where an interrupted import stopped.
type Source interface {
	// Next returns the next item, or io.EOF at the end.
	Next() (Item, error)
	// Progress reports how far the source is, in units of Total (bytes
	// or events); total 0 means unknown.
	Progress() (done, total int64)
	Close() error
}

// Options tune how a source reads.
type Options struct {
	Format string // one of the Format constants; "" detects
	Type   string // ioc.IOC lists: force every value to this type (see IOCTypes)
	// Now is the creation time of indicators derived from IOC lists; zero
	// means time.Now.
	Now time.Time
}

// Open opens path (a file, or a MISP feed directory) as a Source.
func Open(path string, o Options) (Source, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Millisecond)
	if o.Type != "" {
		if !ioc.Valid(o.Type) {
			return nil, errs.Errorf(errs.Invalid, "unknown --type %q; want one of %s", o.Type, strings.Join(ioc.Types(), ", "))
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	format := o.Format
	if format == FormatDetect {
		if format, err = detect(path, fi); err != nil {
			return nil, err
		}
	}
	switch format {
	case FormatFeed:
		return openFeed(path)
	case FormatSTIX, FormatMISP, FormatCSV, FormatText:
	default:
		return nil, errs.Errorf(errs.Invalid, "unknown format %q; want stix, misp, misp-feed, csv or text", format)
	}
	if fi.IsDir() {
		return nil, errs.Errorf(errs.Invalid, "%s is a directory; only a MISP feed (--format misp-feed) may be", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	cr := &countingReader{r: f, total: fi.Size()}
	switch format {
	case FormatSTIX:
		return newBundleSource(cr, f), nil
	case FormatMISP:
		return newMISPFileSource(cr, f)
	case FormatCSV:
		return newIOCSource(cr, f, true, o), nil
	default:
		return newIOCSource(cr, f, false, o), nil
	}
}

// detect decides a file's format from its name and first bytes.
func detect(path string, fi os.FileInfo) (string, error) {
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
			return FormatFeed, nil
		}
		return "", errs.Errorf(errs.Invalid, "%s is a directory without manifest.json (not a MISP feed)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	s := strings.TrimPrefix(string(head[:n]), "\ufeff")
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "{") && (strings.Contains(t, `"Event"`) || strings.Contains(t, `"Attribute"`)):
		return FormatMISP, nil
	case strings.HasPrefix(t, "{"):
		return FormatSTIX, nil
	case strings.EqualFold(filepath.Ext(path), ".csv"):
		return FormatCSV, nil
	}
	return FormatText, nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r     io.Reader
	n     int64
	total int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// clip shortens input quoted in messages.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
