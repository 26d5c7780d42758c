package dataset

import (
	"strings"
	"testing"
)

func TestRefangAndClassify(t *testing.T) {
	cases := []struct {
		in   string
		kind Kind
		want string
	}{
		{"hXXps[:]//honknft[.]com/connect?b=1", KindURL, "https://honknft.com/connect?b=1"},
		{"hxxp://333media[.]co[.]uk/.tmb/inf.inf", KindURL, "http://333media.co.uk/.tmb/inf.inf"},
		{"158[.]94[.]209[.]29", KindIPv4, "158.94.209.29"},
		{"Example[.]COM", KindDomain, "example.com"},
		{"9gag.red/gag/gag12.php", KindURL, "http://9gag.red/gag/gag12.php"},
		{"bad[@]example[.]org", KindEmail, "bad@example.org"},
		{"0C2674C3A97C53082187D930EFB645C2", KindMD5, "0c2674c3a97c53082187d930efb645c2"},
		{strings.Repeat("a", 40), KindSHA1, strings.Repeat("a", 40)},
		{strings.Repeat("b", 64), KindSHA256, strings.Repeat("b", 64)},
		{"2001:db8::1", KindIPv6, "2001:db8::1"},
	}
	for _, c := range cases {
		got, ok := classify(refang(c.in))
		if !ok || got.Kind != c.kind || got.Value != c.want {
			t.Errorf("classify(refang(%q)) = %v %q, %v; want %v %q", c.in, got.Kind, got.Value, ok, c.kind, c.want)
		}
	}
	for _, prose := range []string{"May-19", "APPENDIX B:", "73 SHA256 FILE HASHES"} {
		if got, ok := classify(prose); ok {
			t.Errorf("classify(%q) = %v %q; want no value", prose, got.Kind, got.Value)
		}
	}
}

func TestIndicatorValidates(t *testing.T) {
	ioc := IOC{Kind: KindURL, Value: `http://x.example/it's\here`, Source: "unit42:test", Label: "malicious"}
	o, err := ioc.Indicator()
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != "indicator" || len(o.Values) != 1 || o.Values[0] != ioc.Value {
		t.Errorf("indicator %s has values %q; want [%q]", o.ID, o.Values, ioc.Value)
	}
	again, _ := ioc.Indicator()
	if again.ID != o.ID || string(again.Raw) != string(o.Raw) {
		t.Error("the same IOC gave two different indicators")
	}
}

func TestUUIDv5Shape(t *testing.T) {
	u := uuidV5("ipv4:192.0.2.1")
	if len(u) != 36 || u[14] != '5' || !strings.ContainsRune("89ab", rune(u[19])) {
		t.Errorf("uuidV5 = %q; want a version 5, RFC 4122 variant UUID", u)
	}
}
