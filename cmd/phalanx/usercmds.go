package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "User accounts of this node with a TLP clearance: add, list, grant",
		Long: "Every read (get, versions, search) is filtered by the reading user's clearance:\n" +
			"AMBER+STRICT only to the member's own users, AMBER also to registered clients\n" +
			"(--client), RED only to own users granted the record (and admins).",
	}
	cmd.AddCommand(newUserAddCmd(g), newUserListCmd(g), newUserGrantCmd(g))
	return cmd
}

func newUserAddCmd(g *globals) *cobra.Command {
	var role, clearance string
	var isClient bool
	cmd := &cobra.Command{
		Use:   "add NAME --role ROLE --clearance LEVEL [--client]",
		Short: "Add a user and print the secret of its token (shown only once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.AddUser(cmd.Context(), api.AddUserRequest{Name: args[0], Role: r, Clearance: clearance, Client: isClient})
			if err != nil {
				return fmt.Errorf("add user %s: %w", args[0], err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "user %s role %s clearance %s token %s\n", out.User.Name, out.User.Role, out.User.Clearance, out.Token)
			return err
		},
	}
	cmd.Flags().StringVar(&role, "role", "reader", "admin, analyst, machine or reader")
	cmd.Flags().StringVar(&clearance, "clearance", "GREEN", "highest TLP level the user reads: CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
	cmd.Flags().BoolVar(&isClient, "client", false, "a client the member registers (reads at most AMBER), not one of its own users")
	return cmd
}

func newUserListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the users with their clearance and RED grants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			us, err := c.ListUsers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), us)
			}
			rows := make([]string, len(us))
			for i, u := range us {
				rows[i] = strings.Join([]string{u.Name, string(u.Role), u.Clearance, strconv.FormatBool(u.Client), strings.Join(u.Grants, ",")}, "\t")
			}
			return table(cmd.OutOrStdout(), "NAME\tROLE\tCLEARANCE\tCLIENT\tRED GRANTS", rows)
		},
	}
}

func newUserGrantCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "grant NAME OBJECT_ID",
		Short: "Name a user for one RED record",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.Grant(cmd.Context(), args[0], args[1]); err != nil {
				return fmt.Errorf("grant %s to %s: %w", args[1], args[0], err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "granted %s to %s\n", args[1], args[0])
			return err
		},
	}
}
