package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/phalanx-ledger/phalanx/internal/importer"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ioc"
)

func newImportCmd(g *globals) *cobra.Command {
	var o importer.Options
	var batch int
	var restart bool
	var addr addressFlags
	cmd := &cobra.Command{
		Use:   "import FILE|DIR",
		Short: "Import a STIX 2.1/2.0 bundle, MISP event or feed, or a CSV/text IOC list",
		Long: "Import threat intelligence through the node's API in batches. Formats (--format, else detected):\n" +
			"  stix       STIX 2.1 bundle, streamed; STIX 2.0 bundles are upgraded to 2.1\n" +
			"  misp       one MISP event JSON file\n" +
			"  misp-feed  a MISP feed directory (manifest.json and event files)\n" +
			"  csv, text  IOC lists: IPv4/IPv6, CIDR, domain, URL, MD5/SHA-1/SHA-256/SHA-512, e-mail\n" +
			"             (type detected per value; --type forces one; defanged values are refanged)\n" +
			"Shows a progress bar on a terminal (log lines otherwise). An interrupted import resumes\n" +
			"from its checkpoint (DIR/imports/) when run again; objects already on the ledger count as\n" +
			"duplicates. Ends with a summary: accepted, duplicate, rejected with reasons.\n" +
			"Objects above TLP:GREEN (e.g. a MISP event tagged tlp:amber) are sealed: name their\n" +
			"recipients with --to or --group, as for publish.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := addr.address()
			if err != nil {
				return err
			}
			return runImport(cmd, g, args[0], o, batch, restart, a)
		},
	}
	addr.register(cmd)
	cmd.Flags().StringVar(&o.Format, "format", "", "stix, misp, misp-feed, csv or text (default: detect)")
	cmd.Flags().StringVar(&o.Type, "type", "", "ioc.IOC lists: force the type ("+strings.Join(ioc.Types(), ", ")+")")
	cmd.Flags().IntVar(&batch, "batch", importer.DefaultBatch, "objects per publish (at most 1000)")
	cmd.Flags().BoolVar(&restart, "restart", false, "ignore a checkpoint and start from the beginning")
	return cmd
}

func runImport(cmd *cobra.Command, g *globals, path string, o importer.Options, batch int, restart bool, a intake.Address) error {
	src, err := importer.Open(path, o)
	if err != nil {
		return err
	}
	defer src.Close()
	c, err := g.client()
	if err != nil {
		return err
	}
	key, err := inputKey(path)
	if err != nil {
		return err
	}
	cpDir := filepath.Join(g.Dir, "imports")
	if err := os.MkdirAll(cpDir, 0o700); err != nil {
		return fmt.Errorf("create checkpoint directory: %w", err)
	}
	sum := sha256.Sum256([]byte(key))
	cp := filepath.Join(cpDir, hex.EncodeToString(sum[:8])+".json")
	if restart {
		os.Remove(cp)
	}
	st, err := c.Status(cmd.Context())
	if err != nil {
		return fmt.Errorf("reach the node: %w", err)
	}
	res, err := importer.Run(cmd.Context(), importer.Config{Source: src, Ledger: importer.NodeLedger{C: c, Address: a, Member: st.Member},
		Key: key, Checkpoint: cp, Batch: batch, Progress: progressFor(cmd.ErrOrStderr())})
	if perr := printImport(cmd.OutOrStdout(), g.JSON, res); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("import %s stopped after %d entries (run again to resume): %w", path, res.Read, err)
	}
	return nil
}

// inputKey identifies an input for its checkpoint: absolute path, size and
// modification time (of manifest.json for a feed directory).
func inputKey(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err == nil && fi.IsDir() {
		fi, err = os.Stat(filepath.Join(abs, "manifest.json"))
	}
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", path, err)
	}
	return fmt.Sprintf("%s|%d|%d", abs, fi.Size(), fi.ModTime().UnixNano()), nil
}

// progressFor draws a bar on a terminal and writes log lines otherwise.
func progressFor(w io.Writer) importer.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &importer.Bar{W: w}
	}
	return &importer.Log{W: w}
}

func printImport(w io.Writer, asJSON bool, s importer.Summary) error {
	if asJSON {
		return printJSON(w, s)
	}
	fmt.Fprintf(w, "read %d, accepted %d, duplicate %d, rejected %d in %s\n",
		s.Read, s.Accepted, s.Duplicate, s.Rejected, s.Elapsed.Round(1e6))
	if s.Resumed > 0 {
		fmt.Fprintf(w, "resumed at entry %d\n", s.Resumed)
	}
	for _, r := range s.TopReasons() {
		fmt.Fprintf(w, "  rejected %d: %s\n", s.Reasons[r], r)
	}
	for _, e := range s.Examples {
		fmt.Fprintf(w, "  e.g. %s: %s\n", e.Where, e.Reason)
	}
	return nil
}
