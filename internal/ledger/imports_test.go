package ledger

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLedgerImports keeps the state machine free of I/O and clocks: no
// SQLite, HTTP, os, files or networking, and no wall-clock reads.
func TestLedgerImports(t *testing.T) {
	forbidden := []string{"os", "os/exec", "net", "net/http", "database/sql", "modernc.org/sqlite", "io/ioutil", "math/rand", "math/rand/v2", "crypto/rand", "log", "log/slog"}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad {
					t.Errorf("%s imports %s: the ledger must do no I/O and read no clock", f, p)
				}
			}
		}
		for _, bad := range []string{"time.Now(", "time.Since(", "time.Until(", "go func", "float64", "float32"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s uses %s: not allowed in the state machine", f, bad)
			}
		}
	}
}
