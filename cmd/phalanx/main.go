// Command phalanx runs and uses a Phalanx node: a member's replica of a
// shared threat-intelligence ledger. This file and its siblings only parse
// flags and wire packages; the work is done under internal/.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// globals are the flags every command takes.
type globals struct {
	Dir   string // data directory
	API   string // remote API base URL (overrides DIR/api.url)
	Token string // API token (overrides DIR/admin.token)
	JSON  bool   // machine-readable output
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "phalanx: "+oneLine(err))
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "phalanx",
		Short:         "Phalanx: a shared-security ledger for threat intelligence",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.Dir, "dir", defaultDir(), "node data directory ($PHALANX_HOME, else ~/.phalanx)")
	root.PersistentFlags().StringVar(&g.API, "api", "", "API base URL of a remote node (default: DIR/api.url)")
	root.PersistentFlags().StringVar(&g.Token, "token", "", "API token (default: DIR/admin.token)")
	root.PersistentFlags().BoolVar(&g.JSON, "json", false, "print JSON")
	root.AddCommand(newInitCmd(g), newJoinCmd(g), newKeysCmd(g), newUpCmd(g), newReindexCmd(g))
	root.AddCommand(clientCommands(g)...)
	root.AddCommand(relevanceCommands(g)...)
	root.AddCommand(proofCommands(g)...)
	root.AddCommand(newTestnetCmd(g))
	root.AddCommand(newImportCmd(g), newExportCmd(g))
	root.AddCommand(newMatchCmd(g), newAlertsCmd(g))
	return root
}

func defaultDir() string {
	if d := os.Getenv("PHALANX_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".phalanx"
	}
	return filepath.Join(home, ".phalanx")
}

// oneLine flattens an error to a single line for stderr.
func oneLine(err error) string {
	var b strings.Builder
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(line)
		}
	}
	return b.String()
}
