package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTP server run by Serve.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute // a 16 MiB body on a slow link
	writeTimeout      = MaxPublishTimeout + time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 10 * time.Second
)

// Serve serves h on ln until ctx is done, then shuts down gracefully,
// giving requests in flight a few seconds to finish. It serves TLS when
// certFile and keyFile are both given. It returns nil after a shutdown
// caused by ctx.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, certFile, keyFile string) error {
	if (certFile == "") != (keyFile == "") {
		return errors.New("serve api: TLS needs both a certificate and a key file")
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- srv.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve api on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	return shutdown(srv, errc)
}

// shutdown stops srv gracefully, closing it if requests outlast
// shutdownTimeout.
func shutdown(srv *http.Server, errc <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("shut down api: %w", err)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return errors.Join(err, fmt.Errorf("serve api: %w", serr))
	}
	return err
}
