package proof

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestVerifyStream: a stream of bundles reports exactly its failing lines,
// in order, whatever the number of workers, and counts the rest.
func TestVerifyStream(t *testing.T) {
	v1, v2 := buildExample(t, 1), buildExample(t, 2)
	line := func(b *Bundle) string {
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	tampered := cloneBundle(t, v2.bundle)
	tampered.TxObject++
	var lines []string
	for i := range 1200 { // more than two chunks
		switch {
		case i == 3:
			lines = append(lines, "")
		case i == 700:
			lines = append(lines, line(tampered))
		case i == 1100:
			lines = append(lines, `{"format":"not a bundle"}`)
		case i%2 == 0:
			lines = append(lines, line(v1.bundle))
		default:
			lines = append(lines, "  "+line(v2.bundle)+"\r")
		}
	}
	in := strings.Join(lines, "\n") // no newline after the last line
	for _, workers := range []int{1, 3} {
		var got []StreamFailure
		sum, err := VerifyStream(context.Background(), strings.NewReader(in), v1.members, workers, func(f StreamFailure) error {
			got = append(got, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if sum != (StreamSummary{Bundles: 1199, Failed: 2}) || len(got) != 2 {
			t.Fatalf("workers %d: summary %+v, failures %+v", workers, sum, got)
		}
		if got[0].Line != 701 || strings.Join(got[0].Report.Failed(), ",") != "tx_item" || got[0].ObjectID != v2.bundle.Record.ObjectID {
			t.Errorf("workers %d: first failure %+v", workers, got[0])
		}
		if got[1].Line != 1101 || !strings.Contains(got[1].Error, "proof bundle") {
			t.Errorf("workers %d: second failure %+v", workers, got[1])
		}
	}
}

func TestVerifyStreamStops(t *testing.T) {
	ex := buildExample(t, 2)
	stop := errors.New("stop")
	_, err := VerifyStream(context.Background(), strings.NewReader("x\ny\n"), ex.members, 2, func(StreamFailure) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("the callback's error was not returned: %v", err)
	}
	huge := bytes.Repeat([]byte("a"), MaxBundleBytes+2)
	sum, err := VerifyStream(context.Background(), bytes.NewReader(append([]byte("{}\n"), huge...)), ex.members, 2, func(StreamFailure) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 2: over") || sum.Bundles != 1 || sum.Failed != 1 {
		t.Fatalf("oversized line: %+v %v", sum, err)
	}
	sum, err = VerifyStream(context.Background(), strings.NewReader("\n\n"), ex.members, 2, func(StreamFailure) error { return nil })
	if err != nil || sum.Bundles != 0 {
		t.Fatalf("blank stream: %+v %v", sum, err)
	}
}
