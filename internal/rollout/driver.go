package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/golive-ops/golive/internal/haproxy"
)

// State is a driver's record of the traffic in force, as JSON. The runner
// stores it before every change, so a rollback (after a restart, or on
// another replica) re-applies exactly what was recorded, never a state
// recomputed from the plan.
type State json.RawMessage

// MarshalJSON keeps a State embedded as JSON, not as base64.
func (s State) MarshalJSON() ([]byte, error) {
	if len(s) == 0 {
		return []byte("null"), nil
	}
	return s, nil
}

// UnmarshalJSON stores the raw JSON.
func (s *State) UnmarshalJSON(b []byte) error {
	*s = append((*s)[:0], b...)
	return nil
}

// TrafficDriver applies a percentage of traffic to the candidate.
//
// Contract: Check and Current change nothing. Apply changes the split and
// verifies it by reading it back where the load balancer can be read; on
// an error it may have changed part of the split, and the caller restores
// the state it recorded before. Restore re-applies a recorded state and is
// idempotent: applying the same state twice gives the same result, so a
// runner that crashed between Restore and recording it may run it again.
type TrafficDriver interface {
	// Check verifies that the load balancer knows what the plan names.
	Check(ctx context.Context) error
	// Current reads (or, where the load balancer cannot be read, assumes:
	// 0% on the candidate) the state in force before the rollout.
	Current(ctx context.Context) (State, error)
	// Apply sets percent on the candidate and returns the state now in force.
	Apply(ctx context.Context, percent float64) (State, error)
	// Restore re-applies a state Current or Apply returned.
	Restore(ctx context.Context, s State) error
	// Describe says what Apply(percent) would send (dry runs, timeline).
	Describe(percent float64) string
}

// NewTrafficDriver builds the plan's driver; plan is the plan name that
// templates see as .Plan.
func NewTrafficDriver(plan string, t *Traffic) (TrafficDriver, error) {
	switch {
	case t == nil:
		return nil, errors.New("plan has no traffic section")
	case t.HAProxy != nil:
		return newHAProxyDriver(t.HAProxy)
	case t.HTTP != nil:
		c, err := newCaller(t.HTTP, "rollout_traffic")
		if err != nil {
			return nil, fmt.Errorf("traffic.http: %w", err)
		}
		return &httpDriver{plan: plan, call: c}, nil
	}
	return nil, errors.New("traffic: no driver configured (haproxy or http)")
}

func (t *Traffic) validate(field string) []error {
	switch {
	case t.HAProxy != nil && t.HTTP != nil:
		return []error{fmt.Errorf("%s: haproxy and http are exclusive; choose one driver", field)}
	case t.HAProxy != nil:
		return t.HAProxy.validate(field + ".haproxy")
	case t.HTTP != nil:
		return t.HTTP.validate(field + ".http")
	}
	return []error{fmt.Errorf("%s: a driver is required (haproxy or http)", field)}
}

func (h *HAProxyTraffic) validate(field string) []error {
	var errs []error
	if _, _, err := haproxy.ParseAddress(h.Address); err != nil {
		errs = append(errs, fmt.Errorf("%s.address: %w", field, err))
	}
	if !haproxy.ValidName(h.Backend) {
		errs = append(errs, fmt.Errorf("%s.backend: %q is not a valid HAProxy backend name", field, h.Backend))
	}
	seen := map[string]string{}
	for _, group := range []struct {
		name    string
		servers []string
	}{{"current", h.Current}, {"candidate", h.Candidate}} {
		if len(group.servers) == 0 {
			errs = append(errs, fmt.Errorf("%s.%s: at least one server is required", field, group.name))
		}
		for i, s := range group.servers {
			switch {
			case !haproxy.ValidName(s):
				errs = append(errs, fmt.Errorf("%s.%s[%d]: %q is not a valid HAProxy server name", field, group.name, i, s))
			case seen[s] != "":
				errs = append(errs, fmt.Errorf("%s.%s[%d]: %q is also in %s", field, group.name, i, s, seen[s]))
			default:
				seen[s] = group.name
			}
		}
	}
	if h.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: negative", field))
	}
	return errs
}

// weightScale: a group's weights add up to percent × weightScale, so 1%
// steps stay exact for one server per group and weights stay ≤ 256.
const weightScale = 2

type haproxyDriver struct {
	cfg    *HAProxyTraffic
	client *haproxy.Client
}

func newHAProxyDriver(cfg *HAProxyTraffic) (*haproxyDriver, error) {
	c, err := haproxy.New(cfg.Address, time.Duration(cfg.Timeout))
	if err != nil {
		return nil, fmt.Errorf("traffic.haproxy.address: %w", err)
	}
	return &haproxyDriver{cfg: cfg, client: c}, nil
}

func (d *haproxyDriver) servers() []string {
	return append(append([]string(nil), d.cfg.Current...), d.cfg.Candidate...)
}

func (d *haproxyDriver) Check(ctx context.Context) error {
	_, err := d.client.Snapshot(ctx, d.cfg.Backend, d.servers()...)
	return err
}

func (d *haproxyDriver) Current(ctx context.Context) (State, error) {
	split, err := d.client.Snapshot(ctx, d.cfg.Backend, d.servers()...)
	if err != nil {
		return nil, err
	}
	return json.Marshal(split)
}

// split computes the weights for percent on the candidate.
func (d *haproxyDriver) split(percent float64) haproxy.Split {
	s := haproxy.Split{}
	share := func(servers []string, pct float64, st haproxy.State) {
		w := int(math.Round(pct * weightScale / float64(len(servers))))
		if pct > 0 && w == 0 {
			w = 1 // a small share on many servers still reaches every one
		}
		for _, n := range servers {
			s[n] = haproxy.ServerSetting{Weight: w, State: st}
		}
	}
	share(d.cfg.Candidate, percent, haproxy.Ready)
	// The current servers stay ready at weight 0 once the candidate has all
	// the traffic: a rollback is then a weight change, not a state change.
	share(d.cfg.Current, 100-percent, haproxy.Ready)
	return s
}

func (d *haproxyDriver) Apply(ctx context.Context, percent float64) (State, error) {
	split := d.split(percent)
	if _, err := d.client.Apply(ctx, d.cfg.Backend, split); err != nil {
		return nil, err
	}
	return json.Marshal(split)
}

func (d *haproxyDriver) Restore(ctx context.Context, s State) error {
	var split haproxy.Split
	if err := json.Unmarshal(s, &split); err != nil {
		return fmt.Errorf("recorded haproxy state: %w", err)
	}
	if len(split) == 0 {
		return errors.New("recorded haproxy state is empty")
	}
	_, err := d.client.Apply(ctx, d.cfg.Backend, split)
	return err
}

func (d *haproxyDriver) Describe(percent float64) string {
	split := d.split(percent)
	out := ""
	for _, n := range split.Names() {
		if out != "" {
			out += "; "
		}
		out += fmt.Sprintf("set server %s/%s weight %d", d.cfg.Backend, n, split[n].Weight)
	}
	return fmt.Sprintf("%s: %s", d.client, out)
}

// httpState is what the HTTP driver records: the split it last sent. The
// load balancer behind a generic API cannot be read back, so before the
// first stage the candidate is taken to have 0%.
type httpState struct {
	Percent float64 `json:"percent"`
}

// TrafficData is what a traffic call's templates see.
type TrafficData struct {
	Plan string
	// Percent is the candidate's share, CurrentPercent the rest (100 - Percent).
	Percent        float64
	CurrentPercent float64
	// Rollback is true when the call restores a recorded state.
	Rollback bool
}

type httpDriver struct {
	plan string
	call *caller
}

func (d *httpDriver) Check(context.Context) error { return nil }

func (d *httpDriver) Current(context.Context) (State, error) {
	return json.Marshal(httpState{Percent: 0})
}

func (d *httpDriver) send(ctx context.Context, percent float64, rollback bool) (State, error) {
	data := TrafficData{Plan: d.plan, Percent: percent, CurrentPercent: 100 - percent, Rollback: rollback}
	if _, _, err := d.call.do(ctx, data); err != nil {
		return nil, err
	}
	return json.Marshal(httpState{Percent: percent})
}

func (d *httpDriver) Apply(ctx context.Context, percent float64) (State, error) {
	return d.send(ctx, percent, false)
}

func (d *httpDriver) Restore(ctx context.Context, s State) error {
	var st httpState
	if err := json.Unmarshal(s, &st); err != nil {
		return fmt.Errorf("recorded http state: %w", err)
	}
	_, err := d.send(ctx, st.Percent, true)
	return err
}

func (d *httpDriver) Describe(percent float64) string {
	req, err := d.call.call.Render(TrafficData{Plan: d.plan, Percent: percent, CurrentPercent: 100 - percent})
	if err != nil {
		return "cannot render: " + err.Error()
	}
	return fmt.Sprintf("%s %s %s", req.Method, redactURL(req.URL), req.Body)
}
