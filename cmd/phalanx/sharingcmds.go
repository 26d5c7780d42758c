package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// addressFlags are publish's --to, --group and --tlp.
type addressFlags struct {
	to    []string
	group string
	tlp   string
}

func (f *addressFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.to, "to", nil, "seal for these members (comma-separated member ids)")
	cmd.Flags().StringVar(&f.group, "group", "", "seal for the members of this sharing group")
	cmd.Flags().StringVar(&f.tlp, "tlp", "", "TLP level of unmarked objects and least level of all: CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
}

func (f *addressFlags) address() (intake.Address, error) {
	a := intake.Address{To: f.to, Group: f.group}
	if f.tlp != "" {
		l, err := tlp.Parse(f.tlp)
		if err != nil {
			return a, fmt.Errorf("--tlp: %w", err)
		}
		a.TLP = l
	}
	return a, nil
}

func newGroupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Sharing groups: create, add, remove, list",
		Long: "Sharing groups live on the ledger. A record published with --group NAME is sealed\n" +
			"for the group's active members; a record for an unknown or empty group is refused.",
	}
	var extend bool
	create := groupChangeCmd(g, ledger.GroupCreate, "create NAME MEMBER[,MEMBER…]", "Create a sharing group", &extend)
	create.Flags().BoolVar(&extend, "extend", false, "let the group's members add others")
	cmd.AddCommand(create,
		groupChangeCmd(g, ledger.GroupAdd, "add NAME MEMBER[,MEMBER…]", "Add members (creator, or a member when the group has extend)", nil),
		groupChangeCmd(g, ledger.GroupRemove, "remove NAME MEMBER[,MEMBER…]", "Remove members (creator, or a member removing itself)", nil),
		newGroupListCmd(g))
	return cmd
}

// groupChangeCmd makes a group subcommand; extend, if not nil, is the
// --extend flag of create.
func groupChangeCmd(g *globals, op, use, short string, extend *bool) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			change := ledger.GroupOp{Op: op, Name: args[0], Members: strings.Split(args[1], ",")}
			if extend != nil {
				change.Extend = *extend
			}
			return runTx(cmd, g, timeout, "group "+op+" "+args[0], func(ctx context.Context, c *client.Client) (client.PublishResult, error) {
				return c.ChangeGroup(ctx, change, true)
			})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", api.DefaultPublishTimeout, "how long to wait for the commit")
	return cmd
}

func newGroupListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the sharing groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			gs, err := c.Groups(cmd.Context())
			if err != nil {
				return fmt.Errorf("list groups: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), gs)
			}
			rows := make([]string, len(gs))
			for i, gr := range gs {
				rows[i] = strings.Join([]string{gr.Name, gr.Creator, strings.Join(gr.Members, ","), strconv.FormatBool(gr.Extend)}, "\t")
			}
			return table(cmd.OutOrStdout(), "NAME\tCREATOR\tMEMBERS\tEXTEND", rows)
		},
	}
}

func newWithdrawCmd(g *globals) *cobra.Command {
	var version string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "withdraw ID --version VERSION",
		Short: "Withdraw a sealed record this member published",
		Long: "Withdraw one version of a sealed record this member published. The header and the\n" +
			"withdrawal stay on the ledger; every recipient node deletes its opened copy.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version == "" {
				return fmt.Errorf("withdraw %s: --version is required", args[0])
			}
			return runTx(cmd, g, timeout, "withdraw "+args[0], func(ctx context.Context, c *client.Client) (client.PublishResult, error) {
				return c.Withdraw(ctx, args[0], version, true)
			})
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "the version (modified) to withdraw")
	cmd.Flags().DurationVar(&timeout, "timeout", api.DefaultPublishTimeout, "how long to wait for the commit")
	return cmd
}

// runTx submits one transaction through fn, waits for it and prints the
// result like publish.
func runTx(cmd *cobra.Command, g *globals, timeout time.Duration, what string, fn func(context.Context, *client.Client) (client.PublishResult, error)) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	res, perr := fn(ctx, c)
	if err := printPublish(cmd.OutOrStdout(), g.JSON, res); err != nil {
		return err
	}
	if perr != nil {
		return fmt.Errorf("%s: %w", what, perr)
	}
	return nil
}
