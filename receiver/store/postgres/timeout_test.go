package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/postgres/pgtest"
)

// A server that accepts connections and never answers must fail Open
// within the timeout, not hang the start.
func TestOpenSilentServerTimesOut(t *testing.T) {
	addr := testenv.SilentListener(t)
	start := time.Now()
	_, err := postgres.Open(context.Background(), postgres.Options{DSN: "postgres://postgres@" + addr + "/test?sslmode=disable", Timeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("Open on a silent server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Open on a silent server took %s, want about the 300ms timeout", d)
	}
}

// A database that stops answering mid-flight (SIGSTOP, a network
// partition) must cost each call the timeout and ErrUnavailable, so the
// webhook answers 503 while Alertmanager still waits.
func TestHungServerTimesOut(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	schema := pgtest.Schema(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var s store.Store
	// Cleanups run last-in first-out: the proxy closes its connections
	// first, so closing the store does not wait on the frozen ones.
	t.Cleanup(func() {
		if s != nil {
			s.Close()
		}
	})
	p := newFreezer(t, u.Host)
	u.Host = p.addr
	const timeout = 300 * time.Millisecond
	s, err = postgres.Open(context.Background(), postgres.Options{DSN: u.String(), Schema: schema, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(context.Background()); err != nil {
		t.Fatalf("before the freeze: %v", err)
	}
	p.freeze()
	calls := map[string]func(context.Context) error{
		"Update": func(ctx context.Context) error {
			return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.InsertWebhook(ctx, &store.Webhook{Hash: "h", Body: []byte("{}")})
				return err
			})
		},
		"read":          func(ctx context.Context) error { _, err := s.ListIncidents(ctx, store.IncidentFilter{}); return err },
		"CheckWritable": s.CheckWritable,
	}
	for name, call := range calls {
		start := time.Now()
		err := call(context.Background())
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a hung server: err = %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s on a hung server took %s, want about %s", name, d, timeout)
		}
	}
}

// freezer is a TCP proxy to PostgreSQL that, once frozen, keeps every
// connection open and forwards nothing more: a stopped server.
type freezer struct {
	addr   string
	done   chan struct{}
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{addr: ln.Addr().String(), done: make(chan struct{})}
	t.Cleanup(func() {
		close(f.done)
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := (&net.Dialer{Timeout: 2 * time.Second}).Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, up)
			f.mu.Unlock()
			go f.pipe(up, c)
			go f.pipe(c, up)
		}
	}()
	return f
}

func (f *freezer) freeze() { f.mu.Lock(); f.frozen = true; f.mu.Unlock() }

func (f *freezer) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			<-f.done // hold the connection as a stopped server does
			return
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
