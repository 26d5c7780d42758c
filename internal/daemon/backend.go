package daemon

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/export"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/taxii"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// backend serves the REST API from the daemon's parts.
type backend struct{ d *Daemon }

var (
	_ api.Backend = backend{}
	_ api.Sharing = backend{}
)

func (b backend) PublishTo(ctx context.Context, body []byte, a intake.Address) ([]intake.Submission, error) {
	return b.d.intake.PublishTo(ctx, body, a)
}

func (b backend) ChangeGroup(ctx context.Context, op ledger.GroupOp) (intake.Submission, error) {
	return b.d.intake.ChangeGroup(ctx, op)
}

func (b backend) Groups(context.Context) ([]ledger.Group, error) { return b.d.app.Groups() }

func (b backend) Withdraw(ctx context.Context, id, version string) (intake.Submission, error) {
	return b.d.intake.Withdraw(ctx, id, version)
}

func (b backend) Publish(ctx context.Context, body []byte) ([]intake.Submission, error) {
	return b.d.intake.Publish(ctx, body)
}

func (b backend) Wait(ctx context.Context, txHash string) (intake.Outcome, error) {
	return b.d.intake.Wait(ctx, txHash)
}

func (b backend) Outcome(ctx context.Context, txHash string) (intake.Outcome, error) {
	return b.d.outcome(ctx, txHash, false)
}

func (b backend) Get(ctx context.Context, id string, all bool) ([]projection.Version, error) {
	return b.d.proj.Get(ctx, id, all)
}

func (b backend) Search(ctx context.Context, q projection.Query) (projection.Page, error) {
	return b.d.proj.Search(ctx, q)
}

func (b backend) Status(ctx context.Context) (api.Status, error) {
	return b.d.Status(ctx)
}

func (b backend) Members(ctx context.Context) ([]api.Member, error) {
	ms := b.d.app.Members()
	out := make([]api.Member, len(ms))
	enc := base64.StdEncoding.EncodeToString
	for i, m := range ms {
		out[i] = api.Member{ID: m.ID, Name: m.Name, SignKey: enc(m.SignKey), SealKey: enc(m.SealKey),
			ValidatorKey: enc(m.ValidatorKey), Power: m.Power, Sectors: m.Sectors, Regions: m.Regions,
			Technologies: nonNil(m.Technologies), Status: m.Status, JoinHeight: m.JoinHeight}
	}
	return out, nil
}

// Status describes the node.
func (d *Daemon) Status(ctx context.Context) (api.Status, error) {
	st := d.app.State()
	next := d.follow.next.Load()
	s := api.Status{API: d.url, Member: d.cfg.Member, ChainID: st.ChainID, Height: st.Height,
		AppHash: strings.ToUpper(hex.EncodeToString(st.AppHash)), Records: st.Records, Projected: next,
		NodeID: d.cmt.NodeID(), Version: Version}
	cs, err := d.cmt.Status(ctx)
	if err != nil {
		return api.Status{}, err
	}
	s.LastBlockTime, s.CatchingUp = cs.SyncInfo.LatestBlockTime.UTC(), cs.SyncInfo.CatchingUp
	vals, err := d.cmt.Validators(ctx)
	if err != nil {
		return api.Status{}, err
	}
	s.Validators = len(vals)
	return s, nil
}

// outcome looks a committed transaction up in the ledger's record of
// transaction results. With projected set, a transaction whose block the
// projection has not applied yet counts as not found.
func (d *Daemon) outcome(_ context.Context, txHash string, projected bool) (intake.Outcome, error) {
	h, err := hex.DecodeString(txHash)
	if err != nil || len(h) != 32 {
		return intake.Outcome{}, errs.Errorf(errs.Invalid, "transaction hash %q: want 64 hex digits", txHash)
	}
	res, ok, err := d.app.TxOutcome(h)
	if err != nil {
		return intake.Outcome{}, err
	}
	if !ok {
		return intake.Outcome{}, errs.Errorf(errs.NotFound, "transaction %s is not committed", strings.ToUpper(txHash))
	}
	if projected && res.Height > d.follow.height.Load() {
		return intake.Outcome{}, errs.Errorf(errs.NotFound, "transaction %s is committed but not yet indexed", strings.ToUpper(txHash))
	}
	return intake.OutcomeOf(strings.ToUpper(txHash), res.Height, res.Code, res.Log, res.Data), nil
}

func (b backend) Propose(ctx context.Context, p ledger.Propose) (intake.Submission, error) {
	return b.d.intake.Propose(ctx, p)
}

func (b backend) Vote(ctx context.Context, proposal uint64, choice string) (intake.Submission, error) {
	return b.d.intake.Vote(ctx, proposal, choice)
}

func (b backend) Proposals(ctx context.Context) ([]api.ProposalView, error) {
	ps, err := b.d.app.Proposals()
	if err != nil {
		return nil, err
	}
	out := make([]api.ProposalView, len(ps))
	for i, p := range ps {
		if out[i], err = b.view(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b backend) Proposal(ctx context.Context, id uint64) (api.ProposalView, error) {
	p, ok, err := b.d.app.Proposal(id)
	if err != nil {
		return api.ProposalView{}, err
	}
	if !ok {
		return api.ProposalView{}, errs.Errorf(errs.NotFound, "no proposal %d", id)
	}
	return b.view(p)
}

func (b backend) Params(context.Context) (ledger.Params, error) { return b.d.app.Params(), nil }

func (b backend) view(p ledger.Proposal) (api.ProposalView, error) {
	votes, err := b.d.app.Votes(p.ID)
	return api.ProposalView{Proposal: p, Votes: votes}, err
}

// taxiiPublisher gives the TAXII server the intake pipeline and the
// outcomes of committed, projected transactions.
type taxiiPublisher struct{ d *Daemon }

var _ taxii.Publisher = taxiiPublisher{}

func (p taxiiPublisher) Level(o *stix.Object) (tlp.Level, error) { return p.d.intake.Level(o) }

func (p taxiiPublisher) PublishObjects(ctx context.Context, objs []*stix.Object) ([]intake.Submission, error) {
	return p.d.intake.PublishObjects(ctx, objs)
}

func (p taxiiPublisher) Wait(ctx context.Context, txHash string) (intake.Outcome, error) {
	return p.d.intake.Wait(ctx, txHash)
}

func (p taxiiPublisher) Outcome(ctx context.Context, txHash string) (intake.Outcome, error) {
	return p.d.outcome(ctx, txHash, true)
}

// exporter serves GET /v1/export through the node's read policy.
type exporter struct{ d *Daemon }

var _ api.Exporter = exporter{}

func (exporter) ContentType(format string) (string, error) { return export.ContentType(format) }

func (e exporter) Export(ctx context.Context, w io.Writer, format string, since time.Time, caller access.Caller) error {
	scope, err := e.d.policy.Scope(ctx, caller)
	if err != nil {
		return fmt.Errorf("read scope: %w", err)
	}
	return export.Write(ctx, w, format, export.Options{Reader: e.d.proj, Scope: scope, Since: since})
}

// memberGroups names the sharing groups this node's member belongs to:
// their TAXII collections are the ones the member's users see.
func (d *Daemon) memberGroups(context.Context) ([]string, error) {
	gs, err := d.app.Groups()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range gs {
		if slices.Contains(g.Members, d.cfg.Member) {
			out = append(out, g.Name)
		}
	}
	return out, nil
}
