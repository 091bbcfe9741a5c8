package prober

import (
	"context"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// DNSProbe configures the dns prober (blackbox_exporter's dns module). The
// probe target is the DNS server, host[:port].
type DNSProbe struct {
	IPProtocol         string    `yaml:"preferred_ip_protocol,omitempty"` // ip4 (default) or ip6
	IPProtocolFallback *bool     `yaml:"ip_protocol_fallback,omitempty"`  // default true
	SourceIPAddress    string    `yaml:"source_ip_address,omitempty"`
	TransportProtocol  string    `yaml:"transport_protocol,omitempty"` // udp (default) or tcp
	DNSOverTLS         bool      `yaml:"dns_over_tls,omitempty"`
	TLSConfig          TLSConfig `yaml:"tls_config,omitempty"`
	QueryName          string    `yaml:"query_name"`
	QueryType          string    `yaml:"query_type,omitempty"`  // default ANY, as blackbox
	QueryClass         string    `yaml:"query_class,omitempty"` // default IN
	Recursion          *bool     `yaml:"recursion_desired,omitempty"`
	ValidRcodes        []string  `yaml:"valid_rcodes,omitempty"` // default NOERROR

	ValidateAnswer     DNSRRValidator `yaml:"validate_answer_rrs,omitempty"`
	ValidateAuthority  DNSRRValidator `yaml:"validate_authority_rrs,omitempty"`
	ValidateAdditional DNSRRValidator `yaml:"validate_additional_rrs,omitempty"`
}

// DNSRRValidator checks one section of the answer, each RR in its text form
// ("example.com.\t300\tIN\tA\t192.0.2.1").
type DNSRRValidator struct {
	FailIfMatchesRegexp     []Regexp `yaml:"fail_if_matches_regexp,omitempty"`
	FailIfAllMatchRegexp    []Regexp `yaml:"fail_if_all_match_regexp,omitempty"`
	FailIfNotMatchesRegexp  []Regexp `yaml:"fail_if_not_matches_regexp,omitempty"`
	FailIfNoneMatchesRegexp []Regexp `yaml:"fail_if_none_matches_regexp,omitempty"`
}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line.
func (p *DNSProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = DNSProbe{}
	type dnsSection DNSProbe
	if err := yamlx.DecodeStrict(value, (*dnsSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings and compiles the expressions; each error
// starts with its yaml field.
func (p *DNSProbe) Validate() error {
	if p.QueryName == "" {
		return errors.New("query_name: must be set")
	}
	if _, err := p.queryType(); err != nil {
		return err
	}
	if _, err := p.queryClass(); err != nil {
		return err
	}
	if _, err := p.validRcodes(); err != nil {
		return err
	}
	if _, err := p.network("4"); err != nil {
		return err
	}
	if err := validIPProtocol(p.IPProtocol); err != nil {
		return fmt.Errorf("preferred_ip_protocol: %w", err)
	}
	if err := validSourceIP(p.SourceIPAddress); err != nil {
		return err
	}
	for _, section := range []struct {
		name string
		v    *DNSRRValidator
	}{
		{"validate_answer_rrs", &p.ValidateAnswer},
		{"validate_authority_rrs", &p.ValidateAuthority},
		{"validate_additional_rrs", &p.ValidateAdditional},
	} {
		if err := section.v.compile(); err != nil {
			return fmt.Errorf("%s.%w", section.name, err)
		}
	}
	return validateTLS(p.TLSConfig)
}

func (p *DNSProbe) queryType() (uint16, error) {
	if p.QueryType == "" {
		return dns.TypeANY, nil
	}
	qt, ok := dns.StringToType[strings.ToUpper(p.QueryType)]
	if !ok {
		return 0, fmt.Errorf("query_type: %q is not a DNS record type", p.QueryType)
	}
	return qt, nil
}

func (p *DNSProbe) queryClass() (uint16, error) {
	if p.QueryClass == "" {
		return dns.ClassINET, nil
	}
	qc, ok := dns.StringToClass[strings.ToUpper(p.QueryClass)]
	if !ok {
		return 0, fmt.Errorf("query_class: %q is not a DNS class", p.QueryClass)
	}
	return qc, nil
}

func (p *DNSProbe) validRcodes() ([]int, error) {
	if len(p.ValidRcodes) == 0 {
		return []int{dns.RcodeSuccess}, nil
	}
	codes := make([]int, 0, len(p.ValidRcodes))
	for i, name := range p.ValidRcodes {
		rc, ok := dns.StringToRcode[strings.ToUpper(name)]
		if !ok {
			return nil, fmt.Errorf("valid_rcodes[%d]: %q is not an rcode (NOERROR, NXDOMAIN, SERVFAIL, ...)", i, name)
		}
		codes = append(codes, rc)
	}
	return codes, nil
}

// network is the miekg/dns network for an IP family ("4" or "6").
func (p *DNSProbe) network(family string) (string, error) {
	transport := p.TransportProtocol
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return "", fmt.Errorf("transport_protocol: %q is not udp or tcp", p.TransportProtocol)
	}
	if p.DNSOverTLS {
		if transport != "tcp" {
			return "", errors.New("dns_over_tls: needs transport_protocol: tcp")
		}
		return "tcp" + family + "-tls", nil
	}
	return transport + family, nil
}

func (v *DNSRRValidator) compile() error {
	for _, rule := range []struct {
		field string
		list  []Regexp
	}{
		{"fail_if_matches_regexp", v.FailIfMatchesRegexp},
		{"fail_if_all_match_regexp", v.FailIfAllMatchRegexp},
		{"fail_if_not_matches_regexp", v.FailIfNotMatchesRegexp},
		{"fail_if_none_matches_regexp", v.FailIfNoneMatchesRegexp},
	} {
		for i := range rule.list {
			if err := rule.list[i].compile(); err != nil {
				return fmt.Errorf("%s[%d]: %w", rule.field, i, err)
			}
		}
	}
	return nil
}

type dnsMetrics struct {
	durations                     *prometheus.GaugeVec
	answer, authority, additional prometheus.Gauge
	querySucceeded                prometheus.Gauge
}

func newDNSMetrics(registry *prometheus.Registry) *dnsMetrics {
	m := &dnsMetrics{
		durations: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "probe_dns_duration_seconds",
			Help: "Duration of DNS request by phase",
		}, []string{"phase"}),
		answer: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "probe_dns_answer_rrs",
			Help: "Returns number of entries in the answer resource record list",
		}),
		authority: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "probe_dns_authority_rrs",
			Help: "Returns number of entries in the authority resource record list",
		}),
		additional: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "probe_dns_additional_rrs",
			Help: "Returns number of entries in the additional resource record list",
		}),
		querySucceeded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "probe_dns_query_succeeded",
			Help: "Displays whether or not the query was executed successfully",
		}),
	}
	for _, phase := range []string{"resolve", "connect", "request"} {
		m.durations.WithLabelValues(phase)
	}
	registry.MustRegister(m.durations, m.answer, m.authority, m.additional, m.querySucceeded)
	return m
}

// ProbeDNS asks the DNS server target (host[:port], port 53 or 853 for DoT)
// one question and checks the rcode and the answer's sections.
func ProbeDNS(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg := module.DNS
	m := newDNSMetrics(registry)
	qt, qtErr := cfg.queryType()
	qc, qcErr := cfg.queryClass()
	validRcodes, rcErr := cfg.validRcodes()
	if err := errors.Join(qtErr, qcErr, rcErr); err != nil || cfg.QueryName == "" {
		logger.Error("Invalid dns module", "err", err, "query_name", cfg.QueryName)
		return false
	}

	host, port, err := net.SplitHostPort(target)
	if err != nil { // a bare host uses the default port
		host, port = target, "53"
		if cfg.DNSOverTLS {
			port = "853"
		}
	}
	ip, lookupSeconds, err := resolveTarget(ctx, host, cfg.IPProtocol, fallbackOrDefault(cfg.IPProtocolFallback), registry, logger)
	if err != nil {
		logger.Error("Error resolving address", "err", err)
		return false
	}
	m.durations.WithLabelValues("resolve").Add(lookupSeconds)

	client, err := dnsClient(cfg, host, ip)
	if err != nil {
		logger.Error("Invalid dns module", "err", err)
		return false
	}
	msg := new(dns.Msg)
	msg.Id = dns.Id()
	msg.RecursionDesired = cfg.Recursion == nil || *cfg.Recursion
	msg.Question = []dns.Question{{Name: dns.Fqdn(cfg.QueryName), Qtype: qt, Qclass: qc}}

	server := net.JoinHostPort(ip.IP.String(), port)
	logger.Debug("Making DNS query", "server", server, "net", client.Net, "query", cfg.QueryName, "type", dns.TypeToString[qt])
	if deadline, ok := ctx.Deadline(); ok {
		// Without it miekg/dns gives up reading after its 2 s default,
		// whatever the module's timeout (blackbox_exporter sets it too).
		client.Timeout = time.Until(deadline)
	}
	start := time.Now()
	response, rtt, err := client.ExchangeContext(ctx, msg, server)
	// rtt covers only the exchange after the connection was set up; the
	// rest of the time is the connect phase, as in blackbox.
	m.durations.WithLabelValues("connect").Set((time.Since(start) - rtt).Seconds())
	m.durations.WithLabelValues("request").Set(rtt.Seconds())
	if err != nil {
		logger.Error("Error while sending a DNS query", "err", err)
		return false
	}
	m.answer.Set(float64(len(response.Answer)))
	m.authority.Set(float64(len(response.Ns)))
	m.additional.Set(float64(len(response.Extra)))
	m.querySucceeded.Set(1)
	if qt == dns.TypeSOA {
		registerDNSSerial(registry, response.Answer)
	}
	return checkDNSResponse(response, validRcodes, cfg, logger)
}

func dnsClient(cfg DNSProbe, host string, ip *net.IPAddr) (*dns.Client, error) {
	family := "4"
	if ip.IP.To4() == nil {
		family = "6"
	}
	network, err := cfg.network(family)
	if err != nil {
		return nil, err
	}
	client := &dns.Client{Net: network, Dialer: &net.Dialer{}}
	if cfg.SourceIPAddress != "" {
		src := net.ParseIP(cfg.SourceIPAddress)
		if strings.HasPrefix(network, "udp") {
			client.Dialer.LocalAddr = &net.UDPAddr{IP: src}
		} else {
			client.Dialer.LocalAddr = &net.TCPAddr{IP: src}
		}
	}
	if cfg.DNSOverTLS {
		if client.TLSConfig, err = buildTLS(cfg.TLSConfig, host); err != nil {
			return nil, err
		}
	}
	return client, nil
}

func registerDNSSerial(registry *prometheus.Registry, answer []dns.RR) {
	serial := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "probe_dns_serial",
		Help: "Returns the serial number of the zone",
	})
	registry.MustRegister(serial)
	for _, rr := range answer {
		if soa, ok := rr.(*dns.SOA); ok {
			serial.Set(float64(soa.Serial))
		}
	}
}

func checkDNSResponse(response *dns.Msg, validRcodes []int, cfg DNSProbe, logger *slog.Logger) bool {
	if !slices.Contains(validRcodes, response.Rcode) {
		logger.Error("Rcode is not one of the valid rcodes", "rcode", dns.RcodeToString[response.Rcode], "valid_rcodes", cfg.ValidRcodes)
		return false
	}
	for _, section := range []struct {
		name string
		rrs  []dns.RR
		v    *DNSRRValidator
	}{
		{"answer", response.Answer, &cfg.ValidateAnswer},
		{"authority", response.Ns, &cfg.ValidateAuthority},
		{"additional", response.Extra, &cfg.ValidateAdditional},
	} {
		if err := section.v.check(section.rrs); err != nil {
			logger.Error("RR validation failed", "section", section.name, "err", err)
			return false
		}
	}
	return true
}

// check applies blackbox's four rules to one section's records.
func (v *DNSRRValidator) check(rrs []dns.RR) error {
	if len(rrs) == 0 && (len(v.FailIfNotMatchesRegexp) > 0 || len(v.FailIfNoneMatchesRegexp) > 0) {
		return errors.New("a match is required but no RRs were returned")
	}
	texts := make([]string, len(rrs))
	for i, rr := range rrs {
		texts[i] = rr.String()
	}
	for _, r := range v.FailIfMatchesRegexp {
		re, err := r.compiled()
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(texts, re.MatchString); i >= 0 {
			return fmt.Errorf("%q matched fail_if_matches_regexp %q", texts[i], r)
		}
	}
	for _, r := range v.FailIfNotMatchesRegexp {
		re, err := r.compiled()
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(texts, func(s string) bool { return !re.MatchString(s) }); i >= 0 {
			return fmt.Errorf("%q did not match fail_if_not_matches_regexp %q", texts[i], r)
		}
	}
	// Despite its name, blackbox fails this rule when NOT every RR matches
	// (and passes an empty section); golive keeps blackbox's behaviour.
	for _, r := range v.FailIfAllMatchRegexp {
		re, err := r.compiled()
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(texts, func(s string) bool { return !re.MatchString(s) }); i >= 0 {
			return fmt.Errorf("%q did not match fail_if_all_match_regexp %q", texts[i], r)
		}
	}
	if len(v.FailIfNoneMatchesRegexp) > 0 {
		matched := false
		for _, r := range v.FailIfNoneMatchesRegexp {
			re, err := r.compiled()
			if err != nil {
				return err
			}
			matched = matched || slices.ContainsFunc(texts, re.MatchString)
		}
		if !matched {
			return errors.New("no RR matched any fail_if_none_matches_regexp")
		}
	}
	return nil
}
