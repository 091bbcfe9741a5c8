package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	imail "github.com/golive-ops/golive/internal/mail"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/yamlx"
)

// Config is the notify section of the receiver config.
type Config struct {
	Channels []ChannelConfig `yaml:"channels"`
	Routes   []Route         `yaml:"routes"`
}

// ChannelConfig configures one channel; exactly one kind is set.
type ChannelConfig struct {
	Name    string         `yaml:"name"`
	Slack   *SlackConfig   `yaml:"slack,omitempty"`
	Email   *EmailConfig   `yaml:"email,omitempty"`
	Webhook *WebhookConfig `yaml:"webhook,omitempty"`
	Title   string         `yaml:"title,omitempty"` // template; default DefaultTitle
	Text    string         `yaml:"text,omitempty"`  // template; default DefaultText
	Timeout time.Duration  `yaml:"timeout,omitempty"`
}

// SlackConfig configures a Slack incoming webhook; its URL is a secret
// (the path is the credential).
type SlackConfig struct {
	URL      secret.Secret `yaml:"url,omitempty"`
	URLFile  string        `yaml:"url_file,omitempty"`
	Channel  string        `yaml:"channel,omitempty"`
	Username string        `yaml:"username,omitempty"`
}

// EmailConfig configures SMTP delivery.
type EmailConfig struct {
	Smarthost    string        `yaml:"smarthost"`
	From         string        `yaml:"from"`
	To           []string      `yaml:"to"`
	Hello        string        `yaml:"hello,omitempty"`
	Username     string        `yaml:"auth_username,omitempty"`
	Password     secret.Secret `yaml:"auth_password,omitempty"`
	PasswordFile string        `yaml:"auth_password_file,omitempty"`
	// RequireTLS defaults to true: credentials and incident details do not
	// travel in plaintext unless explicitly allowed.
	RequireTLS  *bool     `yaml:"require_tls,omitempty"`
	ImplicitTLS bool      `yaml:"implicit_tls,omitempty"`
	TLS         TLSConfig `yaml:"tls_config,omitempty"`
}

// WebhookConfig configures a generic JSON webhook.
type WebhookConfig struct {
	URL             string            `yaml:"url"`
	Headers         map[string]string `yaml:"headers,omitempty"`
	BearerToken     secret.Secret     `yaml:"bearer_token,omitempty"`
	BearerTokenFile string            `yaml:"bearer_token_file,omitempty"`
	Username        string            `yaml:"basic_auth_username,omitempty"`
	Password        secret.Secret     `yaml:"basic_auth_password,omitempty"`
	PasswordFile    string            `yaml:"basic_auth_password_file,omitempty"`
	TLS             TLSConfig         `yaml:"tls_config,omitempty"`
}

// TLSConfig is the usual client TLS knobs.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Route sends notifications of the given priorities and events to channels.
// Every matching route applies; a channel is used once. Without events, a
// route carries DefaultEvents: the changes someone has to act on.
type Route struct {
	Priorities []string `yaml:"priorities"`
	Events     []string `yaml:"events,omitempty"`
	Channels   []string `yaml:"channels"`
}

var (
	priorities = []string{"P0", "P1", "P2", "P3"}
	// events are the incident changes a route can name.
	events = []string{"opened", "reopened", "escalated", "lowered", "acknowledged", "in_progress", "resolved", "closed", "sla_breach", "test"}
	// DefaultEvents are what a route without events carries. Acknowledging,
	// starting work and closing are done by people, who know already.
	DefaultEvents = []string{"opened", "reopened", "escalated", "sla_breach", "resolved", "test"}
)

// UnmarshalYAML validates cross references between routes and channels.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks names, kinds and route references.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i, ch := range c.Channels {
		if ch.Name == "" {
			return fmt.Errorf("channels[%d].name: is required", i)
		}
		if seen[ch.Name] {
			return fmt.Errorf("channels[%d].name: duplicate channel name %q", i, ch.Name)
		}
		seen[ch.Name] = true
		if err := ch.validate(); err != nil {
			return yamlx.Prefix(fmt.Sprintf("channels[%d]", i), err)
		}
	}
	for i, r := range c.Routes {
		if len(r.Priorities) == 0 {
			return fmt.Errorf("routes[%d].priorities: is required (P0, P1, P2, P3)", i)
		}
		for j, p := range r.Priorities {
			if !slices.Contains(priorities, p) {
				return fmt.Errorf("routes[%d].priorities[%d]: priority %q is not one of P0, P1, P2, P3", i, j, p)
			}
		}
		for j, e := range r.Events {
			if !slices.Contains(events, e) {
				return fmt.Errorf("routes[%d].events[%d]: event %q is not one of %v", i, j, e, events)
			}
		}
		if len(r.Channels) == 0 {
			return fmt.Errorf("routes[%d].channels: is required", i)
		}
		for j, name := range r.Channels {
			if !seen[name] {
				return fmt.Errorf("routes[%d].channels[%d]: channel %q is not defined in notify.channels", i, j, name)
			}
		}
	}
	return nil
}

func (ch *ChannelConfig) validate() error {
	kinds := 0
	for _, set := range []bool{ch.Slack != nil, ch.Email != nil, ch.Webhook != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("exactly one of slack, email, webhook must be set")
	}
	if ch.Timeout < 0 {
		return errors.New("timeout: must not be negative")
	}
	if _, err := NewTemplate(ch.Title, ch.Text); err != nil {
		return err
	}
	switch {
	case ch.Slack != nil:
		if ch.Slack.URL == "" && ch.Slack.URLFile == "" {
			return errors.New("slack.url: url or url_file is required")
		}
		if ch.Slack.URL != "" && ch.Slack.URLFile != "" {
			return errors.New("slack.url_file: at most one of url and url_file")
		}
		if ch.Slack.URL != "" {
			if _, err := parseHTTPURL(ch.Slack.URL.Value()); err != nil {
				return fmt.Errorf("slack.url: %w", err)
			}
		}
	case ch.Email != nil:
		e := ch.Email
		if _, port, err := net.SplitHostPort(e.Smarthost); err != nil || port == "" {
			return fmt.Errorf("email.smarthost: %q must be host:port", e.Smarthost)
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			return fmt.Errorf("email.from: %q: %w", e.From, err)
		}
		if len(e.To) == 0 {
			return errors.New("email.to: needs at least one address")
		}
		for i, a := range e.To {
			if _, err := mail.ParseAddress(a); err != nil {
				return fmt.Errorf("email.to[%d]: %q: %w", i, a, err)
			}
		}
		if e.Password != "" && e.PasswordFile != "" {
			return errors.New("email.auth_password_file: at most one of auth_password and auth_password_file")
		}
	case ch.Webhook != nil:
		if _, err := parseHTTPURL(ch.Webhook.URL); err != nil {
			return fmt.Errorf("webhook.url: %w", err)
		}
		w := ch.Webhook
		if (w.BearerToken != "" || w.BearerTokenFile != "") && w.Username != "" {
			return errors.New("webhook: at most one of bearer token and basic auth")
		}
	}
	return nil
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse errors quote the input, which may be a secret URL.
		return nil, errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("must be an absolute http or https URL")
	}
	return u, nil
}

func (t TLSConfig) build() (*tls.Config, error) {
	c := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file %s: no PEM certificates", t.CAFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 15 * time.Second

// Build turns validated channel configs into senders, reading secret files.
func Build(cfgs []ChannelConfig) (map[string]Channel, error) {
	out := make(map[string]Channel, len(cfgs))
	for _, cfg := range cfgs {
		ch, err := build(cfg)
		if err != nil {
			return nil, fmt.Errorf("notify channel %q: %w", cfg.Name, err)
		}
		out[cfg.Name] = ch
	}
	return out, nil
}

func build(cfg ChannelConfig) (Channel, error) {
	tmpl, err := NewTemplate(cfg.Title, cfg.Text)
	if err != nil {
		return Channel{}, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	switch {
	case cfg.Slack != nil:
		raw, err := secret.Resolve("url", cfg.Slack.URL, cfg.Slack.URLFile, "")
		if err != nil {
			return Channel{}, fmt.Errorf("slack: %w", err)
		}
		u, err := parseHTTPURL(raw.Value())
		if err != nil {
			return Channel{}, fmt.Errorf("slack: url: %w", err)
		}
		return Channel{Name: cfg.Name, Kind: "slack", Sender: &Slack{
			url: u, channel: cfg.Slack.Channel, username: cfg.Slack.Username, tmpl: tmpl,
			client: newHTTPClient(timeout, nil),
		}}, nil
	case cfg.Email != nil:
		return buildEmail(cfg, tmpl, timeout)
	case cfg.Webhook != nil:
		return buildWebhook(cfg, tmpl, timeout)
	}
	return Channel{}, errors.New("no channel kind set")
}

func buildEmail(cfg ChannelConfig, tmpl *Template, timeout time.Duration) (Channel, error) {
	host, to, err := cfg.Email.Relay(timeout)
	if err != nil {
		return Channel{}, fmt.Errorf("email: %w", err)
	}
	return Channel{Name: cfg.Name, Kind: "email", Sender: &Email{host: host, to: to, tmpl: tmpl, now: time.Now}}, nil
}

// Relay builds the SMTP relay and recipients an email channel sends
// through, reading the password file; the daily report mails through the
// same relay.
func (e *EmailConfig) Relay(timeout time.Duration) (*imail.Smarthost, []*mail.Address, error) {
	pw, err := secret.Resolve("auth_password", e.Password, e.PasswordFile, "")
	if err != nil {
		return nil, nil, err
	}
	tc, err := e.TLS.build()
	if err != nil {
		return nil, nil, err
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return nil, nil, fmt.Errorf("from: %w", err)
	}
	to := make([]*mail.Address, 0, len(e.To))
	for _, a := range e.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, nil, fmt.Errorf("to: %w", err)
		}
		to = append(to, addr)
	}
	_, port, _ := net.SplitHostPort(e.Smarthost)
	hello := e.Hello
	if hello == "" {
		hello = "localhost"
		if h, err := os.Hostname(); err == nil {
			hello = h
		}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &imail.Smarthost{
		Addr: e.Smarthost, Hello: hello, From: from,
		Username: e.Username, Password: pw,
		Implicit:   e.ImplicitTLS || port == strconv.Itoa(465),
		RequireTLS: e.RequireTLS == nil || *e.RequireTLS,
		TLS:        tc, Timeout: timeout,
		Dialer: net.Dialer{Timeout: timeout},
	}, to, nil
}

func buildWebhook(cfg ChannelConfig, tmpl *Template, timeout time.Duration) (Channel, error) {
	w := cfg.Webhook
	u, err := parseHTTPURL(w.URL)
	if err != nil {
		return Channel{}, fmt.Errorf("webhook: url: %w", err)
	}
	bearer, err := secret.Resolve("bearer_token", w.BearerToken, w.BearerTokenFile, "")
	if err != nil {
		return Channel{}, fmt.Errorf("webhook: %w", err)
	}
	pass, err := secret.Resolve("basic_auth_password", w.Password, w.PasswordFile, "")
	if err != nil {
		return Channel{}, fmt.Errorf("webhook: %w", err)
	}
	tc, err := w.TLS.build()
	if err != nil {
		return Channel{}, fmt.Errorf("webhook: %w", err)
	}
	h := http.Header{}
	for k, v := range w.Headers {
		h.Set(k, v)
	}
	return Channel{Name: cfg.Name, Kind: "webhook", Sender: &Webhook{
		url: u, header: h, bearer: bearer, user: w.Username, pass: pass, tmpl: tmpl,
		client: newHTTPClient(timeout, tc),
	}}, nil
}

// newHTTPClient gives each channel its own transport, so one slow endpoint's
// connections and TLS settings never affect another's.
func newHTTPClient(timeout time.Duration, tc *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 2
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		// A notification endpoint that redirects is misconfigured; following
		// it could forward credentials to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// RelativeTo makes the *_file and ca_file paths relative to dir (the
// config file's directory), as every other path in the config is.
func (c *Config) RelativeTo(dir string) {
	join := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for i := range c.Channels {
		ch := &c.Channels[i]
		switch {
		case ch.Slack != nil:
			join(&ch.Slack.URLFile)
		case ch.Email != nil:
			join(&ch.Email.PasswordFile)
			join(&ch.Email.TLS.CAFile)
		case ch.Webhook != nil:
			join(&ch.Webhook.BearerTokenFile)
			join(&ch.Webhook.PasswordFile)
			join(&ch.Webhook.TLS.CAFile)
		}
	}
}

// ChannelsFor returns the channel names routed for a priority and event, in
// config order without repeats.
func (c *Config) ChannelsFor(priority, event string) []string {
	var out []string
	for _, r := range c.Routes {
		if !slices.Contains(r.Priorities, priority) {
			continue
		}
		routed := r.Events
		if len(routed) == 0 {
			routed = DefaultEvents
		}
		if !slices.Contains(routed, event) {
			continue
		}
		for _, name := range r.Channels {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}
