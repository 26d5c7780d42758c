package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/sample"
)

func newInitCmd(g *globals) *cobra.Command {
	var o daemon.InitOptions
	var join bool
	var contact string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a data directory: member keys and a single-member network (or, with --join, an application to join one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if join {
				return runInitJoin(cmd, g, o, contact)
			}
			if err := daemon.Init(g.Dir, o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialised %s\n", g.Dir)
			return nil
		},
	}
	addInitFlags(cmd, &o)
	cmd.Flags().BoolVar(&join, "join", false, "prepare to join an existing network: keys and a membership application, no genesis")
	cmd.Flags().StringVar(&contact, "contact", "", "contact of the organisation, for the application (with --join)")
	return cmd
}

// runInitJoin makes the keys and prints the membership application.
func runInitJoin(cmd *cobra.Command, g *globals, o daemon.InitOptions, contact string) error {
	app, err := daemon.InitJoin(g.Dir, o, contact)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s\n", b)
	fmt.Fprintf(cmd.ErrOrStderr(), "application written to %s/%s: hand it to a member, who files it with\n"+
		"  phalanx gov propose admit --application %s\n"+
		"then install the network's genesis and peers here with\n"+
		"  phalanx join --dir %s --genesis GENESIS.json --peers NODE_ID@HOST:PORT\n",
		g.Dir, daemon.ApplicationFile, daemon.ApplicationFile, g.Dir)
	return nil
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage this member's keys", Args: cobra.NoArgs}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Prepare new signing, sealing and validator keys; file DIR/rotation.json with \"gov propose rotate\"",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := daemon.PrepareRotation(g.Dir)
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(app, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			fmt.Fprintf(cmd.ErrOrStderr(), "new keys kept in %s/%s; the node switches to them when\n"+
				"  phalanx gov propose rotate --application %s/%s\npasses\n", g.Dir, daemon.NextKeyFile, g.Dir, daemon.RotationFile)
			return nil
		},
	})
	return cmd
}

func newJoinCmd(g *globals) *cobra.Command {
	var genesis, peers string
	cmd := &cobra.Command{
		Use:   "join --genesis FILE --peers ID@HOST:PORT[,...]",
		Short: "Install an existing network's genesis and peers into a directory made by init --join",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if genesis == "" || peers == "" {
				return fmt.Errorf("join needs --genesis and --peers")
			}
			if err := daemon.Join(g.Dir, genesis, peers); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s will follow the network from %s; run \"phalanx up --dir %s\"\n", g.Dir, peers, g.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&genesis, "genesis", "", "the network's genesis.json (from any member: DIR/cometbft/config/genesis.json)")
	cmd.Flags().StringVar(&peers, "peers", "", "members' nodes to sync from: NODE_ID@HOST:PORT, comma-separated")
	return cmd
}

func addInitFlags(cmd *cobra.Command, o *daemon.InitOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Member, "member", "", "member id (a-z, 0-9, '-'; default member1)")
	f.StringVar(&o.Name, "name", "", "organisation name")
	f.StringSliceVar(&o.Sectors, "sector", nil, "sector of the organisation (repeatable)")
	f.StringSliceVar(&o.Regions, "region", nil, "region of the organisation (repeatable)")
	f.StringSliceVar(&o.Technologies, "technology", nil, "technology the organisation runs, for relevance (repeatable)")
	f.StringVar(&o.ChainID, "chain-id", "", "chain id of the new network")
	f.StringVar(&o.APIListen, "listen", "", "API address (default "+daemon.DefaultAPIListen+")")
}

func newUpCmd(g *globals) *cobra.Command {
	var o daemon.InitOptions
	var listen string
	var noSample bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the node (creating a single-member network with sample data on first use) until Ctrl-C",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), cmd, g, o, listen, noSample)
		},
	}
	addInitFlags(cmd, &o)
	cmd.Flags().StringVar(&listen, "api-listen", "", "API address for this run (overrides the configured one; host:0 picks a port)")
	cmd.Flags().BoolVar(&noSample, "no-sample", false, "do not load the sample data set into a new network")
	return cmd
}

func runUp(ctx context.Context, cmd *cobra.Command, g *globals, o daemon.InitOptions, listen string, noSample bool) error {
	out := cmd.OutOrStdout()
	fresh := !daemon.Initialized(g.Dir)
	if fresh {
		if err := daemon.Init(g.Dir, o); err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s\n", g.Dir)
	}
	daemon.LimitMemory()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := daemon.Open(ctx, g.Dir, daemon.Options{APIListen: listen, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	token, err := d.AdminToken(ctx)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.Serve(ctx) }()
	if fresh && !noSample {
		if err := loadSample(ctx, d); err != nil {
			return fmt.Errorf("load sample data: %w", err)
		}
		fmt.Fprintln(out, "loaded the sample data set")
	}
	st := d.Ledger().State()
	fmt.Fprintf(out, "phalanx node %q up: chain %s, height %d, %d records\n", d.Member(), st.ChainID, st.Height, st.Records)
	fmt.Fprintf(out, "API:   %s   (OpenAPI: %s/openapi.yaml)\n", d.URL(), d.URL())
	fmt.Fprintf(out, "UI:    %s/   (sign in with a token)\n", d.URL())
	fmt.Fprintf(out, "token: %s   (also in %s/%s)\n", token, g.Dir, daemon.AdminTokenFile)
	fmt.Fprintln(out, "Ctrl-C to stop")
	return <-serveErr
}

// loadSample publishes the shipped sample bundle and waits for its commit.
func loadSample(ctx context.Context, d *daemon.Daemon) error {
	subs, err := d.Intake().Publish(ctx, sample.Bundle)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, s := range subs {
		if s.Code != ledger.CodeOK {
			return fmt.Errorf("tx %s rejected: %s: %s", s.TxHash, s.Codename, s.Log)
		}
		out, err := d.Intake().Wait(ctx, s.TxHash)
		if err != nil {
			return err
		}
		if out.Code != ledger.CodeOK {
			return fmt.Errorf("tx %s rejected: %s: %s", s.TxHash, out.Codename, out.Log)
		}
	}
	return nil
}

func newReindexCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the projection of a stopped node from its block store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := daemon.Reindex(cmd.Context(), g.Dir)
			if err != nil {
				return err
			}
			if g.JSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reindexed %d records up to height %d (app hash %s)\n", res.Records, res.Height, res.AppHash)
			return nil
		},
	}
}
