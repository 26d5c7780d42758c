package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// proofCommands returns the commands that prove and verify: proof,
// checkpoint, checkpoints, verify and audit.
func proofCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{newProofCmd(g), newCheckpointCmd(g), newCheckpointsCmd(g), newVerifyCmd(g), newAuditCmd(g)}
}

func newProofCmd(g *globals) *cobra.Command {
	var version string
	var consistency bool
	cmd := &cobra.Command{
		Use:   "proof ID [ID...] | proof --consistency HEIGHT_A [HEIGHT_B]",
		Short: "Print the proof bundle of an object version, or a consistency proof between two checkpoints",
		Long: "Prints a self-contained proof bundle (JSON) for the latest version of ID, or --version V:\n" +
			"the record, its leaf, the RFC 6962 inclusion proof to the newest signed checkpoint, the\n" +
			"checkpoint with the header and validators' commit that bind it, and the signed transaction.\n" +
			"Check it offline with \"phalanx verify BUNDLE --members MEMBERS.json\".\n" +
			"Given several ids, prints one bundle per line (JSON Lines), the latest version of each,\n" +
			"for \"phalanx verify --batch FILE --members MEMBERS.json\".\n" +
			"With --consistency, prints the consistency proof between the checkpoints at block heights\n" +
			"A and B (default: the newest).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if consistency {
				if len(args) > 2 {
					return errors.New("--consistency takes two heights at most")
				}
				from, to, err := checkpointHeights(args)
				if err != nil {
					return err
				}
				cp, err := c.Consistency(cmd.Context(), from, to)
				if err != nil {
					return fmt.Errorf("consistency proof: %w", err)
				}
				return printJSON(cmd.OutOrStdout(), cp)
			}
			if len(args) > 1 {
				if version != "" {
					return errors.New("--version applies to one id; several ids give their latest versions")
				}
				return printProofLines(cmd.Context(), cmd.OutOrStdout(), c, args)
			}
			b, err := c.Proof(cmd.Context(), args[0], version)
			if err != nil {
				return fmt.Errorf("proof of %s: %w", args[0], err)
			}
			return printJSON(cmd.OutOrStdout(), b)
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "object version (its modified timestamp); default the latest")
	cmd.Flags().BoolVar(&consistency, "consistency", false, "print the consistency proof between checkpoint heights A and B")
	return cmd
}

// printProofLines prints the proof bundle of the latest version of each
// id, one JSON document per line.
func printProofLines(ctx context.Context, w io.Writer, c *client.Client, ids []string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, id := range ids {
		b, err := c.Proof(ctx, id, "")
		if err != nil {
			return fmt.Errorf("proof of %s: %w", id, err)
		}
		if err := enc.Encode(b); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}

func checkpointHeights(args []string) (int64, int64, error) {
	from, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("height %q: want a block height", args[0])
	}
	to := int64(-1)
	if len(args) == 2 {
		if to, err = strconv.ParseInt(args[1], 10, 64); err != nil || to < 0 {
			return 0, 0, fmt.Errorf("height %q: want a block height", args[1])
		}
	}
	return from, to, nil
}

func newCheckpointCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint [HEIGHT]",
		Short: "Print the signed checkpoint at a block height (default the newest)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			h := int64(-1)
			if len(args) == 1 {
				if h, _, err = checkpointHeights(args); err != nil {
					return err
				}
			}
			sc, err := c.Checkpoint(cmd.Context(), h)
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			return printJSON(cmd.OutOrStdout(), sc)
		},
	}
}

func newCheckpointsCmd(g *globals) *cobra.Command {
	var since int64
	cmd := &cobra.Command{
		Use:   "checkpoints",
		Short: "Export the stream of signed checkpoints (JSON Lines) for outside witnesses",
		Long: "Prints every signed checkpoint from --since on, one JSON document per line, oldest first\n" +
			"(heights whose state did not change are skipped). A witness keeps them and compares them\n" +
			"with another node's: \"phalanx verify A.json B.json --members MEMBERS.json\" shows a fork.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for h := since; ; {
				page, err := c.Checkpoints(cmd.Context(), h, 1000)
				if err != nil {
					return fmt.Errorf("checkpoints since %d: %w", h, err)
				}
				for _, sc := range page.Checkpoints {
					if err := enc.Encode(sc); err != nil {
						return err
					}
				}
				if page.Next > page.Latest || page.Next <= h {
					return nil
				}
				h = page.Next
			}
		},
	}
	cmd.Flags().Int64Var(&since, "since", 0, "first block height")
	return cmd
}

func newVerifyCmd(g *globals) *cobra.Command {
	var membersFile, consistencyFile string
	var batch bool
	cmd := &cobra.Command{
		Use:   "verify FILE [FILE_B] --members MEMBERS.json | verify --batch FILE|- --members MEMBERS.json",
		Short: "Verify a proof bundle, checkpoint or consistency proof offline; compare two checkpoints for a fork",
		Long: "Checks with no network and no node, against the member set in MEMBERS.json (what\n" +
			"\"phalanx members --json\" prints): for a proof bundle the author signature, the leaf hash,\n" +
			"the inclusion proof, the app hash binding, the header hash and that more than 2/3 of the\n" +
			"voting power signed; for a checkpoint or consistency proof the same of each checkpoint.\n" +
			"Exits 0 only when every check holds; otherwise prints the reason of each failed check.\n" +
			"Given two checkpoints (FILE and FILE_B; --consistency PROOF when their sizes differ), prints\n" +
			"evidence of equivocation naming the validators that signed both when they cannot both hold.\n" +
			"With --batch, FILE (- for stdin) holds proof bundles, one per line (what \"phalanx proof ID\n" +
			"ID...\" prints): each is verified on every CPU, checkpoints and transactions shared by many\n" +
			"bundles checked once; prints each failing bundle's line and checks, then a summary.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ms, err := readMembers(membersFile)
			if err != nil {
				return err
			}
			if batch {
				if len(args) != 1 {
					return errors.New("--batch takes one file of bundles (- for stdin)")
				}
				return verifyBatch(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), g.JSON, args[0], ms)
			}
			if len(args) == 2 {
				return compareCheckpoints(cmd.OutOrStdout(), g.JSON, args, consistencyFile, ms)
			}
			return verifyFile(cmd.OutOrStdout(), g.JSON, args[0], ms)
		},
	}
	cmd.Flags().StringVar(&membersFile, "members", "", "the member set (JSON of \"phalanx members --json\"); required")
	cmd.Flags().StringVar(&consistencyFile, "consistency", "", "consistency proof between two compared checkpoints")
	cmd.Flags().BoolVar(&batch, "batch", false, "FILE holds proof bundles, one per line (- for stdin)")
	return cmd
}

func readMembers(path string) ([]proof.Member, error) {
	if path == "" {
		return nil, errors.New("--members MEMBERS.json is required: the member set to verify against")
	}
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return proof.ParseMembers(b)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, proof.MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > proof.MaxBundleBytes {
		return nil, fmt.Errorf("%s is over %d bytes", path, proof.MaxBundleBytes)
	}
	return b, nil
}

func verifyFile(w io.Writer, asJSON bool, path string, ms []proof.Member) error {
	b, err := readLimited(path)
	if err != nil {
		return err
	}
	var r proof.Report
	switch kind := proof.Kind(b); kind {
	case proof.BundleFormat, proof.BundleFormatV2:
		bu, err := proof.ParseBundle(b)
		if err != nil {
			return err
		}
		r = proof.Verify(bu, ms)
	case proof.CheckpointFormat:
		sc, err := proof.ParseCheckpoint(b)
		if err != nil {
			return err
		}
		_, r = proof.VerifyCheckpoint(*sc, ms)
	case proof.ConsistencyFormat:
		cp, err := proof.ParseConsistency(b)
		if err != nil {
			return err
		}
		r = proof.VerifyConsistency(cp, ms)
	default:
		return fmt.Errorf("%s: not a proof bundle, checkpoint or consistency proof (format %q)", path, kind)
	}
	if err := printReport(w, asJSON, r); err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("verification failed: %s", strings.Join(r.Failed(), ", "))
	}
	return nil
}

// verifyBatch verifies a file (or stdin) of bundles, one per line, and
// prints the failures and a summary; it fails unless every bundle holds.
func verifyBatch(ctx context.Context, stdin io.Reader, w io.Writer, asJSON bool, path string, ms []proof.Member) error {
	in := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	start := time.Now()
	sum, err := proof.VerifyStream(ctx, in, ms, runtime.GOMAXPROCS(0), func(f proof.StreamFailure) error {
		return printFailure(w, asJSON, f)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if asJSON {
		if err := printJSON(w, sum); err != nil {
			return err
		}
	} else {
		rate := float64(sum.Bundles) / max(time.Since(start).Seconds(), 1e-9)
		fmt.Fprintf(w, "%d bundles, %d verified, %d failed (%.0f bundles/s)\n", sum.Bundles, sum.Bundles-sum.Failed, sum.Failed, rate)
	}
	switch {
	case sum.Bundles == 0:
		return fmt.Errorf("%s holds no proof bundle", path)
	case sum.Failed > 0:
		return fmt.Errorf("verification failed for %d of %d bundles", sum.Failed, sum.Bundles)
	}
	return nil
}

func printFailure(w io.Writer, asJSON bool, f proof.StreamFailure) error {
	if asJSON {
		b, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if f.Error != "" {
		_, err := fmt.Fprintf(w, "line %d: FAIL %s\n", f.Line, f.Error)
		return err
	}
	if _, err := fmt.Fprintf(w, "line %d: FAIL %s (record %d): %s\n", f.Line, f.ObjectID, f.Index, strings.Join(f.Report.Failed(), ", ")); err != nil {
		return err
	}
	for _, c := range f.Report.Checks {
		if !c.OK {
			if _, err := fmt.Fprintf(w, "  %-18s %s\n", c.Name, c.Detail); err != nil {
				return err
			}
		}
	}
	return nil
}

func printReport(w io.Writer, asJSON bool, r proof.Report) error {
	if asJSON {
		return printJSON(w, r)
	}
	for _, c := range r.Checks {
		status := "ok  "
		if !c.OK {
			status = "FAIL"
		}
		if _, err := fmt.Fprintf(w, "%s %-18s %s\n", status, c.Name, c.Detail); err != nil {
			return err
		}
	}
	return nil
}

func compareCheckpoints(w io.Writer, asJSON bool, paths []string, consistencyFile string, ms []proof.Member) error {
	var cs [2]*proof.SignedCheckpoint
	for i, p := range paths {
		b, err := readLimited(p)
		if err != nil {
			return err
		}
		if cs[i], err = proof.ParseCheckpoint(b); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	var path [][]byte
	if consistencyFile != "" {
		b, err := readLimited(consistencyFile)
		if err != nil {
			return err
		}
		cp, err := proof.ParseConsistency(b)
		if err != nil {
			return err
		}
		for _, h := range cp.Hashes {
			path = append(path, h)
		}
	}
	ev, err := proof.Compare(*cs[0], *cs[1], path, ms)
	if err != nil {
		_ = printReport(w, asJSON, proof.Report{Checks: ev.Checks})
		return err
	}
	if asJSON {
		if err := printJSON(w, ev); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(w, ev.Reason)
		if ev.Equivocation {
			fmt.Fprintf(w, "validators that signed both: %s\n", orDash(strings.Join(ev.Signers, ", ")))
		}
	}
	if ev.Equivocation {
		return fmt.Errorf("equivocation: %s; signed both: %s", ev.Reason, orDash(strings.Join(ev.Signers, ", ")))
	}
	return nil
}

func newAuditCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "audit",
		Short: "Audit a stopped node: replay its block store and compare its ledger state and projection",
		Long: "Replays every block of the node in --dir through a scratch state machine, checking each\n" +
			"block's hashes and recomputing every app hash against the chain, then compares the node's\n" +
			"ledger records and its SQLite projection with the replay, record by record. Exits 0 only\n" +
			"when everything matches; otherwise names the first height and object that differ.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := daemon.Audit(cmd.Context(), g.Dir)
			if err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			if g.JSON {
				if err := printJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "replayed %d blocks, %d records (app hash %s); %d projection rows compared\n",
					res.Height, res.Records, res.AppHash, res.Compared)
			}
			return auditFailure(res)
		},
	}
}

func auditFailure(res daemon.AuditResult) error {
	var probs []string
	if res.BlockError != "" {
		probs = append(probs, "block store: "+res.BlockError)
	}
	if res.Ledger != nil {
		probs = append(probs, "ledger state: "+res.Ledger.String())
	}
	if res.Projection != nil {
		probs = append(probs, "projection: "+res.Projection.String())
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("audit found differences: %s", strings.Join(probs, "; "))
}
