package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// newGovCmd returns "phalanx gov": governance proposals and votes.
func newGovCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gov",
		Short: "Propose and vote on admitting or removing members, key rotations and parameters",
		Long: "Governance of the community. A member proposes a change (proposing and voting\n" +
			"need an admin token; they are signed as this node's member); every active member\n" +
			"votes yes, no or abstain until the proposal's end height, when the ledger tallies\n" +
			"the votes and executes a proposal that passed.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newGovProposeCmd(g), newGovVoteCmd(g), newGovListCmd(g), newGovShowCmd(g), newGovParamsCmd(g))
	return cmd
}

func newGovParamsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Print the community parameters in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Params(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), p)
		},
	}
}

// submitFlags are the flags of the commands that submit a transaction.
type submitFlags struct {
	noWait  bool
	timeout time.Duration
}

func (f *submitFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().BoolVar(&f.noWait, "no-wait", false, "return once submitted, without waiting for the commit")
	cmd.PersistentFlags().DurationVar(&f.timeout, "timeout", api.DefaultPublishTimeout, "how long to wait for the commit")
}

// proposeFlags are the flags every "gov propose" command takes.
type proposeFlags struct {
	submitFlags
	title string
}

func newGovProposeCmd(g *globals) *cobra.Command {
	f := &proposeFlags{}
	cmd := &cobra.Command{
		Use:   "propose",
		Short: "Propose admitting or removing a member, rotating a member's keys, or new parameters",
		Long: "Propose a governance change, signed as this node's member (needs an admin token).\n" +
			"Waits for the commit and prints the transaction and the new proposal's id:\n" +
			"  tx HASH height H CODENAME\n" +
			"  proposal ID open: KIND SUBJECT; voting ends at height E\n" +
			"and exits non-zero if the ledger refused the proposal.",
		Args: cobra.NoArgs,
	}
	f.add(cmd)
	cmd.PersistentFlags().StringVar(&f.title, "title", "", "what the proposal is for, for the voters (at most 500 bytes)")
	cmd.AddCommand(newProposeAdmitCmd(g, f), newProposeRemoveCmd(g, f), newProposeRotateCmd(g, f), newProposeParamsCmd(g, f))
	return cmd
}

func newProposeAdmitCmd(g *globals, f *proposeFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "admit --application FILE",
		Short: "Propose admitting the organisation whose membership application is FILE",
		Long: "Propose admitting an organisation. FILE (or - for stdin) is the application that\n" +
			"\"phalanx init --join\" wrote (DIR/application.json): the member's id, name, public\n" +
			"keys, sectors and regions. Its node address and contact are for the members, not\n" +
			"the ledger, and are left out of the proposal.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := readApplication(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			m := applicant(app)
			return runPropose(cmd, g, f, ledger.Propose{Kind: ledger.KindAdmit, Member: &m})
		},
	}
	cmd.Flags().StringVar(&file, "application", "", "the membership application (JSON; - for stdin)")
	_ = cmd.MarkFlagRequired("application") // the flag exists
	return cmd
}

func newProposeRemoveCmd(g *globals, f *proposeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "remove MEMBER",
		Short: "Propose removing an active member (its node stops validating)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPropose(cmd, g, f, ledger.Propose{Kind: ledger.KindRemove, Target: args[0]})
		},
	}
}

func newProposeRotateCmd(g *globals, f *proposeFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "rotate --application FILE",
		Short: "Propose replacing an active member's public keys with those of FILE",
		Long: "Propose replacing a member's public keys. FILE (or - for stdin) has the format of\n" +
			"a membership application (\"phalanx init --join\"): its id names the existing\n" +
			"member, its sign_key, seal_key and validator_key are the new keys (no\n" +
			"validator_key keeps the current one). Other fields are ignored.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := readApplication(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			r := ledger.Rotation{Member: app.ID, SignKey: app.SignKey, SealKey: app.SealKey, ValidatorKey: app.ValidatorKey}
			return runPropose(cmd, g, f, ledger.Propose{Kind: ledger.KindRotate, Rotation: &r})
		},
	}
	cmd.Flags().StringVar(&file, "application", "", "the member's id and new keys (JSON; - for stdin)")
	_ = cmd.MarkFlagRequired("application") // the flag exists
	return cmd
}

// readApplication reads a membership application strictly, so a misspelt
// field fails here rather than as a key of the wrong length at the ledger.
func readApplication(stdin io.Reader, name string) (daemon.Application, error) {
	b, err := readInput(stdin, name)
	if err != nil {
		return daemon.Application{}, err
	}
	var app daemon.Application
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&app); err != nil {
		return daemon.Application{}, fmt.Errorf("application %s: %w", name, err)
	}
	if app.ID == "" {
		return daemon.Application{}, fmt.Errorf("application %s: no member id", name)
	}
	return app, nil
}

// applicant is the member an application asks to admit. Power, status and
// join height are left for the ledger to set on admission.
func applicant(a daemon.Application) ledger.Member {
	return ledger.Member{ID: a.ID, Name: a.Name, SignKey: a.SignKey, SealKey: a.SealKey,
		ValidatorKey: a.ValidatorKey, Sectors: a.Sectors, Regions: a.Regions, Technologies: a.Technologies}
}

// paramsFlags are the flags of "gov propose params".
type paramsFlags struct {
	votingPeriod, maxTxBytes, maxObjectBytes, maxObjectsPerTx int64
	approval, quorum                                          string
}

func newProposeParamsCmd(g *globals, f *proposeFlags) *cobra.Command {
	var pf paramsFlags
	cmd := &cobra.Command{
		Use:   "params [--voting-period N] [--approval N/D] [--quorum N/D] [--max-tx-bytes N] [--max-object-bytes N] [--max-objects-per-tx N]",
		Short: "Propose new community parameters",
		Long: "Propose new community parameters: the given flags change the ones in force\n" +
			"(GET /v1/gov/params; see them with \"phalanx gov params\").\n\n" +
			"A proposal passes when its yes votes are more than the approval fraction of\n" +
			"the active members and at least the quorum fraction of them voted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProposeParams(cmd, g, f, pf)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&pf.votingPeriod, "voting-period", 0, "blocks a proposal stays open")
	fl.StringVar(&pf.approval, "approval", "", "yes votes needed, as a fraction N/D of the active members (more than it)")
	fl.StringVar(&pf.quorum, "quorum", "", "votes needed, as a fraction N/D of the active members (at least it)")
	fl.Int64Var(&pf.maxTxBytes, "max-tx-bytes", 0, "largest transaction, in bytes")
	fl.Int64Var(&pf.maxObjectBytes, "max-object-bytes", 0, "largest STIX object, in bytes")
	fl.Int64Var(&pf.maxObjectsPerTx, "max-objects-per-tx", 0, "most objects in one transaction")
	return cmd
}

func runProposeParams(cmd *cobra.Command, g *globals, f *proposeFlags, pf paramsFlags) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	p, from, err := currentParams(cmd.Context(), c)
	if err != nil {
		return err
	}
	n, err := pf.apply(cmd.Flags().Changed, &p)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no parameter to change: give at least one of --voting-period, --approval, --quorum, --max-tx-bytes, --max-object-bytes, --max-objects-per-tx")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("proposed parameters: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "changing %s\n", from)
	return submitProposal(cmd, g, c, f, ledger.Propose{Kind: ledger.KindParams, Params: &p})
}

// currentParams returns the parameters in force, and says so.
func currentParams(ctx context.Context, c *client.Client) (ledger.Params, string, error) {
	p, err := c.Params(ctx)
	if err != nil {
		return ledger.Params{}, "", fmt.Errorf("read params: %w", err)
	}
	return p, "the parameters in force", nil
}

// apply sets on p the parameters whose flags were given (changed reports
// that) and returns how many it set.
func (pf paramsFlags) apply(changed func(string) bool, p *ledger.Params) (int, error) {
	n := 0
	for _, v := range []struct {
		flag string
		val  int64
		dst  *int64
	}{
		{"voting-period", pf.votingPeriod, &p.VotingPeriod},
		{"max-tx-bytes", pf.maxTxBytes, &p.MaxTxBytes},
		{"max-object-bytes", pf.maxObjectBytes, &p.MaxObjectBytes},
		{"max-objects-per-tx", pf.maxObjectsPerTx, &p.MaxObjectsPerTx},
	} {
		if changed(v.flag) {
			*v.dst = v.val
			n++
		}
	}
	for _, v := range []struct {
		flag, val string
		num, den  *int64
	}{
		{"approval", pf.approval, &p.ApprovalNum, &p.ApprovalDen},
		{"quorum", pf.quorum, &p.QuorumNum, &p.QuorumDen},
	} {
		if !changed(v.flag) {
			continue
		}
		num, den, err := parseFraction(v.flag, v.val)
		if err != nil {
			return 0, err
		}
		*v.num, *v.den = num, den
		n++
	}
	return n, nil
}

// parseFraction reads N/D with D positive.
func parseFraction(flag, v string) (num, den int64, err error) {
	ns, ds, ok := strings.Cut(v, "/")
	if ok {
		num, err = strconv.ParseInt(strings.TrimSpace(ns), 10, 64)
		if err == nil {
			den, err = strconv.ParseInt(strings.TrimSpace(ds), 10, 64)
		}
	}
	if !ok || err != nil || num < 0 || den < 1 {
		return 0, 0, fmt.Errorf("invalid --%s %q: want a fraction N/D such as 2/3", flag, v)
	}
	return num, den, nil
}

// runPropose submits p with the flags' title and waiting.
func runPropose(cmd *cobra.Command, g *globals, f *proposeFlags, p ledger.Propose) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	return submitProposal(cmd, g, c, f, p)
}

func submitProposal(cmd *cobra.Command, g *globals, c *client.Client, f *proposeFlags, p ledger.Propose) error {
	p.Title = f.title
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	res, perr := c.Propose(ctx, p, !f.noWait)
	if err := printGovResult(cmd.OutOrStdout(), g.JSON, res, proposalLine); err != nil {
		return err
	}
	if perr != nil {
		return fmt.Errorf("gov propose: %w", perr)
	}
	return nil
}

func newGovVoteCmd(g *globals) *cobra.Command {
	var f submitFlags
	cmd := &cobra.Command{
		Use:   "vote ID yes|no|abstain",
		Short: "Vote on a proposal as this node's member (a later vote replaces an earlier one)",
		Long: "Vote on a proposal, signed as this node's member (needs an admin token). A member\n" +
			"may change its vote until the proposal's end height; only its last vote counts.\n" +
			"Waits for the commit and exits non-zero if the ledger refused the vote.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, choice, err := parseVoteArgs(args)
			if err != nil {
				return err
			}
			return runVote(cmd, g, f, id, choice)
		},
	}
	f.add(cmd)
	return cmd
}

// parseVoteArgs reads "ID CHOICE".
func parseVoteArgs(args []string) (uint64, string, error) {
	id, err := parseProposalArg(args[0])
	if err != nil {
		return 0, "", err
	}
	choice := strings.ToLower(args[1])
	switch choice {
	case ledger.VoteYes, ledger.VoteNo, ledger.VoteAbstain:
		return id, choice, nil
	}
	return 0, "", fmt.Errorf("invalid vote %q: want yes, no or abstain", args[1])
}

// parseProposalArg reads a proposal id argument.
func parseProposalArg(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("invalid proposal id %q: want a number such as 1 (see phalanx gov list)", s)
	}
	return id, nil
}

func runVote(cmd *cobra.Command, g *globals, f submitFlags, id uint64, choice string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	res, verr := c.Vote(ctx, id, choice, !f.noWait)
	line := func(p api.ProposalView) string {
		return fmt.Sprintf("voted %s on proposal %d (%s; voting ends at height %d)", choice, p.ID, p.Status, p.End)
	}
	if err := printGovResult(cmd.OutOrStdout(), g.JSON, res, line); err != nil {
		return err
	}
	if verr != nil {
		return fmt.Errorf("gov vote: %w", verr)
	}
	return nil
}

// printGovResult prints what became of a proposal or vote: the transaction
// as publish prints it and, once committed, line of its proposal.
func printGovResult(w io.Writer, asJSON bool, res client.GovResult, line func(api.ProposalView) string) error {
	tx := res.Transaction
	if tx.TxHash == "" {
		return nil // nothing was submitted; the error says why
	}
	if asJSON {
		return printJSON(w, res)
	}
	height := "-"
	if tx.Committed() {
		height = strconv.FormatInt(tx.Height, 10)
	}
	out := fmt.Sprintf("tx %s height %s %s\n", tx.TxHash, height, tx.Codename)
	if res.Proposal != nil {
		out += line(*res.Proposal) + "\n"
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// proposalLine describes a proposal just opened.
func proposalLine(p api.ProposalView) string {
	return fmt.Sprintf("proposal %d %s: %s %s; voting ends at height %d", p.ID, p.Status, p.Content.Kind, subject(p.Content), p.End)
}

// subject names what a proposal is about: the member it admits, removes
// or rotates, or "params".
func subject(c ledger.Propose) string {
	switch {
	case c.Member != nil:
		return c.Member.ID
	case c.Target != "":
		return c.Target
	case c.Rotation != nil:
		return c.Rotation.Member
	case c.Params != nil:
		return "params"
	}
	return "-"
}

func newGovListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the proposals, newest first, with their votes",
		Long: "List the proposals, newest first. VOTES is yes/no/abstain of the electors: for a\n" +
			"closed proposal as tallied, for an open one the current votes of the active\n" +
			"members.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ps, err := c.Proposals(cmd.Context())
			if err != nil {
				return fmt.Errorf("list proposals: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), api.ProposalsResponse{Proposals: ps})
			}
			active, err := activeIfOpen(cmd.Context(), c, ps...)
			if err != nil {
				return err
			}
			rows := make([]string, len(ps))
			for i, p := range ps {
				rows[i] = strings.Join([]string{strconv.FormatUint(p.ID, 10), p.Content.Kind, subject(p.Content),
					p.Proposer, p.Status, tally(p, active), strconv.FormatInt(p.End, 10)}, "\t")
			}
			return table(cmd.OutOrStdout(), "ID\tKIND\tSUBJECT\tPROPOSER\tSTATUS\tVOTES (Y/N/A OF)\tEND", rows)
		},
	}
}

// activeIfOpen returns the set of active members when one of ps is open
// (its votes are counted against them), else nil.
func activeIfOpen(ctx context.Context, c *client.Client, ps ...api.ProposalView) (map[string]bool, error) {
	if !slices.ContainsFunc(ps, func(p api.ProposalView) bool { return p.Status == ledger.ProposalOpen }) {
		return nil, nil
	}
	ms, err := c.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	active := map[string]bool{}
	for _, m := range ms {
		if m.Status == ledger.StatusActive {
			active[m.ID] = true
		}
	}
	return active, nil
}

// tally is "yes/no/abstain of electors": the ledger's tally of a closed
// proposal, or the current votes of the active members for an open one.
func tally(p api.ProposalView, active map[string]bool) string {
	if p.Status != ledger.ProposalOpen {
		return fmt.Sprintf("%d/%d/%d of %d", p.Yes, p.No, p.Abstain, p.Electors)
	}
	count := map[string]int{}
	for member, choice := range p.Votes {
		if active[member] {
			count[choice]++
		}
	}
	return fmt.Sprintf("%d/%d/%d of %d", count[ledger.VoteYes], count[ledger.VoteNo], count[ledger.VoteAbstain], len(active))
}

func newGovShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print a proposal: what it changes, its status and every member's vote",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseProposalArg(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Proposal(cmd.Context(), id)
			if err != nil {
				return fmt.Errorf("show proposal %d: %w", id, err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), p)
			}
			active, err := activeIfOpen(cmd.Context(), c, p)
			if err != nil {
				return err
			}
			return printProposal(cmd.OutOrStdout(), p, active)
		},
	}
}

// printProposal writes p as a readable block of "name: value" lines.
func printProposal(w io.Writer, p api.ProposalView, active map[string]bool) error {
	status := p.Status
	if p.Result != "" {
		status += " (" + p.Result + ")"
	}
	rows := [][2]string{
		{"proposal", strconv.FormatUint(p.ID, 10)}, {"kind", p.Content.Kind}, {"title", orDash(p.Content.Title)},
		{"proposer", p.Proposer}, {"status", status},
		{"opened", fmt.Sprintf("height %d", p.Height)}, {"ends", fmt.Sprintf("height %d", p.End)},
		{"votes (y/n/a of)", tally(p, active)},
	}
	rows = append(rows, contentRows(p.Content)...)
	rows = append(rows, [2]string{"ballots", ballots(p.Votes)})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, kv := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write proposal: %w", err)
	}
	return nil
}

// contentRows describes what a proposal changes.
func contentRows(c ledger.Propose) [][2]string {
	switch {
	case c.Member != nil:
		m := c.Member
		return [][2]string{
			{"member", m.ID}, {"name", m.Name},
			{"sectors", orDash(strings.Join(m.Sectors, ","))}, {"regions", orDash(strings.Join(m.Regions, ","))},
			{"sign key", b64(m.SignKey)}, {"seal key", b64(m.SealKey)}, {"validator key", b64(m.ValidatorKey)},
		}
	case c.Target != "":
		return [][2]string{{"member", c.Target}}
	case c.Rotation != nil:
		r := c.Rotation
		return [][2]string{
			{"member", r.Member}, {"new sign key", b64(r.SignKey)}, {"new seal key", b64(r.SealKey)},
			{"new validator key", orDash(b64(r.ValidatorKey))},
		}
	case c.Params != nil:
		p := c.Params
		return [][2]string{
			{"voting period", fmt.Sprintf("%d blocks", p.VotingPeriod)},
			{"approval", fmt.Sprintf("%d/%d", p.ApprovalNum, p.ApprovalDen)},
			{"quorum", fmt.Sprintf("%d/%d", p.QuorumNum, p.QuorumDen)},
			{"max tx bytes", strconv.FormatInt(p.MaxTxBytes, 10)},
			{"max object bytes", strconv.FormatInt(p.MaxObjectBytes, 10)},
			{"max objects per tx", strconv.FormatInt(p.MaxObjectsPerTx, 10)},
		}
	}
	return nil
}

// ballots lists each member's vote, by member id.
func ballots(votes map[string]string) string {
	if len(votes) == 0 {
		return "-"
	}
	out := make([]string, 0, len(votes))
	for _, m := range slices.Sorted(maps.Keys(votes)) {
		out = append(out, m+" "+votes[m])
	}
	return strings.Join(out, ", ")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
