package export

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// writeSTIX streams a bundle of the latest version of every readable
// object.
func writeSTIX(ctx context.Context, w io.Writer, o Options) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.NewString())
	first := true
	err := scan(ctx, o, nil, func(v projection.Version) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		_, err := bw.Write(v.Object)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// exportNS is the UUIDv5 namespace of exported MISP attribute uuids:
// UUIDv5(exportNS, source id "|" kind "|" value).
var exportNS = uuid.MustParse("7c1f7e7a-5b55-5f0b-8d1e-2b8f4c9a6d30")

// mispAttr is a MISP core-format attribute (format 2.4: every value a
// string, to_ids a boolean).
type mispAttr struct {
	UUID         string    `json:"uuid"`
	Type         string    `json:"type"`
	Category     string    `json:"category"`
	Value        string    `json:"value"`
	ToIDs        bool      `json:"to_ids"`
	Distribution string    `json:"distribution"`
	Timestamp    string    `json:"timestamp"`
	Comment      string    `json:"comment"`
	Tag          []mispTag `json:"Tag,omitempty"`
}

type mispTag struct {
	Name string `json:"name"`
}

// mispType maps ioc kinds to MISP attribute types and categories.
var mispType = map[string][2]string{
	"ipv4": {"ip-dst", "Network activity"}, "ipv6": {"ip-dst", "Network activity"}, "cidr": {"ip-dst", "Network activity"},
	"domain": {"domain", "Network activity"}, "url": {"url", "Network activity"}, "email": {"email-src", "Payload delivery"},
	"md5": {"md5", "Payload delivery"}, "sha1": {"sha1", "Payload delivery"}, "sha256": {"sha256", "Payload delivery"}, "sha512": {"sha512", "Payload delivery"},
}

// writeMISP writes one MISP event holding every observable; attributes
// inherit the event's distribution (5), TLP and labels become tags.
func writeMISP(ctx context.Context, w io.Writer, o Options, in *observables) error {
	bw := bufio.NewWriter(w)
	ts := strconv.FormatInt(o.Now.Unix(), 10)
	head := map[string]any{"uuid": uuid.NewString(), "info": "Phalanx export", "date": o.Now.Format("2006-01-02"),
		"timestamp": ts, "published": false, "analysis": "2", "threat_level_id": "4", "distribution": "0",
		"Orgc": map[string]string{"name": "Phalanx", "uuid": exportNS.String()}}
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	bw.WriteString(`{"Event":`)
	bw.Write(hb[:len(hb)-1])
	bw.WriteString(`,"Attribute":[`)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	first := true
	err = in.each(ctx, func(e Entry) error {
		t := mispType[e.Kind]
		a := mispAttr{UUID: uuid.NewSHA1(exportNS, []byte(e.SourceID+"|"+e.Kind+"|"+e.Value)).String(),
			Type: t[0], Category: t[1], Value: e.Value, ToIDs: true, Distribution: "5",
			Timestamp: strconv.FormatInt(e.Added.Unix(), 10), Comment: e.Name}
		if e.TLP != "" {
			a.Tag = append(a.Tag, mispTag{"tlp:" + e.TLP})
		}
		for _, l := range e.Labels {
			a.Tag = append(a.Tag, mispTag{l})
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		return enc.Encode(a)
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}

// zeekType maps ioc kinds to Zeek Intel::Type values.
var zeekType = map[string]string{
	"ipv4": "Intel::ADDR", "ipv6": "Intel::ADDR", "cidr": "Intel::SUBNET", "domain": "Intel::DOMAIN",
	"url": "Intel::URL", "email": "Intel::EMAIL", "md5": "Intel::FILE_HASH", "sha1": "Intel::FILE_HASH",
	"sha256": "Intel::FILE_HASH", "sha512": "Intel::FILE_HASH",
}

// writeZeek writes an intel framework file: a #fields header, then one
// tab-separated line per indicator; "-" marks an unset field. Intel::URL
// values carry no scheme, as Zeek matches them against Host + URI.
func writeZeek(ctx context.Context, w io.Writer, o Options, in *observables) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n")
	err := in.each(ctx, func(e Entry) error {
		v := e.Value
		if e.Kind == "url" {
			v = strings.TrimPrefix(strings.TrimPrefix(v, "http://"), "https://")
		}
		if !zeekSafe(v) {
			return nil
		}
		desc := zeekField(e.SourceID + " " + e.Name)
		fmt.Fprintf(bw, "%s\t%s\tphalanx\t%s\t-\n", v, zeekType[e.Kind], desc)
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// zeekSafe reports whether v can be a Zeek ASCII input field: no tabs,
// newlines or other control characters, not "-" or "(empty)".
func zeekSafe(v string) bool {
	if v == "" || v == "-" || v == "(empty)" {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// zeekField makes free text a single field: control characters become
// spaces; empty becomes "-".
func zeekField(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "-"
	}
	return s
}

var kindsIP = []string{"ipv4", "ipv6"}

// suricata writes a dataset file: one value a line, encoded by enc.
func suricata(kinds []string, enc func(string) string) func(context.Context, io.Writer, Options, *observables) error {
	return func(ctx context.Context, w io.Writer, o Options, in *observables) error {
		bw := bufio.NewWriter(w)
		err := in.each(ctx, func(e Entry) error {
			for _, k := range kinds {
				if e.Kind == k {
					bw.WriteString(enc(e.Value) + "\n")
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	}
}

func plain(s string) string      { return s }
func base64Line(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// blocklist writes the values of one family, one a line.
func blocklist(family string) func(context.Context, io.Writer, Options, *observables) error {
	return func(ctx context.Context, w io.Writer, o Options, in *observables) error {
		bw := bufio.NewWriter(w)
		err := in.each(ctx, func(e Entry) error {
			if familyOf(e) == family && !strings.ContainsAny(e.Value, "\r\n") {
				bw.WriteString(e.Value + "\n")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	}
}

// familyOf groups kinds into blocklist families.
func familyOf(e Entry) string {
	switch e.Kind {
	case "ipv4", "ipv6":
		return e.Kind
	case "cidr":
		if p, err := netip.ParsePrefix(e.Value); err == nil && p.Addr().Is4() {
			return "ipv4"
		}
		return "ipv6"
	case "md5", "sha1", "sha256", "sha512":
		return "hash"
	}
	return e.Kind
}

// writeCSV writes RFC 4180 CSV with a header row.
func writeCSV(ctx context.Context, w io.Writer, o Options, in *observables) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"type", "value", "stix_id", "name", "labels", "tlp", "date_added", "valid_until"})
	err := in.each(ctx, func(e Entry) error {
		until := ""
		if !e.ValidUntil.IsZero() {
			until = e.ValidUntil.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return cw.Write([]string{e.Kind, csvSafe(e.Value), e.SourceID, csvSafe(e.Name), csvSafe(strings.Join(e.Labels, ";")), e.TLP,
			e.Added.UTC().Format("2006-01-02T15:04:05.000Z"), until})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formula injection: a cell starting with =,
// +, -, @, tab or CR gets a leading apostrophe (OWASP CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
