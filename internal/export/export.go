// Package export writes what a caller may read in the formats that IDSs,
// resolvers, firewalls, SIEMs and TIPs consume: a STIX 2.1 bundle, a MISP
// event, a Zeek intel file, Suricata dataset files, a DNS RPZ zone, plain
// blocklists and CSV. Every export reads through the same access.Scope as
// TAXII and may be incremental (Since: objects added after a time).
package export

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Reader is the read model an export pages through.
type Reader interface {
	List(ctx context.Context, q projection.ListQuery) (projection.ListPage, error)
}

// Options configure Write. Reader is required.
type Options struct {
	Reader Reader
	// Scope is what the caller may read (from the access.Policy).
	Scope access.Scope
	// Since exports only versions added to the ledger after it.
	Since time.Time
	// Now is the export time (expiry of indicators, MISP timestamps, RPZ
	// serial); zero means time.Now.
	Now time.Time
	// Zone is the RPZ zone's origin; "" means DefaultZone.
	Zone string
}

// DefaultZone is the origin of an RPZ export unless told otherwise.
const DefaultZone = "rpz.phalanx."

// format is one export format.
type format struct {
	contentType string
	desc        string
	stix        bool // reads whole objects, not observables
	write       func(ctx context.Context, w io.Writer, o Options, in *observables) error
}

var formats = map[string]format{
	"stix":             {"application/stix+json;version=2.1", "STIX 2.1 bundle of the latest version of every object (revocations included)", true, nil},
	"misp":             {"application/json", "MISP event (core format) with one attribute per observable", false, writeMISP},
	"zeek":             {"text/plain; charset=utf-8", "Zeek intel framework file (Intel::ADDR, SUBNET, DOMAIN, URL, EMAIL, FILE_HASH)", false, writeZeek},
	"suricata-ip":      {"text/plain; charset=utf-8", "Suricata dataset, type ip: IPv4 and IPv6 addresses", false, suricata(kindsIP, plain)},
	"suricata-domain":  {"text/plain; charset=utf-8", "Suricata dataset, type string (base64): domains, for dns.query", false, suricata([]string{"domain"}, base64Line)},
	"suricata-url":     {"text/plain; charset=utf-8", "Suricata dataset, type string (base64): URLs", false, suricata([]string{"url"}, base64Line)},
	"suricata-email":   {"text/plain; charset=utf-8", "Suricata dataset, type string (base64): e-mail addresses", false, suricata([]string{"email"}, base64Line)},
	"suricata-md5":     {"text/plain; charset=utf-8", "Suricata dataset, type md5 (hex)", false, suricata([]string{"md5"}, plain)},
	"suricata-sha256":  {"text/plain; charset=utf-8", "Suricata dataset, type sha256 (hex)", false, suricata([]string{"sha256"}, plain)},
	"rpz":              {"text/dns", "DNS response policy zone (NXDOMAIN for domains and their subdomains, rpz-ip for addresses)", false, writeRPZ},
	"blocklist-ipv4":   {"text/plain; charset=utf-8", "IPv4 addresses and CIDR blocks, one a line", false, blocklist("ipv4")},
	"blocklist-ipv6":   {"text/plain; charset=utf-8", "IPv6 addresses and CIDR blocks, one a line", false, blocklist("ipv6")},
	"blocklist-domain": {"text/plain; charset=utf-8", "domains, one a line", false, blocklist("domain")},
	"blocklist-url":    {"text/plain; charset=utf-8", "URLs, one a line", false, blocklist("url")},
	"blocklist-hash":   {"text/plain; charset=utf-8", "MD5, SHA-1, SHA-256 and SHA-512 hashes, one a line", false, blocklist("hash")},
	"csv":              {"text/csv; charset=utf-8", "CSV for SIEM lookups: type,value,stix_id,name,labels,tlp,date_added,valid_until", false, writeCSV},
}

// Formats lists the format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Describe returns a format's one-line description.
func Describe(name string) string { return formats[name].desc }

// ContentType returns the media type of a format, or errs.Invalid for an
// unknown one.
func ContentType(name string) (string, error) {
	f, ok := formats[name]
	if !ok {
		return "", errs.Errorf(errs.Invalid, "unknown export format %q; want one of %s", clip(name), strings.Join(Formats(), ", "))
	}
	return f.contentType, nil
}

// Write writes the export in format name to w.
func Write(ctx context.Context, w io.Writer, name string, o Options) error {
	f, ok := formats[name]
	if !ok {
		_, err := ContentType(name)
		return err
	}
	if o.Reader == nil {
		return fmt.Errorf("export: Options.Reader is required")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if f.stix {
		return writeSTIX(ctx, w, o)
	}
	return f.write(ctx, w, o, &observables{o: o})
}

// scan pages through every latest version the scope allows, added after
// Since, of the given types (all when empty), calling fn for each.
func scan(ctx context.Context, o Options, types []string, fn func(projection.Version) error) error {
	q := projection.ListQuery{Types: types, AddedAfter: o.Since, Limit: projection.MaxLimit, Viewer: &o.Scope.Viewer}
	for {
		p, err := o.Reader.List(ctx, q)
		if err != nil {
			return fmt.Errorf("export: read: %w", err)
		}
		for _, v := range p.Items {
			if err := fn(v); err != nil {
				return err
			}
		}
		if !p.More {
			return nil
		}
		q.After, q.HasAfter = p.Last, true
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
