package intake

// Submission is one transaction handed to the node: its hash at once, and
// whether the mempool took it (Code 0) or CheckTx rejected it.
type Submission struct {
	TxHash   string   `json:"tx_hash"` // upper-case hex SHA-256 of the transaction
	Objects  []string `json:"objects"` // STIX ids carried, in order
	Code     uint32   `json:"code"`
	Codename string   `json:"codename"`
	Log      string   `json:"log,omitempty"`
}

// Outcome is what the ledger decided about a committed transaction.
type Outcome struct {
	TxHash   string          `json:"tx_hash"`
	Height   int64           `json:"height"`
	Code     uint32          `json:"code"`
	Codename string          `json:"codename"`
	Log      string          `json:"log,omitempty"`
	Records  []RecordOutcome `json:"records,omitempty"`
	Proposal uint64          `json:"proposal,omitempty"` // id of the proposal a propose transaction opened
}

// RecordOutcome names one record a committed transaction added.
type RecordOutcome struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Index   uint64 `json:"index"`
}
