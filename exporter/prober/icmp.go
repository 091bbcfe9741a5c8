package prober

import (
	"context"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
	"log/slog"
	"net"
	"os"
	"time"

	probing "github.com/prometheus-community/pro-bing"
	"github.com/prometheus/client_golang/prometheus"
)

// minICMPPayload is the smallest echo payload pro-bing accepts: it carries a
// timestamp and a tracker id.
const minICMPPayload = 24

// ICMPProbe configures the icmp prober (blackbox_exporter's icmp module).
type ICMPProbe struct {
	IPProtocol         string `yaml:"preferred_ip_protocol,omitempty"` // ip4 (default) or ip6
	IPProtocolFallback *bool  `yaml:"ip_protocol_fallback,omitempty"`  // default true
	SourceIPAddress    string `yaml:"source_ip_address,omitempty"`
	PayloadSize        int    `yaml:"payload_size,omitempty"` // bytes of echo data; 0 means pro-bing's 24
	DontFragment       bool   `yaml:"dont_fragment,omitempty"`
	TTL                int    `yaml:"ttl,omitempty"` // outgoing TTL / hop limit; 0 means 64
	// Privileged chooses a raw ICMP socket (needs root or CAP_NET_RAW) over
	// an unprivileged ping socket (needs the process's group in
	// net.ipv4.ping_group_range). Unset: as blackbox_exporter, a ping
	// socket, and a raw one when the kernel refuses it.
	Privileged *bool `yaml:"privileged,omitempty"`
}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line.
func (p *ICMPProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = ICMPProbe{}
	type icmpSection ICMPProbe
	if err := yamlx.DecodeStrict(value, (*icmpSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings; each error starts with its yaml field.
func (p *ICMPProbe) Validate() error {
	if err := validIPProtocol(p.IPProtocol); err != nil {
		return fmt.Errorf("preferred_ip_protocol: %w", err)
	}
	if err := validSourceIP(p.SourceIPAddress); err != nil {
		return err
	}
	if p.PayloadSize != 0 && (p.PayloadSize < minICMPPayload || p.PayloadSize > 65000) {
		return fmt.Errorf("payload_size: %d is outside %d-65000", p.PayloadSize, minICMPPayload)
	}
	if p.TTL < 0 || p.TTL > 255 {
		return fmt.Errorf("ttl: %d is outside 0-255", p.TTL)
	}
	return nil
}

// socketModes lists the sockets to try, privileged (raw) or not. Debian
// leaves ping_group_range empty, and exporters usually run as a user with
// CAP_NET_RAW rather than as root, so auto must fall back to a raw socket.
func (p *ICMPProbe) socketModes() []bool {
	if p.Privileged != nil {
		return []bool{*p.Privileged}
	}
	return []bool{false, true}
}

// ProbeICMP sends one echo request to target (a host name or address) and
// waits for its reply until ctx's deadline.
func ProbeICMP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg := module.ICMP
	durations := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "probe_icmp_duration_seconds",
		Help: "Duration of icmp request by phase",
	}, []string{"phase"})
	for _, phase := range []string{"resolve", "setup", "rtt"} {
		durations.WithLabelValues(phase)
	}
	registry.MustRegister(durations)

	ip, lookupSeconds, err := resolveTarget(ctx, target, cfg.IPProtocol, fallbackOrDefault(cfg.IPProtocolFallback), registry, logger)
	if err != nil {
		logger.Warn("Error resolving address", "err", err)
		return false
	}
	durations.WithLabelValues("resolve").Add(lookupSeconds)

	reply, err := ping(ctx, cfg, ip, durations, logger)
	if err != nil {
		logger.Warn("No echo reply", "err", err)
		return false
	}
	durations.WithLabelValues("rtt").Add(reply.Rtt.Seconds())
	if reply.TTL > 0 {
		hopLimit := prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "probe_icmp_reply_hop_limit",
			Help: "Replied packet hop limit (TTL for ipv4)",
		})
		registry.MustRegister(hopLimit)
		hopLimit.Set(float64(reply.TTL))
	}
	return true
}

var errNoEchoReply = errors.New("no echo reply before the deadline")

// ping runs one pro-bing echo and returns the reply. The setup phase is the
// time from here until the socket is ready, as blackbox measures it.
func ping(ctx context.Context, cfg ICMPProbe, ip *net.IPAddr, durations *prometheus.GaugeVec, logger *slog.Logger) (*probing.Packet, error) {
	setupStart := time.Now()
	modes := cfg.socketModes()
	last := len(modes) - 1
	for _, privileged := range modes[:last] {
		reply, err := pingOnce(ctx, cfg, ip, privileged, setupStart, durations, logger)
		if !errors.Is(err, os.ErrPermission) {
			return reply, err
		}
		logger.Debug("ICMP socket refused, trying the next kind", "err", err)
	}
	return pingOnce(ctx, cfg, ip, modes[last], setupStart, durations, logger)
}

func pingOnce(ctx context.Context, cfg ICMPProbe, ip *net.IPAddr, privileged bool, setupStart time.Time, durations *prometheus.GaugeVec, logger *slog.Logger) (*probing.Packet, error) {
	pinger := probing.New("")
	pinger.SetIPAddr(ip)
	pinger.SetPrivileged(privileged)
	pinger.SetLogger(probingLogger{logger})
	pinger.Count = 1
	pinger.RecordRtts = false
	pinger.RecordTTLs = false
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, context.DeadlineExceeded
		}
		pinger.Timeout = left
	}
	if cfg.PayloadSize > 0 {
		pinger.Size = cfg.PayloadSize
	}
	if cfg.TTL > 0 {
		pinger.TTL = cfg.TTL
	}
	if cfg.DontFragment {
		pinger.SetDoNotFragment(true)
	}
	pinger.Source = cfg.SourceIPAddress

	var reply *probing.Packet
	pinger.OnSetup = func() {
		durations.WithLabelValues("setup").Add(time.Since(setupStart).Seconds())
	}
	pinger.OnRecv = func(pkt *probing.Packet) {
		if reply == nil {
			reply = pkt
		}
	}
	mode := "unprivileged"
	if pinger.Privileged() {
		mode = "privileged"
	}
	logger.Debug("Sending ICMP echo", "ip", ip.String(), "socket", mode)
	if err := pinger.RunWithContext(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s ping: %w", mode, err)
	}
	if reply == nil {
		return nil, errNoEchoReply
	}
	return reply, nil
}

// probingLogger routes pro-bing's logging to the probe's logger.
type probingLogger struct{ logger *slog.Logger }

func (l probingLogger) Fatalf(format string, v ...any) { l.logger.Error(fmt.Sprintf(format, v...)) }
func (l probingLogger) Errorf(format string, v ...any) { l.logger.Error(fmt.Sprintf(format, v...)) }
func (l probingLogger) Warnf(format string, v ...any)  { l.logger.Warn(fmt.Sprintf(format, v...)) }
func (l probingLogger) Infof(format string, v ...any)  { l.logger.Info(fmt.Sprintf(format, v...)) }
func (l probingLogger) Debugf(format string, v ...any) { l.logger.Debug(fmt.Sprintf(format, v...)) }
