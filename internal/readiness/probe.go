package readiness

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/probemodule"
	"github.com/golive-ops/golive/internal/yamlx"
)

// probeSection is a probe item: a module of the checklist or the exporter
// config, and a target, exactly as /probe?module=&target= takes them.
type probeSection struct {
	Module string `yaml:"module"`
	Target string `yaml:"target"`
}

type probeCheck struct {
	module      string
	m           prober.Module
	target      string
	certWarning time.Duration
}

func buildProbe(section *yaml.Node, b *buildContext) (check, error) {
	var s probeSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	if s.Module == "" {
		return nil, fieldError(section, "module", "must be set")
	}
	if s.Target == "" {
		return nil, fieldError(section, "target", "must be set")
	}
	m, err := b.checklist.Modules.Lookup(s.Module, "the checklist or the exporter config")
	if err != nil {
		return nil, fieldError(section, "module", "%s", err)
	}
	return &probeCheck{module: s.Module, m: m, target: s.Target, certWarning: time.Duration(b.checklist.Defaults.CertWarning)}, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (p *probeCheck) run(ctx context.Context, env *Env) outcome {
	// Which deadline binds: the module's timeout is part of the
	// requirement (no answer within it fails), the item's is our budget
	// (running out of it means we could not tell).
	deadline, hasDeadline := ctx.Deadline()
	itemBinds := hasDeadline && (p.m.Timeout <= 0 || deadline.Before(time.Now().Add(p.m.Timeout)))
	res, err := probemodule.Run(ctx, p.target, p.m)
	if err != nil {
		return errored(err.Error())
	}
	ok := res.Success
	s := samples(res.Metrics)
	evidence := []string{fmt.Sprintf("module %s (%s), target %s", p.module, p.m.Prober, p.target)}
	if code, ok := s.first("probe_http_status_code"); ok && code > 0 {
		evidence = append(evidence, fmt.Sprintf("HTTP %d", int(code)))
	}
	if d, ok := s.first("probe_duration_seconds"); ok {
		evidence = append(evidence, fmt.Sprintf("in %.3fs", d))
	}
	var expiry time.Time
	if exp, ok := s.first("probe_ssl_earliest_cert_expiry"); ok && exp > 0 {
		sec, frac := math.Modf(exp)
		expiry = time.Unix(int64(sec), int64(frac*1e9))
		days := expiry.Sub(env.Now()).Hours() / 24
		evidence = append(evidence, fmt.Sprintf("certificate expires %s (%.1f days left)", expiry.UTC().Format(time.RFC3339), days))
	}
	ev := strings.Join(evidence, ", ")
	if !ok {
		reason := res.Reason
		// The prober stops a margin before its deadline (so that it can
		// still report); within that margin of the item's, it ran out of
		// our time.
		if ctx.Err() != nil || itemBinds && time.Until(deadline) < itemMargin {
			return outcome{status: StatusError, reason: "the probe did not finish within the item's timeout: " + reason, evidence: ev}
		}
		if reason == "" {
			reason = "probe_success 0"
		}
		return fail(reason, ev)
	}
	if !expiry.IsZero() {
		left := expiry.Sub(env.Now())
		if left < p.certWarning {
			return outcome{status: StatusWarn, evidence: ev,
				reason: fmt.Sprintf("the certificate expires in %.1f days, within the %s warning window", left.Hours()/24, formatDays(p.certWarning))}
		}
	}
	return pass(ev)
}

// itemMargin: a probe failing this close to the item's deadline was cut
// short by it.
const itemMargin = 300 * time.Millisecond

func formatDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// sampleSet is a gathered registry, by metric name.
type sampleSet map[string][]sample

type sample struct {
	labels map[string]string
	value  float64
}

func samples(mfs []*dto.MetricFamily) sampleSet {
	out := sampleSet{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Untyped != nil:
				v = m.GetUntyped().GetValue()
			default:
				continue
			}
			out[mf.GetName()] = append(out[mf.GetName()], sample{labels: l, value: v})
		}
	}
	return out
}

// first is the value of name's first sample.
func (s sampleSet) first(name string) (float64, bool) {
	if len(s[name]) == 0 {
		return 0, false
	}
	return s[name][0].value, true
}

// where is the value of name's sample whose labels include match.
func (s sampleSet) where(name string, match map[string]string) (float64, bool) {
	for _, smp := range s[name] {
		ok := true
		for k, v := range match {
			if smp.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return smp.value, true
		}
	}
	return 0, false
}
