package readiness

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/exporter/collector"
	"github.com/golive-ops/golive/exporter/collector/backup"
	"github.com/golive-ops/golive/exporter/collector/postgres"
	"github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/exporter/collector/services"
	"github.com/golive-ops/golive/internal/yamlx"
)

// The collector kinds build the exporter's own collector for a server its
// config names, run one Update, and read the metrics the exporter would
// serve. Collectors are built per run (pools connect lazily) and closed.

// gathered is one Update's metrics and the error it returned (which the
// exporter would log, and which explains a 0 up-metric).
type gathered struct {
	s         sampleSet
	updateErr error
}

// collect runs one Update of c and gathers what it emitted through a
// registry, as the exporter's /metrics would.
func collect(ctx context.Context, c collector.Collector) (gathered, error) {
	a := &adapter{ctx: ctx, c: c}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(a); err != nil {
		return gathered{}, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return gathered{}, err
	}
	return gathered{s: samples(mfs), updateErr: a.err}, nil
}

// collectNew builds a collector, runs one Update and closes it.
func collectNew(ctx context.Context, newC func() (collector.Collector, error)) (gathered, error) {
	c, err := newC()
	if err != nil {
		return gathered{}, err
	}
	if cl, ok := c.(collector.Closer); ok {
		defer cl.Close()
	}
	return collect(ctx, c)
}

// adapter makes a Collector a prometheus.Collector for one gather
// (unchecked: it describes nothing).
type adapter struct {
	ctx context.Context
	c   collector.Collector
	err error
}

func (a *adapter) Describe(chan<- *prometheus.Desc) {}
func (a *adapter) Collect(ch chan<- prometheus.Metric) {
	a.err = a.c.Update(a.ctx, ch)
}

// serverSection names a server of the exporter config.
type postgresSection struct {
	Server string `yaml:"server"`
	// MaxReplicationLag fails a replica lagging more (0: not checked).
	MaxReplicationLag model.Duration `yaml:"max_replication_lag,omitempty"`
}

type postgresCheck struct {
	cfg    postgres.Config
	maxLag time.Duration
}

func exporterNames[T any](list []T, name func(T) string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		out = append(out, name(v))
	}
	return out
}

func buildPostgres(section *yaml.Node, b *buildContext) (check, error) {
	var s postgresSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	list := b.checklist.exporter.Postgres
	i := slices.IndexFunc(list, func(c postgres.Config) bool { return c.Name == s.Server })
	if s.Server == "" || i < 0 {
		return nil, fieldError(section, "server", "%q is not a postgres server of the exporter config (have: %s)",
			s.Server, orNone(exporterNames(list, func(c postgres.Config) string { return c.Name })))
	}
	if s.MaxReplicationLag < 0 {
		return nil, fieldError(section, "max_replication_lag", "must not be negative")
	}
	return &postgresCheck{cfg: list[i], maxLag: time.Duration(s.MaxReplicationLag)}, nil
}

func (p *postgresCheck) run(ctx context.Context, env *Env) outcome {
	g, err := collectNew(ctx, func() (collector.Collector, error) { return postgres.New(p.cfg, env.Logger) })
	s, updErr := g.s, g.updateErr
	if err != nil {
		return errored(err.Error())
	}
	up, _ := s.first("pg_up")
	if up != 1 {
		if ctx.Err() != nil {
			return errored(fmt.Sprintf("server %s did not answer in time", p.cfg.Name))
		}
		return fail(fmt.Sprintf("server %s: pg_up 0: %v", p.cfg.Name, updErr), "pg_up 0")
	}
	replica, _ := s.first("pg_replication_is_replica")
	if replica != 1 {
		return pass(fmt.Sprintf("server %s: pg_up 1 (SELECT 1 answered), primary", p.cfg.Name))
	}
	lag, ok := s.first("pg_replication_lag_seconds")
	ev := fmt.Sprintf("server %s: pg_up 1, replica, pg_replication_lag_seconds %.1f", p.cfg.Name, lag)
	switch {
	case p.maxLag == 0:
		return pass(ev)
	case !ok:
		return errored(fmt.Sprintf("server %s is a replica but reported no pg_replication_lag_seconds", p.cfg.Name))
	case lag > p.maxLag.Seconds():
		return fail(fmt.Sprintf("replication lag %.1fs is above max_replication_lag %s", lag, p.maxLag), ev)
	}
	return pass(ev)
}

type redisSection struct {
	Server string `yaml:"server"`
}

type redisCheck struct{ cfg redis.Config }

func buildRedis(section *yaml.Node, b *buildContext) (check, error) {
	var s redisSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	list := b.checklist.exporter.Redis
	i := slices.IndexFunc(list, func(c redis.Config) bool { return c.Name == s.Server })
	if s.Server == "" || i < 0 {
		return nil, fieldError(section, "server", "%q is not a redis server of the exporter config (have: %s)",
			s.Server, orNone(exporterNames(list, func(c redis.Config) string { return c.Name })))
	}
	return &redisCheck{cfg: list[i]}, nil
}

func (r *redisCheck) run(ctx context.Context, env *Env) outcome {
	g, err := collectNew(ctx, func() (collector.Collector, error) { return redis.New(r.cfg, env.Logger) })
	s, updErr := g.s, g.updateErr
	if err != nil {
		return errored(err.Error())
	}
	if up, _ := s.first("redis_up"); up != 1 {
		if ctx.Err() != nil {
			return errored(fmt.Sprintf("server %s did not answer in time", r.cfg.Name))
		}
		return fail(fmt.Sprintf("server %s: redis_up 0: %v", r.cfg.Name, updErr), "redis_up 0")
	}
	ev := fmt.Sprintf("server %s: redis_up 1 (PING answered)", r.cfg.Name)
	if len(s["redis_instance_info"]) > 0 {
		ev += ", role " + s["redis_instance_info"][0].labels["role"]
	}
	return pass(ev)
}

type servicesSection struct {
	Names []string `yaml:"names"`
}

type servicesCheck struct {
	cfg   services.Config
	names []string
}

func buildServices(section *yaml.Node, b *buildContext) (check, error) {
	var s servicesSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	if len(s.Names) == 0 {
		return nil, fieldError(section, "names", "must list at least one service")
	}
	cfg := services.Config{Backend: services.BackendAuto}
	if ec := b.checklist.exporter.Services; ec != nil {
		// The services of the exporter config, as it watches them.
		cfg.Backend = ec.Backend
		for i, n := range s.Names {
			switch j := slices.IndexFunc(ec.Services, func(sv services.Service) bool { return sv.Name == n }); {
			case j >= 0:
				cfg.Services = append(cfg.Services, ec.Services[j])
			case slices.Contains(ec.Names, n):
				cfg.Names = append(cfg.Names, n)
			default:
				known := append(slices.Clone(ec.Names), exporterNames(ec.Services, func(s services.Service) string { return s.Name })...)
				return nil, fieldError(section, fmt.Sprintf("names[%d]", i), "%q is not a service of the exporter config (have: %s)", n, orNone(known))
			}
		}
	} else {
		cfg.Names = s.Names
	}
	if _, err := services.New(cfg, nil); err != nil {
		return nil, fieldError(section, "names", "%v", err)
	}
	return &servicesCheck{cfg: cfg, names: s.Names}, nil
}

func (c *servicesCheck) run(ctx context.Context, env *Env) outcome {
	g, err := collectNew(ctx, func() (collector.Collector, error) { return services.New(c.cfg, env.Logger) })
	s, updErr := g.s, g.updateErr
	if err != nil {
		return errored(err.Error())
	}
	units := map[string]string{}
	for _, sv := range c.cfg.Services {
		if sv.Unit != "" {
			units[sv.Name] = sv.Unit
		}
	}
	var up, down, unknown []string
	for _, n := range c.names {
		if v, ok := s.where("golive_service_up", map[string]string{"service": n}); ok {
			if v == 1 {
				up = append(up, n)
			} else {
				down = append(down, n)
			}
			continue
		}
		unit := units[n]
		if unit == "" {
			unit = n + ".service"
		}
		if v, ok := s.where("node_systemd_unit_state", map[string]string{"name": unit, "state": "active"}); ok {
			if v == 1 {
				up = append(up, n)
			} else {
				down = append(down, n)
			}
			continue
		}
		unknown = append(unknown, n)
	}
	ev := fmt.Sprintf("running: %s; not running: %s", orNone(up), orNone(down))
	switch {
	case len(down) > 0:
		return fail(fmt.Sprintf("not running: %s", strings.Join(down, ", ")), ev)
	case len(unknown) > 0:
		reason := fmt.Sprintf("no state for %s", strings.Join(unknown, ", "))
		if updErr != nil {
			reason += ": " + updErr.Error()
		}
		return errored(reason)
	}
	return pass(ev)
}

// backupSection checks one backup location of the exporter config. Each
// age is checked only when set; checksum is checked whenever the exporter
// verifies one.
type backupSection struct {
	Name string `yaml:"name"`
	// MaxAge: the newest backup must be younger.
	MaxAge model.Duration `yaml:"max_age"`
	// RestoreTestedWithin: the restore marker must be younger.
	RestoreTestedWithin model.Duration `yaml:"restore_tested_within,omitempty"`
	// OffsiteMaxAge: the newest off-site copy must be younger.
	OffsiteMaxAge model.Duration `yaml:"offsite_max_age,omitempty"`
}

type backupCheck struct {
	cfg backup.Config
	s   backupSection
}

func buildBackup(section *yaml.Node, b *buildContext) (check, error) {
	var s backupSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	list := b.checklist.exporter.Backups
	i := slices.IndexFunc(list, func(c backup.Config) bool { return c.Name == s.Name })
	if s.Name == "" || i < 0 {
		return nil, fieldError(section, "name", "%q is not a backup of the exporter config (have: %s)",
			s.Name, orNone(exporterNames(list, func(c backup.Config) string { return c.Name })))
	}
	cfg := list[i]
	switch {
	case s.MaxAge <= 0:
		return nil, fieldError(section, "max_age", "must be set to a positive duration (how old the newest backup may be)")
	case s.RestoreTestedWithin < 0:
		return nil, fieldError(section, "restore_tested_within", "must not be negative")
	case s.RestoreTestedWithin > 0 && cfg.RestoreMarker == "":
		return nil, fieldError(section, "restore_tested_within", "backup %q has no restore_marker in the exporter config", s.Name)
	case s.OffsiteMaxAge < 0:
		return nil, fieldError(section, "offsite_max_age", "must not be negative")
	case s.OffsiteMaxAge > 0 && cfg.OffsitePath == "":
		return nil, fieldError(section, "offsite_max_age", "backup %q has no offsite_path in the exporter config", s.Name)
	}
	return &backupCheck{cfg: cfg, s: s}, nil
}

func (c *backupCheck) run(ctx context.Context, env *Env) outcome {
	// The collector hashes a new backup in the background; ask again until
	// the checksum is known or the item's time is up.
	c0, err := backup.New(c.cfg, env.Logger)
	if err != nil {
		return errored(err.Error())
	}
	defer c0.(collector.Closer).Close()
	var g gathered
	for {
		if g, err = collect(ctx, c0); err != nil {
			return errored(err.Error())
		}
		s := g.s
		if _, known := s.first("golive_backup_checksum_ok"); known || c.cfg.Checksum == nil {
			break
		}
		select {
		case <-ctx.Done():
			return errored("the newest backup's checksum was still being computed when the item's time ran out")
		case <-time.After(100 * time.Millisecond):
		}
	}
	s, updErr := g.s, g.updateErr
	now := env.Now()
	age := func(metric string) (time.Duration, bool) {
		ts, _ := s.first(metric)
		if ts <= 0 {
			return 0, false
		}
		sec, frac := math.Modf(ts)
		return now.Sub(time.Unix(int64(sec), int64(frac*1e9))).Round(time.Second), true
	}
	var problems, ev []string
	files, _ := s.first("golive_backup_files")
	newest, ok := age("golive_backup_newest_timestamp_seconds")
	switch {
	case !ok || files == 0:
		problems = append(problems, fmt.Sprintf("no backup files in %s", c.cfg.Path))
		if updErr != nil {
			problems[len(problems)-1] += fmt.Sprintf(" (%v)", updErr)
		}
	default:
		ev = append(ev, fmt.Sprintf("%d files, newest %s old", int(files), newest))
		if newest > time.Duration(c.s.MaxAge) {
			problems = append(problems, fmt.Sprintf("the newest backup is %s old, more than max_age %s", newest, c.s.MaxAge))
		}
	}
	if c.cfg.Checksum != nil {
		if v, _ := s.first("golive_backup_checksum_ok"); v == 1 {
			ev = append(ev, "checksum verified")
		} else if ok {
			problems = append(problems, "the newest backup does not match its SHA-256 (or has none)")
		}
	}
	if c.s.RestoreTestedWithin > 0 {
		if a, ok := age("golive_backup_restore_test_timestamp_seconds"); !ok {
			problems = append(problems, "no restore test recorded (restore marker "+c.cfg.RestoreMarker+" missing)")
		} else {
			ev = append(ev, fmt.Sprintf("restore tested %s ago", a))
			if a > time.Duration(c.s.RestoreTestedWithin) {
				problems = append(problems, fmt.Sprintf("the last restore test is %s old, more than restore_tested_within %s", a, c.s.RestoreTestedWithin))
			}
		}
	}
	if c.s.OffsiteMaxAge > 0 {
		if a, ok := age("golive_backup_offsite_newest_timestamp_seconds"); !ok {
			problems = append(problems, "no off-site copy in "+c.cfg.OffsitePath)
		} else {
			ev = append(ev, fmt.Sprintf("off-site copy %s old", a))
			if a > time.Duration(c.s.OffsiteMaxAge) {
				problems = append(problems, fmt.Sprintf("the newest off-site copy is %s old, more than offsite_max_age %s", a, c.s.OffsiteMaxAge))
			}
		}
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "), strings.Join(ev, ", "))
	}
	return pass(strings.Join(ev, ", "))
}
