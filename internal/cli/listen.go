package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/mdlayher/vsock"
	"github.com/prometheus/exporter-toolkit/web"
)

// Listen opens what the --web.* flags ask for: every --web.listen-address
// (TCP), or the sockets systemd passed with --web.systemd-socket. The result
// is one listener that accepts on all of them, so a server's
// Serve(ctx, net.Listener) needs no change for repeated addresses; its Addr
// is the first socket's.
func Listen(ctx context.Context, flags *web.FlagConfig) (net.Listener, error) {
	var listeners []net.Listener
	if flags.WebSystemdSocket != nil && *flags.WebSystemdSocket {
		ls, err := activation.Listeners()
		if err != nil {
			return nil, fmt.Errorf("--web.systemd-socket: %w", err)
		}
		for _, l := range ls {
			if l != nil {
				listeners = append(listeners, l)
			}
		}
		if len(listeners) == 0 {
			return nil, errors.New("--web.systemd-socket: systemd passed no sockets")
		}
	} else {
		if flags.WebListenAddresses == nil || len(*flags.WebListenAddresses) == 0 {
			return nil, errors.New("--web.listen-address: no address given")
		}
		for _, addr := range *flags.WebListenAddresses {
			l, err := listen(ctx, addr)
			if err != nil {
				for _, open := range listeners {
					open.Close()
				}
				return nil, fmt.Errorf("--web.listen-address: %w", err)
			}
			listeners = append(listeners, l)
		}
	}
	if len(listeners) == 1 {
		return listeners[0], nil
	}
	return newMultiListener(listeners), nil
}

// listen opens one --web.listen-address: host:port (TCP) or vsock://:port,
// as exporter-toolkit does.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	if !strings.HasPrefix(addr, "vsock://") {
		return (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, err
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s: port: %w", addr, err)
	}
	return vsock.Listen(uint32(p), nil)
}

// multiListener accepts connections from several listeners.
type multiListener struct {
	listeners []net.Listener
	conns     chan net.Conn
	errs      chan error
	done      chan struct{}
	closeOnce sync.Once
}

func newMultiListener(ls []net.Listener) *multiListener {
	m := &multiListener{listeners: ls, conns: make(chan net.Conn), errs: make(chan error, len(ls)), done: make(chan struct{})}
	for _, l := range ls {
		go m.accept(l)
	}
	return m
}

func (m *multiListener) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case m.errs <- err:
			case <-m.done:
			}
			return
		}
		select {
		case m.conns <- c:
		case <-m.done:
			c.Close()
			return
		}
	}
}

func (m *multiListener) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case err := <-m.errs:
		return nil, err
	case <-m.done:
		return nil, net.ErrClosed
	}
}

func (m *multiListener) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.done)
		for _, l := range m.listeners {
			err = errors.Join(err, l.Close())
		}
	})
	return err
}

func (m *multiListener) Addr() net.Addr { return m.listeners[0].Addr() }
