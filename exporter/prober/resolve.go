package prober

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// IP protocols a module may prefer (yaml preferred_ip_protocol).
const (
	IP4 = "ip4"
	IP6 = "ip6"
)

// validIPProtocol checks a preferred_ip_protocol value; "" means ip4.
func validIPProtocol(p string) error {
	switch p {
	case "", IP4, IP6:
		return nil
	}
	return fmt.Errorf("%q is not ip4 or ip6", p)
}

// resolveTarget resolves host to one address of the preferred protocol
// ("" means ip4), falling back to the other protocol when fallback is set,
// and registers probe_ip_protocol, probe_ip_addr_hash and
// probe_dns_lookup_time_seconds as blackbox_exporter does. It returns the
// address and the lookup time in seconds.
func resolveTarget(ctx context.Context, host, preferred string, fallback bool, registry *prometheus.Registry, logger *slog.Logger) (*net.IPAddr, float64, error) {
	lookupTime := prometheus.NewGauge(probeDNSLookupTimeOpts)
	ipProtocol := prometheus.NewGauge(probeIPProtocolOpts)
	addrHash := prometheus.NewGauge(probeIPAddrHashOpts)
	registry.MustRegister(ipProtocol, lookupTime, addrHash)

	if preferred == "" {
		preferred = IP4
	}
	logger.Debug("Resolving target address", "target", host, "ip_protocol", preferred)
	start := time.Now()
	ip, err := lookup(ctx, host, preferred, fallback)
	seconds := time.Since(start).Seconds()
	lookupTime.Set(seconds)
	if err != nil {
		return nil, seconds, fmt.Errorf("resolving %s: %w", host, err)
	}
	if ip.IP.To4() != nil {
		ipProtocol.Set(4)
	} else {
		ipProtocol.Set(6)
	}
	addrHash.Set(ipHash(ip.IP))
	logger.Debug("Resolved target address", "target", host, "ip", ip.String())
	return ip, seconds, nil
}

var errNoAddress = errors.New("no address of the wanted IP protocol")

func lookup(ctx context.Context, host, preferred string, fallback bool) (*net.IPAddr, error) {
	resolver := &net.Resolver{}
	if !fallback {
		ips, err := resolver.LookupIP(ctx, preferred, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, errNoAddress
		}
		return &net.IPAddr{IP: ips[0]}, nil
	}
	addrs, err := resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var other *net.IPAddr
	for i := range addrs {
		isIP4 := addrs[i].IP.To4() != nil
		if isIP4 == (preferred == IP4) {
			return &addrs[i], nil
		}
		if other == nil {
			other = &addrs[i]
		}
	}
	if other == nil {
		return nil, errNoAddress
	}
	return other, nil
}

// ipHash is blackbox_exporter's probe_ip_addr_hash: FNV-32a of the address.
func ipHash(ip net.IP) float64 {
	h := fnv.New32a()
	h.Write(ip)
	return float64(h.Sum32())
}
