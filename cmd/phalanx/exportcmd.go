package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/export"
)

func newExportCmd(g *globals) *cobra.Command {
	var format, since, output string
	var b strings.Builder
	for _, f := range export.Formats() {
		fmt.Fprintf(&b, "  %-17s %s\n", f, export.Describe(f))
	}
	cmd := &cobra.Command{
		Use:   "export --format F [--since T] [--output FILE]",
		Short: "Export what this token may read for IDSs, resolvers, firewalls, SIEMs and TIPs",
		Long:  "Export through the node's API (GET /v1/export/{format}). Formats:\n" + b.String() + "--since exports only objects added after T (RFC 3339), for incremental updates.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, g, format, since, output)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "export format (required)")
	cmd.Flags().StringVar(&since, "since", "", "only objects added after this time (RFC 3339)")
	cmd.Flags().StringVarP(&output, "output", "o", "-", "output file (- for stdout)")
	return cmd
}

func runExport(cmd *cobra.Command, g *globals, format, since, output string) error {
	if format == "" {
		return fmt.Errorf("--format is required; one of %s", strings.Join(export.Formats(), ", "))
	}
	if _, err := export.ContentType(format); err != nil {
		return err
	}
	var t time.Time
	if since != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, since); err != nil {
			return fmt.Errorf("--since %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", since)
		}
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	var w io.Writer = cmd.OutOrStdout()
	if output != "-" {
		f, err := os.OpenFile(output, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", output, err)
		}
		defer f.Close()
		w = f
	}
	if err := c.Export(cmd.Context(), format, t, w); err != nil {
		return fmt.Errorf("export %s: %w", format, err)
	}
	return nil
}
