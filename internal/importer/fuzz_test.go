package importer

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzBundle: any input yields items or an error, never a panic, and
// every item's object is valid.
func FuzzBundle(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"ipv4-addr","id":"ipv4-addr--5d0092c5-5f74-4287-9642-33f4c354e56d","value":"10.0.0.1"}]}`))
	f.Add([]byte(`{"spec_version":"2.0","objects":[{"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09Z","modified":"2016-04-06T20:07:09Z","name":"x","labels":["a"]}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := newBundleSource(&countingReader{r: bytes.NewReader(data)}, io.NopCloser(nil))
		for i := 0; i < 10000; i++ {
			it, err := src.Next()
			if err != nil {
				return
			}
			if it.Object == nil && it.Reject == "" {
				t.Fatal("item with neither object nor reason")
			}
		}
	})
}

// FuzzMISPEvent: any input is refused or yields valid items.
func FuzzMISPEvent(f *testing.F) {
	f.Add([]byte(`{"Event":{"uuid":"0dbb179a-1c8c-4e7c-a264-2440414dbac8","info":"x","timestamp":"1700000000","distribution":"1","Tag":[{"name":"tlp:amber"}],"Attribute":[{"uuid":"77084a53-a024-43cb-8881-c8a715bf9de3","type":"ip-dst|port","value":"10.0.0.1|443","timestamp":"1700000000","distribution":"5"}]}}`))
	f.Add([]byte(`{"Event":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseMISPEvent(data)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.Object == nil && it.Reject == "" {
				t.Fatal("item with neither object nor reason")
			}
		}
	})
}

// FuzzIOCList: CSV and text lists never panic; every object is valid.
func FuzzIOCList(f *testing.F) {
	f.Add("type,indicator,classification\ndomain,a[.]example,malware\n", true)
	f.Add("# c\n10.0.0.1\t3\nd41d8cd98f00b204e9800998ecf8427e;comment\n", false)
	f.Fuzz(func(t *testing.T, data string, isCSV bool) {
		src := newIOCSource(&countingReader{r: strings.NewReader(data)}, io.NopCloser(nil), isCSV, Options{Now: time.Unix(1e9, 0)})
		for i := 0; i < 10000; i++ {
			it, err := src.Next()
			if err != nil {
				return
			}
			if it.Object == nil && it.Reject == "" {
				t.Fatal("item with neither object nor reason")
			}
		}
	})
}
