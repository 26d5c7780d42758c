package detect

// prefetchWords asks the processor to bring base[idx[i]] into its cache
// for each of the n indexes, without waiting for them (PREFETCHT0: no
// fault, no result, nothing stalls on it).
//
//go:noescape
func prefetchWords(base *uint64, idx *uint32, n int)
