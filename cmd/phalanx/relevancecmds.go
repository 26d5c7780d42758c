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
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
)

// relevanceCommands are the per-user subscriptions, feed and
// notifications, and the member's profile.
func relevanceCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{newSubscribeCmd(g), newFeedCmd(g), newNotificationsCmd(g), newProfileCmd(g)}
}

func newSubscribeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscribe",
		Short: "Your subscriptions: filters that rank your feed first and raise notifications",
		Long: "A filter is DIM=VALUE[,VALUE…] terms: type, label, sector, tlp, kind (ipv4, ipv6,\n" +
			"cidr, domain, url, hash, email). Terms AND, values within one term OR, e.g.\n" +
			"  phalanx subscribe add ransom type=indicator label=ransomware --notify",
	}
	cmd.AddCommand(newSubscribeAddCmd(g), newSubscribeListCmd(g), newSubscribeRemoveCmd(g))
	return cmd
}

func newSubscribeAddCmd(g *globals) *cobra.Command {
	var notifyOn bool
	var webhook string
	cmd := &cobra.Command{
		Use:   "add NAME [DIM=VALUE[,VALUE…]…] [--notify] [--webhook URL]",
		Short: "Add a subscription",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := relevance.ParseFilter(strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			sub, err := c.Subscribe(cmd.Context(), api.SubscriptionRequest{Name: args[0], Filter: f, Notify: notifyOn || webhook != "", Webhook: webhook})
			if err != nil {
				return fmt.Errorf("subscribe %s: %w", args[0], err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), sub)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "subscription %s %q: %s notify=%v\n", sub.ID, sub.Name, orDash(sub.Filter.String()), sub.Notify)
			return err
		},
	}
	cmd.Flags().BoolVar(&notifyOn, "notify", false, "raise a notification for each new matching record")
	cmd.Flags().StringVar(&webhook, "webhook", "", "also POST each notification (JSON) to this http(s) URL (admins only); implies --notify")
	return cmd
}

func newSubscribeListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your subscriptions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			subs, err := c.Subscriptions(cmd.Context())
			if err != nil {
				return fmt.Errorf("list subscriptions: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), subs)
			}
			rows := make([]string, len(subs))
			for i, s := range subs {
				rows[i] = strings.Join([]string{s.ID, s.Name, orDash(s.Filter.String()), strconv.FormatBool(s.Notify), orDash(s.Webhook)}, "\t")
			}
			return table(cmd.OutOrStdout(), "ID\tNAME\tFILTER\tNOTIFY\tWEBHOOK", rows)
		},
	}
}

func newSubscribeRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove one of your subscriptions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.Unsubscribe(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("remove subscription %s: %w", args[0], err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return err
		},
	}
}

func newFeedCmd(g *globals) *cobra.Command {
	var limit int
	var cursor string
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Your ranked feed: subscribed records first, then your member's profile, then the newest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			page, err := c.Feed(cmd.Context(), cursor, limit)
			if err != nil {
				return fmt.Errorf("feed: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), page)
			}
			rows := make([]string, len(page.Items))
			for i, e := range page.Items {
				why := make([]string, len(e.Reasons))
				for j, r := range e.Reasons {
					why[j] = r.Detail
				}
				rows[i] = strings.Join([]string{strconv.Itoa(e.Tier), e.Record.ID, e.Record.Author, strings.Join(why, "; ")}, "\t")
			}
			if err := table(cmd.OutOrStdout(), "TIER\tID\tAUTHOR\tWHY", rows); err != nil {
				return err
			}
			return printNext(cmd, page.NextCursor)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "entries per page (1-200; default 50)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "next page: the cursor a previous page printed")
	return cmd
}

func newNotificationsCmd(g *globals) *cobra.Command {
	var unread bool
	var limit int
	var cursor string
	cmd := &cobra.Command{
		Use:   "notifications [--unread]",
		Short: "Your notifications, newest first (mark one read: notifications read ID)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			page, err := c.Notifications(cmd.Context(), unread, cursor, limit)
			if err != nil {
				return fmt.Errorf("notifications: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), page)
			}
			rows := make([]string, len(page.Items))
			for i, n := range page.Items {
				rows[i] = strings.Join([]string{strconv.FormatInt(n.ID, 10), n.Created.Format(time.RFC3339), n.ObjectID, n.TLP,
					strings.Join(n.Names, ","), strconv.FormatBool(n.Read)}, "\t")
			}
			if err := table(cmd.OutOrStdout(), "ID\tCREATED\tOBJECT\tTLP\tSUBSCRIPTIONS\tREAD", rows); err != nil {
				return err
			}
			return printNext(cmd, page.NextCursor)
		},
	}
	cmd.Flags().BoolVar(&unread, "unread", false, "only unread notifications")
	cmd.Flags().IntVar(&limit, "limit", 0, "entries per page (1-200; default 50)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "next page: the cursor a previous page printed")
	cmd.AddCommand(&cobra.Command{
		Use:   "read ID",
		Short: "Mark one of your notifications read",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("notification id %q: want a number", args[0])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			n, err := c.MarkRead(cmd.Context(), id)
			if err != nil {
				return fmt.Errorf("mark notification %d read: %w", id, err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), n)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "notification %d read\n", n.ID)
			return err
		},
	})
	return cmd
}

func newProfileCmd(g *globals) *cobra.Command {
	var p ledger.ProfileUpdate
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "profile --sector S --region R --technology T",
		Short: "Replace this member's profile on the ledger (admin): sectors, regions, technologies",
		Long: "Replace this member's profile with a profile transaction. Every list is replaced\n" +
			"(a list not given is cleared). Profiles rank every user's feed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := p.Validate(); err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			return runTx(cmd, g, timeout, "profile", func(ctx context.Context, c *client.Client) (client.PublishResult, error) {
				return c.UpdateProfile(ctx, p, true)
			})
		},
	}
	cmd.Flags().StringSliceVar(&p.Sectors, "sector", nil, "sector (repeatable)")
	cmd.Flags().StringSliceVar(&p.Regions, "region", nil, "region (repeatable)")
	cmd.Flags().StringSliceVar(&p.Technologies, "technology", nil, "technology the member runs (repeatable)")
	cmd.Flags().DurationVar(&timeout, "timeout", api.DefaultPublishTimeout, "how long to wait for the commit")
	return cmd
}

func printNext(cmd *cobra.Command, next string) error {
	if next == "" {
		return nil
	}
	_, err := fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s\n", next)
	return err
}
