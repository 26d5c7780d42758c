package taxii

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Limits of the filters a request may carry.
const (
	// MaxPageSize is the most objects one page holds; larger limits are
	// clamped to it (TAXII 2.1 §3.4 lets the server return fewer).
	MaxPageSize  = projection.MaxLimit
	maxMatchVals = 100 // values of one match[...] filter
	maxParamLen  = 8192
)

var (
	stixIDRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	stixTypeRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$`)
	specVersionRe = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)
)

// filters are a request's URL parameters (TAXII 2.1 §3.3, §3.4).
type filters struct {
	q            projection.ListQuery
	noneSpec     bool // match[spec_version] excludes 2.1: nothing matches
	versionGiven bool
}

// parseFilters reads the parameters allowed: any of added_after, limit,
// next, match[id], match[type], match[version], match[spec_version].
// Parameters an endpoint does not support are ignored, as §3.3 allows.
func parseFilters(r *http.Request, allowed ...string) (filters, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return filters{}, errs.Errorf(errs.Invalid, "malformed query string: %v", err)
	}
	var f filters
	for _, name := range allowed {
		vs, ok := vals[name]
		if !ok {
			continue
		}
		if err := f.apply(name, vs); err != nil {
			return filters{}, err
		}
	}
	return f, nil
}

func (f *filters) apply(name string, vs []string) error {
	for _, v := range vs {
		if len(v) > maxParamLen {
			return errs.Errorf(errs.Invalid, "%s: value longer than %d bytes", name, maxParamLen)
		}
	}
	switch name {
	case "added_after", "limit", "next":
		if len(vs) != 1 {
			return errs.Errorf(errs.Invalid, "%s: given %d times, at most once", name, len(vs))
		}
		return f.single(name, vs[0])
	}
	list, err := splitList(name, vs)
	if err != nil {
		return err
	}
	switch name {
	case "match[id]":
		return f.ids(list)
	case "match[type]":
		return f.types(list)
	case "match[version]":
		return f.versions(list)
	case "match[spec_version]":
		return f.specVersions(list)
	}
	return nil
}

func (f *filters) single(name, v string) error {
	switch name {
	case "added_after":
		t, err := parseTimestamp(v)
		if err != nil {
			return errs.Errorf(errs.Invalid, "added_after: %q is not an RFC 3339 timestamp", clip(v))
		}
		f.q.AddedAfter = t
	case "limit":
		n, err := strconv.Atoi(v)
		switch {
		case err != nil && v != "" && strings.Trim(v, "0123456789") == "" && v[0] != '0':
			n = MaxPageSize // a number too large for int is clamped like any huge limit
		case err != nil || n < 1:
			return errs.Errorf(errs.Invalid, "limit: %q is not a positive integer", clip(v))
		}
		f.q.Limit = min(n, MaxPageSize)
	case "next":
		idx, err := projection.DecodeListCursor(v)
		if err != nil {
			return err
		}
		f.q.After, f.q.HasAfter = idx, true
	}
	return nil
}

// splitList splits comma-separated values (also across repeated
// parameters).
func splitList(name string, vs []string) ([]string, error) {
	var out []string
	for _, v := range vs {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return nil, errs.Errorf(errs.Invalid, "%s: empty value", name)
			}
			out = append(out, item)
		}
	}
	if len(out) > maxMatchVals {
		return nil, errs.Errorf(errs.Invalid, "%s: %d values, at most %d", name, len(out), maxMatchVals)
	}
	return out, nil
}

func (f *filters) ids(list []string) error {
	for _, id := range list {
		if !stixIDRe.MatchString(id) {
			return errs.Errorf(errs.Invalid, "match[id]: %q is not a STIX identifier (type--UUID)", clip(id))
		}
	}
	f.q.IDs = list
	return nil
}

func (f *filters) types(list []string) error {
	for _, t := range list {
		if !stixTypeRe.MatchString(t) {
			return errs.Errorf(errs.Invalid, "match[type]: %q is not a STIX type name", clip(t))
		}
	}
	f.q.Types = list
	return nil
}

func (f *filters) versions(list []string) error {
	f.versionGiven = true
	for _, v := range list {
		switch v {
		case "first":
			f.q.Versions.First = true
		case "last":
			f.q.Versions.Last = true
		case "all":
			f.q.Versions.All = true
		default:
			t, err := parseTimestamp(v)
			if err != nil {
				return errs.Errorf(errs.Invalid, "match[version]: %q is not first, last, all or an RFC 3339 timestamp", clip(v))
			}
			f.q.Versions.At = append(f.q.Versions.At, t)
		}
	}
	return nil
}

// specVersions: every object this node holds is STIX 2.1, so a filter
// without 2.1 matches nothing.
func (f *filters) specVersions(list []string) error {
	has21 := false
	for _, v := range list {
		if !specVersionRe.MatchString(v) {
			return errs.Errorf(errs.Invalid, "match[spec_version]: %q is not a version like 2.1", clip(v))
		}
		has21 = has21 || v == "2.1"
	}
	f.noneSpec = !has21
	return nil
}

// parseTimestamp parses an RFC 3339 timestamp (TAXII 2.1 §3.3.1 uses the
// STIX timestamp form; any offset is accepted and converted to UTC).
func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// formatTimestamp writes a TAXII timestamp: UTC, "Z", with as many
// fraction digits as needed (block times carry nanoseconds, and a client
// resuming with added_after must not see the last object again).
func formatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}
