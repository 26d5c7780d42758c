package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// clientCommands returns the commands that use a node's API: publish, get,
// search, status, members and token.
func clientCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newPublishCmd(g), newGetCmd(g), newSearchCmd(g),
		newStatusCmd(g), newMembersCmd(g), newTokenCmd(g),
		newGovCmd(g), newGroupCmd(g), newWithdrawCmd(g), newUserCmd(g),
	}
}

// client returns an API client for --api and --token, or else for the node
// running in --dir (DIR/api.url and DIR/admin.token).
func (g *globals) client() (*client.Client, error) {
	url, err := g.apiURL()
	if err != nil {
		return nil, err
	}
	token, err := g.apiToken()
	if err != nil {
		return nil, err
	}
	var opts []client.Option
	if pool := g.localCA(url); pool != nil {
		opts = append(opts, client.WithRootCAs(pool))
	}
	return client.New(url, token, opts...)
}

// apiURL is --api, else the first line of DIR/api.url.
func (g *globals) apiURL() (string, error) {
	if g.API != "" {
		return g.API, nil
	}
	b, err := os.ReadFile(filepath.Join(g.Dir, daemon.APIURLFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no running node found in %s (%s missing); start one with \"phalanx up\" or pass --api and --token",
			g.Dir, daemon.APIURLFile)
	}
	if err != nil {
		return "", fmt.Errorf("read API URL: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", fmt.Errorf("%s is empty; restart the node or pass --api", filepath.Join(g.Dir, daemon.APIURLFile))
	}
	return line, nil
}

// apiToken is --token, else the contents of DIR/admin.token.
func (g *globals) apiToken() (string, error) {
	if g.Token != "" {
		return g.Token, nil
	}
	path := filepath.Join(g.Dir, daemon.AdminTokenFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no API token: pass --token (or run on the node, whose %s holds one)", path)
	}
	if err != nil {
		return "", fmt.Errorf("read API token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("%s is empty; pass --token", path)
	}
	return token, nil
}

// localCA returns the system roots plus the TLS certificate of the node in
// DIR when url is that node's HTTPS address, so a self-signed certificate
// works; nil otherwise.
func (g *globals) localCA(url string) *x509.CertPool {
	if g.API != "" || !strings.HasPrefix(url, "https://") {
		return nil
	}
	cfg, err := daemon.LoadConfig(g.Dir)
	if err != nil || cfg.TLSCert == "" {
		return nil
	}
	path := cfg.TLSCert
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.Dir, path)
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM(pem)
	return pool
}

// printJSON writes v as indented JSON, leaving HTML characters unescaped.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table writes aligned columns; rows are tab-separated.
func table(w io.Writer, header string, rows []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func newPublishCmd(g *globals) *cobra.Command {
	var noWait bool
	var timeout time.Duration
	var addr addressFlags
	cmd := &cobra.Command{
		Use:   "publish FILE|-",
		Short: "Publish a STIX bundle or object (from FILE, or stdin for -) and wait for its commit",
		Long: "Publish a STIX 2.1 bundle or object. Prints one line per transaction:\n" +
			"  tx HASH height H CODENAME N objects\n" +
			"and exits non-zero if any transaction was rejected.\n\n" +
			"Objects marked (object_marking_refs, granular_markings, or --tlp) AMBER,\n" +
			"AMBER+STRICT or RED, and every object of a publish with --to or --group,\n" +
			"are sealed on this node for the recipients (and this member) only.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := addr.address()
			if err != nil {
				return err
			}
			return runPublish(cmd, g, args[0], !noWait, timeout, a)
		},
	}
	addr.register(cmd)
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once submitted, without waiting for the commit")
	cmd.Flags().DurationVar(&timeout, "timeout", api.DefaultPublishTimeout, "how long to wait for the commit")
	return cmd
}

func runPublish(cmd *cobra.Command, g *globals, file string, wait bool, timeout time.Duration, a intake.Address) error {
	body, err := readInput(cmd.InOrStdin(), file)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	var res client.PublishResult
	var perr error
	if len(a.To) == 0 && a.Group == "" && a.TLP == 0 {
		res, perr = c.Publish(ctx, body, wait)
	} else {
		res, perr = c.PublishTo(ctx, body, a, wait)
	}
	if err := printPublish(cmd.OutOrStdout(), g.JSON, res); err != nil {
		return err
	}
	if perr != nil {
		return fmt.Errorf("publish %s: %w", file, perr)
	}
	return nil
}

// readInput reads the file name, or r for "-".
func readInput(r io.Reader, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(r)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("read %s: empty input", name)
	}
	return b, nil
}

func printPublish(w io.Writer, asJSON bool, res client.PublishResult) error {
	if asJSON {
		if res.Transactions == nil {
			return nil // nothing was submitted; the error says why
		}
		return printJSON(w, res)
	}
	for _, tx := range res.Transactions {
		height := "-"
		if tx.Committed() {
			height = fmt.Sprint(tx.Height)
		}
		if _, err := fmt.Fprintf(w, "tx %s height %s %s %s\n", tx.TxHash, height, tx.Codename, plural(len(tx.Objects), "object")); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func newGetCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print the latest version of a STIX object (or all its versions)",
		Long: "Print the latest version of a STIX object as pretty JSON; with --all-versions\n" +
			"a JSON array of every version, oldest first. With --json, print the ledger's\n" +
			"records (author, height, index, transaction) around the objects.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, g, args[0], all)
		},
	}
	cmd.Flags().BoolVar(&all, "all-versions", false, "print every version")
	return cmd
}

func runGet(cmd *cobra.Command, g *globals, id string, all bool) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if !all {
		v, err := c.Get(cmd.Context(), id)
		if err != nil {
			return fmt.Errorf("get %s: %w", id, err)
		}
		if g.JSON {
			return printJSON(w, v)
		}
		return printJSON(w, v.Object)
	}
	vs, err := c.Versions(cmd.Context(), id)
	if err != nil {
		return fmt.Errorf("get %s: %w", id, err)
	}
	if g.JSON {
		return printJSON(w, api.VersionsResponse{Versions: vs})
	}
	objects := make([]json.RawMessage, len(vs))
	for i, v := range vs {
		objects[i] = v.Object
	}
	return printJSON(w, objects)
}

// searchFlags are the flags of phalanx search.
type searchFlags struct {
	types, labels, authors   []string
	since, until, addedAfter string
	limit                    int
	cursor                   string
	all, allVersions         bool
}

func newSearchCmd(g *globals) *cobra.Command {
	var f searchFlags
	cmd := &cobra.Command{
		Use:   "search [QUERY TEXT...]",
		Short: "Search the ledger's STIX objects",
		Long: "Search the ledger's STIX objects, newest first. Filters combine with AND;\n" +
			"--type and --author match any of their values, --label all of them.\n" +
			"Times are RFC 3339 (2024-05-01T00:00:00Z) or dates (2024-05-01, UTC).",
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := f.query(args)
			if err != nil {
				return err
			}
			return runSearch(cmd, g, q, f.all)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.types, "type", nil, "STIX type (repeatable, comma-separated)")
	fl.StringSliceVar(&f.labels, "label", nil, "label (repeatable, comma-separated)")
	fl.StringSliceVar(&f.authors, "author", nil, "author member id (repeatable, comma-separated)")
	fl.StringVar(&f.since, "since", "", "modified at or after this time")
	fl.StringVar(&f.until, "until", "", "modified before this time")
	fl.StringVar(&f.addedAfter, "added-after", "", "committed after this time")
	fl.IntVar(&f.limit, "limit", 0, "page size (default 50, at most 1000)")
	fl.StringVar(&f.cursor, "cursor", "", "cursor from a previous page")
	fl.BoolVar(&f.all, "all", false, "follow cursors and print every page")
	fl.BoolVar(&f.allVersions, "all-versions", false, "every version, not only the latest of each object")
	return cmd
}

// query builds the search query of the flags and the query text.
func (f searchFlags) query(text []string) (projection.Query, error) {
	q := projection.Query{
		Types: f.types, Labels: f.labels, Authors: f.authors,
		Text: strings.Join(text, " "), Limit: f.limit, Cursor: f.cursor, AllVersions: f.allVersions,
	}
	var err error
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"since", f.since, &q.Since}, {"until", f.until, &q.Until}, {"added-after", f.addedAfter, &q.AddedAfter}} {
		if *t.dst, err = parseFlagTime(t.flag, t.val); err != nil {
			return projection.Query{}, err
		}
	}
	return q, nil
}

// parseFlagTime reads an RFC 3339 time or a date (midnight UTC).
func parseFlagTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid --%s %q: want an RFC 3339 time (2024-05-01T00:00:00Z) or a date (2024-05-01)", flag, v)
}

func runSearch(cmd *cobra.Command, g *globals, q projection.Query, all bool) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	var page projection.Page
	if all {
		page.Items = []projection.Version{}
		for v, err := range c.SearchAll(cmd.Context(), q) {
			if err != nil {
				return fmt.Errorf("search: %w", err)
			}
			page.Items = append(page.Items, v)
		}
	} else if page, err = c.Search(cmd.Context(), q); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if g.JSON {
		return printJSON(cmd.OutOrStdout(), page)
	}
	if err := printVersions(cmd.OutOrStdout(), page.Items); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more results: --cursor %s (or --all)\n", page.NextCursor)
	}
	return nil
}

func printVersions(w io.Writer, vs []projection.Version) error {
	rows := make([]string, len(vs))
	for i, v := range vs {
		rows[i] = strings.Join([]string{v.ID, v.Type, orDash(v.Version), v.Author, orDash(displayName(v.Object))}, "\t")
	}
	return table(w, "ID\tTYPE\tVERSION\tAUTHOR\tNAME", rows)
}

// displayName is an object's name, or the value of an observable.
func displayName(obj json.RawMessage) string {
	var o struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	_ = json.Unmarshal(obj, &o) // a missing name shows as "-"
	if o.Name != "" {
		return o.Name
	}
	return o.Value
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print the node's status and its view of the ledger",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return printStatus(cmd.OutOrStdout(), st)
		},
	}
}

func printStatus(w io.Writer, st api.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"api", st.API}, {"member", st.Member}, {"chain id", st.ChainID},
		{"height", fmt.Sprint(st.Height)}, {"app hash", st.AppHash},
		{"last block", st.LastBlockTime.UTC().Format(time.RFC3339)},
		{"records", fmt.Sprintf("%d (%d projected)", st.Records, st.Projected)},
		{"validators", fmt.Sprint(st.Validators)}, {"catching up", fmt.Sprint(st.CatchingUp)},
		{"node id", st.NodeID}, {"version", st.Version},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func newMembersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the community's members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ms, err := c.Members(cmd.Context())
			if err != nil {
				return fmt.Errorf("members: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), ms)
			}
			rows := make([]string, len(ms))
			for i, m := range ms {
				rows[i] = fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t%s\t%d", m.ID, m.Name, m.Status, m.Power,
					orDash(strings.Join(m.Sectors, ",")), orDash(strings.Join(m.Regions, ",")), m.JoinHeight)
			}
			return table(cmd.OutOrStdout(), "ID\tNAME\tSTATUS\tPOWER\tSECTORS\tREGIONS\tJOINED", rows)
		},
	}
}

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the node's API tokens (needs an admin token)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenListCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globals) *cobra.Command {
	var name, role string
	cmd := &cobra.Command{
		Use:   "create --role ROLE [--name NAME]",
		Short: "Create an API token and print its secret (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ct, err := c.CreateToken(cmd.Context(), name, auth.Role(role))
			if err != nil {
				return fmt.Errorf("create token: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), ct)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), ct.Token)
			return err
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "role: admin, analyst, reader or machine")
	cmd.Flags().StringVar(&name, "name", "", "a name to recognise the token by (default \"ROLE token\")")
	_ = cmd.MarkFlagRequired("role") // the flag exists
	return cmd
}

func newTokenListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the node's API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			toks, err := c.ListTokens(cmd.Context())
			if err != nil {
				return fmt.Errorf("list tokens: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), toks)
			}
			rows := make([]string, len(toks))
			for i, t := range toks {
				rows[i] = fmt.Sprintf("%s\t%s\t%s\t%s", t.ID, orDash(t.Name), t.Role, t.Created.UTC().Format(time.RFC3339))
			}
			return table(cmd.OutOrStdout(), "ID\tNAME\tROLE\tCREATED", rows)
		},
	}
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("revoke token %s: %w", args[0], err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), map[string]string{"revoked": args[0]})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return err
		},
	}
}
