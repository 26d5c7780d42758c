package ledger

// Result codes of CheckTx and FinalizeBlock. They are part of the protocol
// (FinalizeBlock codes are hashed into the next block header): never
// renumber, only append.
const (
	CodeOK            uint32 = 0
	CodeMalformed     uint32 = 1  // not a decodable, canonical transaction
	CodeWrongChain    uint32 = 2  // chain id differs from this network's
	CodeBadSignature  uint32 = 3  // signature does not verify with the author's key
	CodeUnknownMember uint32 = 4  // author is not a member
	CodeRemovedMember uint32 = 5  // author was removed from the community
	CodeBadNonce      uint32 = 6  // replayed or out-of-order nonce
	CodeTooLarge      uint32 = 7  // transaction or object over the size limits
	CodeInvalidSTIX   uint32 = 8  // an object fails STIX 2.1 validation
	CodeDuplicate     uint32 = 9  // this object version is already on the ledger
	CodeNotOwner      uint32 = 10 // a new version of another member's object
	CodeUnknownType   uint32 = 11 // transaction type this ledger does not know
	CodeEmpty         uint32 = 12 // a publish transaction with no objects
	CodeInternal      uint32 = 13 // the node failed to read its own state
	CodeBadProposal   uint32 = 14 // a proposal that could never execute (bad member, keys, parameters)
	CodeNoProposal    uint32 = 15 // a vote on a proposal that does not exist
	CodeClosed        uint32 = 16 // a vote after the proposal's voting period
	CodeBadVote       uint32 = 17 // a vote that is not yes, no or abstain
)

var codeNames = [...]string{
	CodeOK:            "ok",
	CodeMalformed:     "malformed",
	CodeWrongChain:    "wrong_chain",
	CodeBadSignature:  "bad_signature",
	CodeUnknownMember: "unknown_member",
	CodeRemovedMember: "removed_member",
	CodeBadNonce:      "bad_nonce",
	CodeTooLarge:      "too_large",
	CodeInvalidSTIX:   "invalid_stix",
	CodeDuplicate:     "duplicate",
	CodeNotOwner:      "not_owner",
	CodeUnknownType:   "unknown_type",
	CodeEmpty:         "empty",
	CodeInternal:      "internal",
	CodeBadProposal:   "bad_proposal",
	CodeNoProposal:    "unknown_proposal",
	CodeClosed:        "voting_closed",
	CodeBadVote:       "bad_vote",

	CodeBadRecipient:    "bad_recipient",
	CodeUnknownGroup:    "unknown_group",
	CodeEmptyGroup:      "empty_group",
	CodeBadGroup:        "bad_group",
	CodeMustSeal:        "must_seal",
	CodeNotWithdrawable: "not_withdrawable",
	CodeBadProfile:      "bad_profile",
	CodeBadItems:        "bad_items",
}

// CodeName returns the stable name of a result code ("ok", "bad_nonce", …).
func CodeName(code uint32) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return "unknown"
}

// Codes of sealed records, sharing groups and withdrawal.
const (
	CodeBadRecipient    uint32 = 18 // a sealed record's recipient is not an active member, or not at its current key
	CodeUnknownGroup    uint32 = 19 // a record addressed to a sharing group that does not exist
	CodeEmptyGroup      uint32 = 20 // a record addressed to a group with no active member
	CodeBadGroup        uint32 = 21 // a group change that is not allowed (name, members, rights)
	CodeMustSeal        uint32 = 22 // a plaintext object marked above TLP:GREEN
	CodeNotWithdrawable uint32 = 23 // a withdrawal of a record that is not the author's sealed record
)

// CodeBadItems: a version 2 transaction whose items do not match its
// signed header (item count or items root).
const CodeBadItems uint32 = 25
