//go:build !amd64

package detect

// prefetchWords does nothing where there is no prefetch in assembly here.
func prefetchWords(base *uint64, idx *uint32, n int) {}
