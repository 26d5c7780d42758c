// Package daemon assembles a Phalanx node: member keys, the ledger state
// machine inside an embedded CometBFT node, the SQLite projection that
// follows it, the intake pipeline, API tokens and the REST API. cmd/phalanx
// only parses flags and calls it; tests run whole nodes through it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	cmtmempool "github.com/cometbft/cometbft/mempool"
	cmtcore "github.com/cometbft/cometbft/rpc/core"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/taxii"
	"github.com/phalanx-ledger/phalanx/internal/web"
	"github.com/phalanx-ledger/phalanx/internal/web/session"
)

// Version is the software version reported by the API.
const Version = "0.1.0"

// Options adjust how Open runs a node.
type Options struct {
	APIListen string       // overrides the configured API address (e.g. "127.0.0.1:0")
	Logger    *slog.Logger // nil discards
	CometLog  io.Writer    // CometBFT's own log (errors only); nil = stderr
}

// Daemon is a running node. Open it, Serve it, Close it.
type Daemon struct {
	dir    string
	cfg    Config
	log    *slog.Logger
	id     *keys.Identity
	lock   *os.File
	kv     *node.StateKV
	app    *ledger.App
	cmt    *node.Node
	proj   *projection.Store
	tokens *auth.Store
	intake *intake.Service
	follow *follower
	opener *opener // opens the sealed records addressed to this member
	match  *matcher
	api    *api.Server
	web    *web.Server
	webDB  *session.Store
	taxii  *taxii.Server
	policy access.Policy // what callers may read: TAXII and exports ask it
	ln     net.Listener
	url    string
	guard  *guard
	warm   *background    // loads the proof cache after start-up
	rel    relevanceParts // subscriptions, notifications and their notifier

	closeOnce sync.Once
}

// Open starts a node on an initialised data directory: it takes the
// directory lock, opens the stores, starts consensus (which replays any
// blocks the ledger state has not applied), brings the projection up to
// date and binds the API listener. Serve then answers requests.
func Open(ctx context.Context, dir string, o Options) (d *Daemon, err error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	cfg.TLSCert, cfg.TLSKey = inDir(dir, cfg.TLSCert), inDir(dir, cfg.TLSKey)
	if o.APIListen != "" {
		cfg.APIListen = o.APIListen
	}
	d = &Daemon{dir: dir, cfg: cfg, log: o.Logger}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	opened := d // "return nil, err" clears d before the deferred cleanup runs
	defer func() {
		if err != nil {
			opened.Close()
		}
	}()
	if err := d.openStores(ctx); err != nil {
		return nil, err
	}
	if err := d.startLedger(ctx, o.CometLog); err != nil {
		return nil, err
	}
	if err := d.startRelevance(ctx); err != nil {
		return nil, err
	}
	if err := d.startAPI(ctx); err != nil {
		return nil, err
	}
	d.startGuard(ctx, cfg.integrityInterval())
	d.warm = runBackground(ctx, d.warmProofs)
	return d, nil
}

func (d *Daemon) openStores(ctx context.Context) error {
	lock, err := lockDir(d.dir)
	if err != nil {
		return err
	}
	d.lock = lock
	if d.id, err = keys.Load(filepath.Join(d.dir, KeyFile)); err != nil {
		return err
	}
	if d.id.Member != d.cfg.Member {
		return fmt.Errorf("key file is for member %q but %s names %q", d.id.Member, ConfigFile, d.cfg.Member)
	}
	if d.kv, err = node.OpenStateKV(filepath.Join(d.dir, ledgerDir), "state"); err != nil {
		return err
	}
	if d.proj, err = projection.Open(ctx, filepath.Join(d.dir, projectionFile)); err != nil {
		return fmt.Errorf("open projection: %w", err)
	}
	if d.tokens, err = auth.Open(ctx, filepath.Join(d.dir, authFile), nil); err != nil {
		return fmt.Errorf("open token store: %w", err)
	}
	return nil
}

func (d *Daemon) startLedger(ctx context.Context, cometLog io.Writer) error {
	if err := d.startMatcher(ctx); err != nil {
		return err
	}
	op := newOpener(d.dir, d.cfg.Member, nil)
	d.opener = op
	d.follow = newFollower(d.proj, op, d.log)
	d.follow.preload, d.follow.records = d.match.load, d.match.apply
	d.match.open = func(recs []record.Record) []record.Record { out, _ := op.open(recs); return out }
	app, err := ledger.New(d.kv, d.follow.committed)
	if err != nil {
		return err
	}
	d.app = app
	op.withdrawn = app.IsWithdrawn
	d.follow.start(ctx, app)
	nc := d.cfg.nodeConfig(d.dir)
	nc.Log = cometLog
	nc.Keys = keySchedule{d}
	if d.cmt, err = node.Start(ctx, nc, app); err != nil {
		return err
	}
	d.intake, err = intake.New(intake.Config{Identity: d.id, Ledger: app, Mempool: mempool{d.cmt},
		Directory: app, DefaultTLP: d.cfg.defaultTLP(),
		Lookup: func(ctx context.Context, h string) (intake.Outcome, error) { return d.outcome(ctx, h, true) }})
	if err != nil {
		return err
	}
	d.match.startReporting(ctx, d.intake)
	d.follow.setNotify(func(c ledger.Committed) {
		d.intake.Committed(c)
		d.wakeNotifier()
		if err := d.adoptRotatedKeys(); err != nil {
			d.log.Error("key rotation", "err", err)
		}
	})
	return nil
}

func (d *Daemon) startAPI(ctx context.Context) error {
	d.policy = access.ByClearance{Groups: d.memberGroups}
	tx, err := taxii.New(ctx, taxii.Config{Reader: d.proj, Publisher: taxiiPublisher{d}, Tokens: d.tokens,
		Policy: d.policy, Member: d.cfg.Member, StatusDB: filepath.Join(d.dir, taxiiFile),
		PublicClear: d.cfg.TAXIIPublicClear, MaxContentLength: api.DefaultMaxBodyBytes, Logger: d.log})
	if err != nil {
		return err
	}
	d.taxii = tx
	prover := d.newProver()
	srv, err := api.New(api.Config{Backend: backend{d}, Tokens: d.tokens, Authorize: auth.Authorize, Logger: d.log,
		Proofs: prover, Health: d.health, TAXII: tx, Exporter: exporter{d}})
	if err != nil {
		return err
	}
	d.api = srv
	if d.webDB, err = session.Open(ctx, filepath.Join(d.dir, webFile), nil); err != nil {
		return fmt.Errorf("open web session store: %w", err)
	}
	if d.web, err = web.New(web.Config{Backend: backend{d}, Tokens: d.tokens, Sessions: d.webDB, Chain: chain{d},
		Proofs: prover, Alerts: webAlerts{d}, Markings: webMarkings{}, Secure: d.cfg.TLSCert != "", Logger: d.log}); err != nil {
		return err
	}
	if d.ln, err = net.Listen("tcp", d.cfg.APIListen); err != nil {
		return fmt.Errorf("API listen on %s: %w", d.cfg.APIListen, err)
	}
	scheme := "http"
	if d.cfg.TLSCert != "" {
		scheme = "https"
	}
	d.url = scheme + "://" + d.ln.Addr().String()
	if err := writeFile0600(filepath.Join(d.dir, APIURLFile), d.url+"\n"); err != nil {
		return err
	}
	return nil
}

// URL is the API's base URL.
func (d *Daemon) URL() string { return d.url }

// Member is the id of the member this node belongs to.
func (d *Daemon) Member() string { return d.cfg.Member }

// Dir is the data directory.
func (d *Daemon) Dir() string { return d.dir }

// Ledger is the running state machine (read-only use).
func (d *Daemon) Ledger() *ledger.App { return d.app }

// Intake is the node's publishing pipeline.
func (d *Daemon) Intake() *intake.Service { return d.intake }

// Projection is the node's read model.
func (d *Daemon) Projection() *projection.Store { return d.proj }

// AdminToken returns the node's local admin credential, creating it (and
// DIR/admin.token, mode 0600) when missing or no longer valid.
func (d *Daemon) AdminToken(ctx context.Context) (string, error) {
	path := filepath.Join(d.dir, AdminTokenFile)
	if b, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(b))
		if _, err := d.tokens.Authenticate(ctx, secret); err == nil {
			return secret, nil
		}
	}
	secret, _, err := d.tokens.CreateToken(ctx, "local admin", auth.RoleAdmin)
	if err != nil {
		return "", err
	}
	return secret, writeFile0600(path, secret+"\n")
}

// Serve answers API requests, and serves the web UI at every other path,
// until ctx is done.
func (d *Daemon) Serve(ctx context.Context) error {
	return api.Serve(ctx, d.ln, d.web.WithAPI(d.api.Handler()), d.cfg.TLSCert, d.cfg.TLSKey)
}

// Close stops everything Open started, in reverse order.
func (d *Daemon) Close() error {
	var errs []error
	d.closeOnce.Do(func() {
		if d.ln != nil {
			d.ln.Close()
		}
		if d.web != nil {
			errs = append(errs, d.web.Close()) // imports started from the UI
		}
		d.stopGuard()
		d.warm.stop()
		if d.match != nil {
			d.match.stop()
		}
		if d.cmt != nil {
			errs = append(errs, d.cmt.Stop())
		}
		if d.follow != nil {
			d.follow.stop()
		}
		errs = append(errs, d.stopRelevance())
		if d.webDB != nil {
			errs = append(errs, d.webDB.Close())
		}
		if d.taxii != nil {
			errs = append(errs, d.taxii.Close())
		}
		if d.tokens != nil {
			errs = append(errs, d.tokens.Close())
		}
		if d.proj != nil {
			errs = append(errs, d.proj.Close())
		}
		if d.kv != nil {
			errs = append(errs, d.kv.Close())
		}
		if d.lock != nil {
			os.Remove(filepath.Join(d.dir, APIURLFile))
			d.lock.Close()
		}
	})
	return errors.Join(errs...)
}

// lockDir takes an exclusive lock on the data directory so that two
// processes never run the same node (and never sign with the same keys).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another phalanx process", dir)
	}
	return f, nil
}

// inDir resolves a configured path: relative paths are relative to the
// data directory.
func inDir(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func writeFile0600(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// mempool adapts the CometBFT node to intake.Mempool.
type mempool struct{ n *node.Node }

func (m mempool) Submit(ctx context.Context, tx []byte) (uint32, string, error) {
	res, err := m.n.Broadcast(ctx, tx)
	var invalid cmtmempool.ErrInvalidTx
	var full cmtmempool.ErrMempoolIsFull
	switch {
	case err == nil:
		return res.Code, res.Log, nil
	case errors.As(err, &invalid):
		return invalid.Code, invalid.Log, nil
	case errors.As(err, &full), errors.Is(err, cmtmempool.ErrRecheckFull):
		return 0, "", intake.ErrMempoolFull
	case errors.Is(err, cmtmempool.ErrTxInCache), errors.Is(err, cmtmempool.ErrTxInMempool):
		return 0, "", errs.Errorf(errs.Conflict, "transaction already submitted")
	case errors.Is(err, cmtcore.ErrEndpointClosedCatchingUp):
		// A node of a multi-member network syncs blocks from its peers
		// before it joins consensus; its mempool is closed until then.
		return 0, "", errs.Errorf(errs.Unavailable, "node is catching up with the network; try again shortly")
	}
	return 0, "", fmt.Errorf("broadcast: %w", err)
}
