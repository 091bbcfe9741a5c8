package dailyreport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/mail"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/store"
)

// ChannelName is the outbox channel the report travels on. The '@' keeps
// it apart from configured channel names, which the report's config refers
// to by name.
const ChannelName = "@daily-report"

// EventDailyReport is the outbox item kind.
const EventDailyReport = "daily_report"

// Schedule enqueues the day's report into the outbox at report.at, once per
// (day, recipients): the outbox key is unique, so every replica and every
// restart that tries again enqueues nothing, and one worker sends it.
type Schedule struct {
	store store.Store
	mail  *Mailer
	loc   *time.Location
	at    time.Duration
	poll  time.Duration
	log   *slog.Logger
	now   func() time.Time
}

// Mailer builds a day's report and mails it.
type Mailer struct {
	Prometheus report.Prometheus
	Incidents  report.IncidentSource
	Options    report.Options // Day is set per send
	Host       *mail.Smarthost
	To         []*netmail.Address
}

// Send builds the report of the day holding day and mails it with
// messageID (so a repeated send after a crash can be recognised).
func (m *Mailer) Send(ctx context.Context, day time.Time, messageID string) (retry bool, err error) {
	opts := m.Options
	opts.Day = day
	r, err := report.Build(ctx, m.Prometheus, m.Incidents, opts)
	if err != nil {
		// Prometheus or the store being away is worth another attempt.
		return errors.Is(err, report.ErrPrometheus) || errors.Is(err, report.ErrIncidents), err
	}
	msg, err := r.Mail(m.Host.From, m.To, messageID)
	if err != nil {
		return false, err
	}
	b, err := msg.Bytes()
	if err != nil {
		return false, err
	}
	if err := m.Host.Send(ctx, m.To, b); err != nil {
		return mail.Retryable(err), err
	}
	return false, nil
}

// New builds the schedule of cfg, or returns nil when the report is not
// configured. tz is the on-call time zone, the default of report.timezone.
func New(cfg report.Config, channels []notify.ChannelConfig, tz string, st store.Store, log *slog.Logger, now func() time.Time) (*Schedule, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	var email *notify.EmailConfig
	var timeout time.Duration
	for _, ch := range channels {
		if ch.Name == cfg.Channel {
			email, timeout = ch.Email, ch.Timeout
		}
	}
	if email == nil {
		return nil, fmt.Errorf("report.channel: %q is not an email channel in notify.channels", cfg.Channel)
	}
	host, _, err := email.Relay(timeout)
	if err != nil {
		return nil, fmt.Errorf("report.channel %q: %w", cfg.Channel, err)
	}
	to, err := addresses(cfg.To)
	if err != nil {
		return nil, err
	}
	if cfg.TimeZone != "" {
		tz = cfg.TimeZone
	}
	loc, err := loadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("report.timezone: %w", err)
	}
	at, err := cfg.Clock()
	if err != nil {
		return nil, fmt.Errorf("report.at: %w", err)
	}
	prom, err := promclient.New(promclient.Options{URL: cfg.PrometheusURL})
	if err != nil {
		return nil, fmt.Errorf("report.prometheus_url: %w", err)
	}
	opts, err := Options(cfg, loc)
	if err != nil {
		return nil, err
	}
	opts.Now = now
	return &Schedule{
		store: st, loc: loc, at: at, poll: 30 * time.Second, log: log, now: now,
		mail: &Mailer{Prometheus: prom, Incidents: StoreSource{st}, Options: opts, Host: host, To: to},
	}, nil
}

// Options are the report options cfg sets.
func Options(cfg report.Config, loc *time.Location) (report.Options, error) {
	age, err := cfg.MaxBackupAge()
	if err != nil {
		return report.Options{}, fmt.Errorf("report.backup_max_age: %w", err)
	}
	return report.Options{Location: loc, BackupMaxAge: age, CertWarnDays: cfg.CertWarnDays, DiskWarnDays: cfg.DiskWarnDays}, nil
}

func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	return time.LoadLocation(name)
}

func addresses(list []string) ([]*netmail.Address, error) {
	out := make([]*netmail.Address, 0, len(list))
	for i, a := range list {
		addr, err := netmail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("report.to[%d]: %w", i, err)
		}
		out = append(out, addr)
	}
	return out, nil
}

// Channel is the outbox channel that builds and mails a queued report; add
// it to the channels the notify worker delivers.
func (s *Schedule) Channel() notify.Channel {
	return notify.Channel{Name: ChannelName, Kind: "email", Sender: sender{s.mail, s.loc}}
}

type sender struct {
	m   *Mailer
	loc *time.Location
}

// Send delivers one queued report; the outbox worker owns retries.
func (s sender) Send(ctx context.Context, m notify.Message) (bool, error) {
	if m.Event != EventDailyReport {
		return false, fmt.Errorf("%s: unexpected event %q", ChannelName, m.Event)
	}
	day, err := time.ParseInLocation(time.DateOnly, m.Title, s.loc)
	if err != nil {
		return false, fmt.Errorf("%s: outbox item names no day: %w", ChannelName, err)
	}
	return s.m.Send(ctx, day.Add(12*time.Hour), mail.SanitizeID(m.Key)+"@golive")
}

// Key is the outbox key of one day's report to one set of recipients.
func Key(date string, to []*netmail.Address) string {
	addrs := make([]string, len(to))
	for i, a := range to {
		addrs[i] = strings.ToLower(a.Address)
	}
	slices.Sort(addrs)
	sum := sha256.Sum256([]byte(strings.Join(slices.Compact(addrs), ",")))
	return "report:" + date + ":" + hex.EncodeToString(sum[:8])
}

// Run enqueues each day's report when it is due, until ctx ends.
func (s *Schedule) Run(ctx context.Context) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		if _, err := s.EnqueueDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("enqueueing the daily report failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EnqueueDue enqueues today's report once report.at has passed in the
// report's time zone; it reports whether this call enqueued it (false when
// it is not due yet or already queued by this or another replica).
func (s *Schedule) EnqueueDue(ctx context.Context) (bool, error) {
	now := s.now().In(s.loc)
	from, _ := report.Day(now, s.loc)
	// Wall-clock time, so a daylight-saving day still sends at report.at.
	due := time.Date(from.Year(), from.Month(), from.Day(), int(s.at/time.Hour), int(s.at%time.Hour/time.Minute), 0, 0, s.loc)
	if now.Before(due) {
		return false, nil
	}
	date := from.Format(time.DateOnly)
	key := Key(date, s.mail.To)
	payload, err := json.Marshal(notify.Message{Key: key, Event: EventDailyReport, Title: date, StartedAt: now})
	if err != nil {
		return false, err
	}
	var n int
	err = s.store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		n, err = tx.Enqueue(ctx, []store.OutboxItem{{Key: key, Channel: ChannelName, Kind: EventDailyReport,
			Payload: payload, CreatedAt: now, NotBefore: now}})
		return err
	})
	if err != nil {
		return false, err
	}
	if n > 0 {
		s.log.Info("daily report queued", "date", date, "recipients", len(s.mail.To))
	}
	return n > 0, nil
}
