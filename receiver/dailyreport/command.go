package dailyreport

import (
	"context"
	"errors"
	"flag"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/mail"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/config"
)

// Command runs `golive report`. Exit codes: 0 mailed or written, 1 the
// mail was refused, 2 it could not be built (bad flags or config, Prometheus
// or the receiver unreachable).
func Command(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("report", env)
	promURL := fs.String("prometheus.url", "", "Prometheus base URL (default: the config's report.prometheus_url)")
	promTimeout := fs.Duration("prometheus.timeout", 30*time.Second, "timeout of each Prometheus query")
	recvURL := fs.String("receiver.url", "", "receiver base URL for incidents (empty: no incident sections)")
	tokenFile := fs.String("receiver.token-file", "", "file holding the receiver's bearer token")
	cfgFile := fs.String("config", "", "receiver config whose report section and notify email channel say how to mail")
	to := fs.String("to", "", "comma-separated recipients (default: the config's report.to)")
	date := fs.String("date", "today", "the day: YYYY-MM-DD, today or yesterday (today: up to now)")
	tz := fs.String("timezone", "", "time zone of the day (default: report.timezone, oncall.timezone, or local)")
	out := fs.String("out", "", "write the HTML (charts embedded) to this file instead of mailing")
	eml := fs.String("eml", "", "write the whole mail (.eml) to this file instead of mailing")
	text := fs.Bool("text", false, "print the plain-text part to stdout instead of mailing")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(env.Stderr, "golive report: "+format+"\n", args...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	var cfg *config.Config
	if *cfgFile != "" {
		var err error
		if cfg, err = config.Load(*cfgFile); err != nil {
			return fail(2, "%v", err)
		}
	}
	rc := report.Config{}
	zone := ""
	if cfg != nil {
		rc, zone = cfg.Report, cfg.OnCall.TimeZone
		if rc.TimeZone != "" {
			zone = rc.TimeZone
		}
	}
	if *tz != "" {
		zone = *tz
	}
	loc, err := loadLocation(zone)
	if err != nil {
		return fail(2, "--timezone: %v", err)
	}
	day, err := report.ParseDate(*date, time.Now(), loc)
	if err != nil {
		return fail(2, "%v", err)
	}
	if *promURL == "" {
		*promURL = rc.PrometheusURL
	}
	if *promURL == "" {
		return fail(2, "--prometheus.url is required (or report.prometheus_url in --config)")
	}
	prom, err := promclient.New(promclient.Options{URL: *promURL, Timeout: *promTimeout})
	if err != nil {
		return fail(2, "--prometheus.url: %v", err)
	}
	opts, err := Options(rc, loc)
	if err != nil {
		return fail(2, "%v", err)
	}
	opts.Day = day
	if cfg != nil {
		opts.ExternalURL = cfg.ExternalURL
	}
	var src report.IncidentSource
	if *recvURL != "" {
		tok, err := secret.Resolve("--receiver.token", "", *tokenFile, "")
		if err != nil {
			return fail(2, "%v", err)
		}
		src = APISource{&client.Client{BaseURL: *recvURL, Token: tok}}
	}
	mailing := *out == "" && *eml == "" && !*text
	var host *mail.Smarthost
	var rcpts []*netmail.Address
	if mailing || *eml != "" {
		if host, rcpts, err = relay(cfg, rc, *to); err != nil && mailing {
			return fail(2, "%v", err)
		}
	}
	r, err := report.Build(ctx, prom, src, opts)
	if err != nil {
		return fail(2, "%v", err)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(env.Stderr, "golive report: warning: %s\n", w)
	}
	if *text {
		fmt.Fprint(env.Stdout, r.RenderText())
	}
	if *out != "" {
		html, err := r.StandaloneHTML()
		if err != nil {
			return fail(2, "%v", err)
		}
		if err := os.WriteFile(*out, []byte(html), 0o644); err != nil {
			return fail(2, "--out: %v", err)
		}
	}
	if !mailing && *eml == "" {
		return 0
	}
	var from *netmail.Address
	if host != nil {
		from = host.From
	} else {
		from = &netmail.Address{Name: "golive", Address: "golive@localhost"}
	}
	msg, err := r.Mail(from, rcpts, Key(r.Date, rcpts)+"@golive")
	if err != nil {
		return fail(2, "%v", err)
	}
	b, err := msg.Bytes()
	if err != nil {
		return fail(2, "%v", err)
	}
	if *eml != "" {
		if err := os.WriteFile(*eml, b, 0o644); err != nil {
			return fail(2, "--eml: %v", err)
		}
		return 0
	}
	if err := host.Send(ctx, rcpts, b); err != nil {
		return fail(1, "mailing the report: %v", err)
	}
	fmt.Fprintf(env.Stderr, "golive report: mailed the report of %s to %d recipient(s)\n", r.Date, len(rcpts))
	return 0
}

// relay finds the SMTP relay (the config's report.channel) and recipients.
func relay(cfg *config.Config, rc report.Config, toFlag string) (*mail.Smarthost, []*netmail.Address, error) {
	if cfg == nil {
		return nil, nil, errors.New("mailing needs --config (a receiver config with a report section and its notify email channel); or use --out or --eml")
	}
	if rc.Channel == "" {
		return nil, nil, fmt.Errorf("%s: report.channel: required to mail the report", "--config")
	}
	var host *mail.Smarthost
	for _, ch := range cfg.Notify.Channels {
		if ch.Name == rc.Channel && ch.Email != nil {
			h, _, err := ch.Email.Relay(ch.Timeout)
			if err != nil {
				return nil, nil, fmt.Errorf("report.channel %q: %w", rc.Channel, err)
			}
			host = h
		}
	}
	if host == nil {
		return nil, nil, fmt.Errorf("report.channel: %q is not an email channel in notify.channels", rc.Channel)
	}
	list := rc.To
	if toFlag != "" {
		list = strings.Split(toFlag, ",")
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
	}
	if len(list) == 0 {
		return nil, nil, errors.New("no recipients: set --to or report.to")
	}
	to, err := addresses(list)
	if err != nil {
		return nil, nil, fmt.Errorf("--to: %w", err)
	}
	return host, to, nil
}
