package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// This file reads the plain-text and CSV IOC lists of ../shared/testdata/iocs
// (see its README.md for their shapes) into IOC values.

// readLines calls fn with every trimmed, non-blank line of a file.
func readLines(path string, fn func(line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// readIpsum reads ipsum/ipsum.txt: "IPv4<TAB>number of blocklists".
func readIpsum(dir string) ([]IOC, error) {
	var out []IOC
	err := readLines(filepath.Join(dir, "ipsum", "ipsum.txt"), func(line string) error {
		if strings.HasPrefix(line, "#") {
			return nil
		}
		ip, count, _ := strings.Cut(line, "\t")
		kind, ok := ipKind(ip)
		if !ok {
			return fmt.Errorf("ipsum: %q is not an IP address", ip)
		}
		out = append(out, IOC{Kind: kind, Value: ip, Source: "ipsum", Note: "listed on " + count + " IPsum blocklists"})
		return nil
	})
	return out, err
}

// readHashIOCs reads signature-base/hash-iocs.txt: "HASH;COMMENT".
func readHashIOCs(dir string) ([]IOC, error) {
	var out []IOC
	err := readLines(filepath.Join(dir, "signature-base", "hash-iocs.txt"), func(line string) error {
		if strings.HasPrefix(line, "#") {
			return nil
		}
		hash, comment, _ := strings.Cut(line, ";")
		kind, ok := hashKind(hash)
		if !ok {
			return fmt.Errorf("signature-base hash-iocs: %q is not an MD5, SHA-1 or SHA-256", hash)
		}
		out = append(out, IOC{Kind: kind, Value: strings.ToLower(hash), Source: "signature-base:hash-iocs",
			Label: "malware", Note: strings.TrimSpace(comment)})
		return nil
	})
	return out, err
}

// readC2IOCs reads signature-base/c2-iocs.txt: C2 domains and IPs (some as
// "IP;score") grouped under "# comment" headers, which become the note.
func readC2IOCs(dir string) ([]IOC, error) {
	var out []IOC
	note := ""
	err := readLines(filepath.Join(dir, "signature-base", "c2-iocs.txt"), func(line string) error {
		if c, ok := strings.CutPrefix(line, "#"); ok {
			note = strings.TrimSpace(c)
			return nil
		}
		value, _, _ := strings.Cut(line, ";")
		ioc, ok := classify(value)
		if !ok {
			return fmt.Errorf("signature-base c2-iocs: cannot classify %q", line)
		}
		ioc.Source, ioc.Label, ioc.Note = "signature-base:c2-iocs", "c2", note
		out = append(out, ioc)
		return nil
	})
	return out, err
}

// readUnit42 reads every unit42/*.txt list: one value a line, defanged or
// not, after a few prose lines that are skipped.
func readUnit42(dir string) ([]IOC, error) {
	files, err := filepath.Glob(filepath.Join(dir, "unit42", "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []IOC
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		err := readLines(path, func(line string) error {
			if ioc, ok := classify(refang(line)); ok {
				ioc.Source, ioc.Label, ioc.Note = "unit42:"+name, "malicious", "Unit 42 list "+name
				out = append(out, ioc)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readInfoblox reads every infoblox-csv/*.csv file:
// "type,indicator,classification,detected_date" with defanged values.
func readInfoblox(dir string) ([]IOC, error) {
	files, err := filepath.Glob(filepath.Join(dir, "infoblox-csv", "*.csv"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []IOC
	for _, path := range files {
		iocs, err := readInfobloxFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, iocs...)
	}
	return out, nil
}

func readInfobloxFile(path string) ([]IOC, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := strings.TrimSuffix(filepath.Base(path), ".csv")
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var out []IOC
	for row := 0; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if row == 0 || len(rec) < 3 {
			continue // header
		}
		ioc, ok := infobloxIOC(rec[0], rec[1])
		if !ok {
			continue // telfhash, or a value that is not what its type says
		}
		ioc.Source, ioc.Label, ioc.Note = "infoblox:"+name, strings.TrimSpace(rec[2]), "Infoblox "+name
		out = append(out, ioc)
	}
}

// infobloxIOC reads one CSV row's type and defanged value.
func infobloxIOC(typ, value string) (IOC, bool) {
	v := refang(strings.TrimSpace(value))
	switch strings.TrimSpace(typ) {
	case "url":
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		return IOC{Kind: KindURL, Value: v}, true
	case "domain", "ip", "ipv4", "email", "sha256":
		return classify(v)
	default:
		return IOC{}, false
	}
}

// refang undoes the usual defanging: "[.]", "[:]", "[@]" and an "hxxp"
// scheme in any case.
func refang(s string) string {
	s = strings.NewReplacer("[.]", ".", "[:]", ":", "[@]", "@", "(.)", ".").Replace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "hxxp") {
		s = "http" + s[4:]
	}
	return s
}

// classify decides what kind of observable a (re-fanged) value is. URLs
// without a scheme ("host/path", "host:port") get "http://".
func classify(v string) (IOC, bool) {
	if kind, ok := hashKind(v); ok {
		return IOC{Kind: kind, Value: strings.ToLower(v)}, true
	}
	if kind, ok := ipKind(v); ok {
		return IOC{Kind: kind, Value: v}, true
	}
	switch {
	case strings.ContainsAny(v, " \t\"<>"):
		return IOC{}, false
	case strings.Contains(v, "://"):
		return IOC{Kind: KindURL, Value: v}, true
	case strings.Contains(v, "@") && !strings.Contains(v, "/"):
		return IOC{Kind: KindEmail, Value: v}, true
	case strings.ContainsAny(v, "/:?"):
		return IOC{Kind: KindURL, Value: "http://" + v}, true
	case isHostname(v):
		return IOC{Kind: KindDomain, Value: strings.ToLower(v)}, true
	}
	return IOC{}, false
}

// hashKind recognises hex MD5, SHA-1 and SHA-256 values by length.
func hashKind(v string) (Kind, bool) {
	if strings.Trim(v, "0123456789abcdefABCDEF") != "" {
		return 0, false
	}
	switch len(v) {
	case 32:
		return KindMD5, true
	case 40:
		return KindSHA1, true
	case 64:
		return KindSHA256, true
	}
	return 0, false
}

// ipKind recognises IPv4 and IPv6 addresses.
func ipKind(v string) (Kind, bool) {
	a, err := netip.ParseAddr(v)
	switch {
	case err != nil:
		return 0, false
	case a.Is4():
		return KindIPv4, true
	default:
		return KindIPv6, true
	}
}

// isHostname accepts dotted names of letters, digits, '-' and '_' (the last
// occurs in real malicious names), with a letter somewhere in the last label.
func isHostname(v string) bool {
	labels := strings.Split(strings.TrimSuffix(v, "."), ".")
	if len(labels) < 2 || len(v) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return strings.ContainsAny(labels[len(labels)-1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
}
