// Package testutil holds helpers shared by tests.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SharedTestdata returns the absolute path of ../shared/testdata (beside the
// project root). Under CI=true a missing folder fails the test; elsewhere the
// test is skipped with a message saying what is missing.
func SharedTestdata(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", "testdata")
	if env := os.Getenv("PHALANX_SHARED_TESTDATA"); env != "" {
		dir = env
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing at %s (CI=true): %v", dir, err)
		}
		t.Skipf("shared test data not found at %s; clone ../shared beside the project to run this test", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
