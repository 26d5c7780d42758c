package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// writeRPZ writes a response policy zone (ISC, draft-vixie-dnsop-dns-rpz):
// each domain and its subdomains answer NXDOMAIN (CNAME .), each IPv4/IPv6
// address and CIDR block is an rpz-ip trigger. The serial is the export
// time in unix seconds.
func writeRPZ(ctx context.Context, w io.Writer, o Options, in *observables) error {
	zone := o.Zone
	if zone == "" {
		zone = DefaultZone
	}
	if !strings.HasSuffix(zone, ".") {
		zone += "."
	}
	if !validName(strings.TrimSuffix(zone, "."), 255) {
		return fmt.Errorf("export: invalid RPZ zone name %q", clip(zone))
	}
	room := 253 - len(zone) // owner names must fit in 255 octets with the origin
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "$ORIGIN %s\n$TTL 300\n", zone)
	fmt.Fprintf(bw, "@ IN SOA localhost. hostmaster.localhost. ( %d 3600 600 86400 300 )\n", o.Now.Unix())
	bw.WriteString("@ IN NS localhost.\n")
	owners := map[string]bool{} // 10.0.0.1 and 10.0.0.1/32 share an owner
	err := in.each(ctx, func(e Entry) error {
		switch e.Kind {
		case "domain":
			if validName(e.Value, room-2) {
				fmt.Fprintf(bw, "%s CNAME .\n*.%s CNAME .\n", e.Value, e.Value)
			}
		case "ipv4", "ipv6", "cidr":
			if owner, ok := rpzIP(e.Value); ok && !owners[owner] {
				owners[owner] = true
				fmt.Fprintf(bw, "%s CNAME .\n", owner)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// validName reports whether s is a host name a zone file can hold as an
// owner: labels of 1-63 letters, digits, '-' or '_', total at most max.
func validName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// rpzIP returns the rpz-ip owner name of an address or prefix: the prefix
// length, then the address's octets (IPv4) or 16-bit groups (IPv6, "zz"
// for the longest run of zero groups) in reverse order.
func rpzIP(v string) (string, bool) {
	var p netip.Prefix
	if strings.Contains(v, "/") {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return "", false
		}
		p = p.Masked()
	} else {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	a := p.Addr()
	if a.Is4() {
		if p.Bits() < 1 {
			return "", false
		}
		b := a.As4()
		return fmt.Sprintf("%d.%d.%d.%d.%d.rpz-ip", p.Bits(), b[3], b[2], b[1], b[0]), true
	}
	if p.Bits() < 1 {
		return "", false
	}
	b := a.As16()
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = strconv.FormatUint(uint64(b[2*i])<<8|uint64(b[2*i+1]), 16)
	}
	start, n := longestZeroRun(groups)
	var parts []string
	for i := len(groups) - 1; i >= 0; i-- {
		switch {
		case n >= 2 && i == start+n-1:
			parts = append(parts, "zz")
		case n >= 2 && i >= start && i < start+n:
		default:
			parts = append(parts, groups[i])
		}
	}
	return strconv.Itoa(p.Bits()) + "." + strings.Join(parts, ".") + ".rpz-ip", true
}

// longestZeroRun finds the first longest run of "0" groups.
func longestZeroRun(groups []string) (start, n int) {
	for i := 0; i < len(groups); {
		if groups[i] != "0" {
			i++
			continue
		}
		j := i
		for j < len(groups) && groups[j] == "0" {
			j++
		}
		if j-i > n {
			start, n = i, j-i
		}
		i = j
	}
	return start, n
}
