package dailyreport

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/httpclient"
	"github.com/golive-ops/golive/internal/mail"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/config"
)

// options are the flags of `golive report`.
type options struct {
	promURL, recvURL, tokenFile, cfgFile string
	to, date, tz, out, eml               string
	text                                 bool
	httpConfig                           *string
	promTimeout                          model.Duration
}

// Command runs `golive report`. Exit codes: 0 mailed or written, 1 the
// mail was refused, 2 it could not be built (bad flags or config, Prometheus
// or the receiver unreachable: there is no report to send).
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "report", "Build the daily monitoring report (runbook R3.7) from Prometheus and the receiver's incidents, and mail it; --out or --eml write it instead.")
	var o options
	app.Flag("prometheus.url", "Prometheus base URL (default: the config's report.prometheus_url).").PlaceHolder("URL").StringVar(&o.promURL)
	o.httpConfig = cli.AddHTTPConfigFlag(app, "Prometheus")
	cli.DurationVar(app.Flag("prometheus.timeout", "Timeout of each Prometheus query."), "30s", &o.promTimeout)
	app.Flag("receiver.url", "Receiver base URL for the incident sections (empty: none).").Envar(client.EnvURL).PlaceHolder("URL").StringVar(&o.recvURL)
	app.Flag("receiver.token-file", "File holding the bearer token for the receiver's API.").Envar(client.EnvTokenFile).PlaceHolder("FILE").StringVar(&o.tokenFile)
	app.Flag("config", "Receiver config: its report section and the notify email channel it names say how and to whom to mail.").PlaceHolder("FILE").StringVar(&o.cfgFile)
	app.Flag("to", "Comma-separated recipients (default: the config's report.to).").StringVar(&o.to)
	app.Flag("date", "The day: YYYY-MM-DD, today (up to now) or yesterday.").Default("today").StringVar(&o.date)
	app.Flag("timezone", "Time zone of the day (default: report.timezone, oncall.timezone, or local time).").StringVar(&o.tz)
	app.Flag("out", "Write the HTML, charts embedded, to this file instead of mailing.").PlaceHolder("FILE").StringVar(&o.out)
	app.Flag("eml", "Write the whole mail (.eml) to this file instead of mailing.").PlaceHolder("FILE").StringVar(&o.eml)
	app.Flag("text", "Print the plain-text part instead of mailing.").BoolVar(&o.text)
	if _, code, done := app.Parse(); done {
		return code
	}
	return run(ctx, env, o)
}

func run(ctx context.Context, env cli.Env, o options) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(env.Stderr, "golive report: "+format+"\n", args...)
		return code
	}
	var cfg *config.Config
	if o.cfgFile != "" {
		var err error
		if cfg, err = config.Load(o.cfgFile); err != nil {
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
	if o.tz != "" {
		zone = o.tz
	}
	loc, err := loadLocation(zone)
	if err != nil {
		return fail(2, "--timezone: %v", err)
	}
	day, err := report.ParseDate(o.date, time.Now(), loc)
	if err != nil {
		return fail(2, "%v", err)
	}
	if o.promURL == "" {
		o.promURL = rc.PrometheusURL
	}
	if o.promURL == "" {
		return fail(2, "--prometheus.url is required (or report.prometheus_url in --config)")
	}
	hc, err := httpclient.FromFile(*o.httpConfig, "report")
	if err != nil {
		return fail(2, "%v", err)
	}
	prom, err := promclient.New(promclient.Options{URL: o.promURL, Timeout: time.Duration(o.promTimeout), HTTPClient: hc})
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
	if o.recvURL != "" {
		tok, err := secret.Resolve("--receiver.token", "", o.tokenFile, "")
		if err != nil {
			return fail(2, "%v", err)
		}
		src = APISource{&client.Client{BaseURL: o.recvURL, Token: tok}}
	}
	mailing := o.out == "" && o.eml == "" && !o.text
	var host *mail.Smarthost
	var rcpts []*netmail.Address
	if mailing || o.eml != "" {
		if host, rcpts, err = relay(cfg, rc, o.to); err != nil && mailing {
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
	if o.text {
		fmt.Fprint(env.Stdout, r.RenderText())
	}
	if o.out != "" {
		html, err := r.StandaloneHTML()
		if err != nil {
			return fail(2, "%v", err)
		}
		if err := os.WriteFile(o.out, []byte(html), 0o644); err != nil {
			return fail(2, "--out: %v", err)
		}
	}
	if !mailing && o.eml == "" {
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
	if o.eml != "" {
		if err := os.WriteFile(o.eml, b, 0o644); err != nil {
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
