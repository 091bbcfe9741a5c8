// Package rollout is the library half of `golive rollout`: the plan file
// (stages of a traffic split, or batches of users moved one after another),
// its validation, and the traffic drivers that apply a stage and put the
// previous state back. The receiver runs plans durably (receiver/rollout);
// this package holds no state and starts nothing.
package rollout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/yamlx"
)

// Defaults for a plan's optional settings.
const (
	DefaultPoll = model.Duration(30 * time.Second)
	// MaxStages bounds a plan (a rollout of more steps is a typo or a loop
	// written out by a script).
	MaxStages = 100
	// MaxObserve bounds one observation window.
	MaxObserve = model.Duration(7 * 24 * time.Hour)
)

// Plan is one rollout: a gate to watch and either traffic stages or user
// batches.
type Plan struct {
	// Name identifies the plan in metrics (golive_rollout_stage_percent{plan})
	// and the UI; defaults to the gate's name.
	Name string `yaml:"name" json:"name"`
	// Gate is the receiver gate polled during every observation window.
	Gate string `yaml:"gate" json:"gate"`
	// Traffic moves a percentage of requests (Stages); Users moves batches
	// of users (Batches). Exactly one is set.
	Traffic *Traffic `yaml:"traffic,omitempty" json:"traffic,omitempty"`
	Stages  []Stage  `yaml:"stages,omitempty" json:"stages,omitempty"`
	Users   *Users   `yaml:"users,omitempty" json:"users,omitempty"`
	Batches []Batch  `yaml:"batches,omitempty" json:"batches,omitempty"`
	// Poll is how often the gate is asked during a window.
	Poll model.Duration `yaml:"poll,omitempty" json:"poll,omitempty"`
	// Notify names receiver notification channels told of success and of
	// every rollback.
	Notify []string `yaml:"notify,omitempty" json:"notify,omitempty"`
}

// Stage is one step of a traffic rollout.
type Stage struct {
	// Percent of traffic on the candidate, 0 < Percent <= 100.
	Percent float64 `yaml:"percent" json:"percent"`
	// Observe is how long the gate watches this stage before the next.
	Observe model.Duration `yaml:"observe" json:"observe"`
}

// Traffic says how a split is applied: exactly one driver.
type Traffic struct {
	HAProxy *HAProxyTraffic `yaml:"haproxy,omitempty" json:"haproxy,omitempty"`
	HTTP    *HTTPCall       `yaml:"http,omitempty" json:"http,omitempty"`
}

// HAProxyTraffic splits a backend's servers into the ones serving today
// (current) and the new release (candidate).
type HAProxyTraffic struct {
	// Address of the runtime API: unix:/run/haproxy/admin.sock or tcp:host:port.
	Address   string   `yaml:"address" json:"address"`
	Backend   string   `yaml:"backend" json:"backend"`
	Current   []string `yaml:"current" json:"current"`
	Candidate []string `yaml:"candidate" json:"candidate"`
	// Timeout bounds one runtime API command (default 5s).
	Timeout model.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Users moves batches of users: Select lists a batch's users, Route moves
// them to the candidate (and back, on rollback).
type Users struct {
	Select HTTPCall `yaml:"select" json:"select"`
	Route  HTTPCall `yaml:"route" json:"route"`
}

// Batch is one group of users (R2.2: IT first, then managers, sales, the
// rest), with its own thresholds and window.
type Batch struct {
	Name    string         `yaml:"name" json:"name"`
	Observe model.Duration `yaml:"observe" json:"observe"`
	// Thresholds override the gate's check thresholds by check name for
	// this batch (e.g. error_rate: 0.10 for the IT department).
	Thresholds map[string]float64 `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
}

// Load reads and validates a plan file.
func Load(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// maxPlanBytes bounds a plan file or API body.
const maxPlanBytes = 1 << 20

// Parse decodes a plan strictly (unknown keys, a second document and a
// body over 1 MiB are errors), applies defaults and validates it.
func Parse(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPlanBytes {
		return nil, fmt.Errorf("plan is larger than %d bytes", maxPlanBytes)
	}
	var p Plan
	if err := yamlx.Strict(bytes.NewReader(data), &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate applies defaults and checks everything that can be checked
// without the network; it names the field of each problem. Whether the
// load balancer knows the backend and servers is the driver's Check.
func (p *Plan) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Gate == "" {
		bad("gate: required (the receiver gate that decides each stage)")
	}
	if p.Name == "" {
		p.Name = p.Gate
	}
	if p.Name != "" && !validName(p.Name) {
		bad("name: %q must be 1-64 letters, digits, '-', '_' or '.'", p.Name)
	}
	if p.Poll == 0 {
		p.Poll = DefaultPoll
	}
	if p.Poll < model.Duration(time.Second) {
		bad("poll: %s is below the minimum of 1s", p.Poll)
	}
	for i, n := range p.Notify {
		if n == "" {
			bad("notify[%d]: empty channel name", i)
		}
	}
	switch {
	case p.Traffic != nil && p.Users != nil:
		bad("traffic and users: a plan moves traffic stages or user batches, not both")
	case p.Traffic == nil && p.Users == nil:
		bad("traffic: required (or users, for a user-batch cutover)")
	case p.Traffic != nil:
		if len(p.Batches) > 0 {
			bad("batches: only with users (this plan has traffic stages)")
		}
		errs = append(errs, p.Traffic.validate("traffic")...)
		errs = append(errs, validateStages(p.Stages)...)
	case p.Users != nil:
		if len(p.Stages) > 0 {
			bad("stages: only with traffic (this plan has user batches)")
		}
		errs = append(errs, p.Users.Select.validate("users.select")...)
		errs = append(errs, p.Users.Route.validate("users.route")...)
		errs = append(errs, validateBatches(p.Batches)...)
	}
	return errors.Join(errs...)
}

func validateStages(stages []Stage) []error {
	var errs []error
	if len(stages) == 0 {
		return []error{errors.New("stages: at least one stage is required (e.g. 10, 30, 100 percent)")}
	}
	if len(stages) > MaxStages {
		return []error{fmt.Errorf("stages: %d stages, at most %d", len(stages), MaxStages)}
	}
	prev := 0.0
	for i, s := range stages {
		switch {
		case math.IsNaN(s.Percent) || s.Percent <= 0 || s.Percent > 100:
			errs = append(errs, fmt.Errorf("stages[%d].percent: %v is outside 0-100 (exclusive of 0)", i, s.Percent))
		case s.Percent <= prev:
			errs = append(errs, fmt.Errorf("stages[%d].percent: %v does not go up from the previous stage's %v (stages only go up; a rollback is automatic)", i, s.Percent, prev))
		}
		if s.Percent > prev {
			prev = s.Percent
		}
		errs = append(errs, validateObserve(fmt.Sprintf("stages[%d].observe", i), s.Observe)...)
	}
	if last := stages[len(stages)-1].Percent; last != 100 && !math.IsNaN(last) && last > 0 && last < 100 {
		errs = append(errs, fmt.Errorf("stages[%d].percent: the last stage is %v; a rollout ends at 100", len(stages)-1, last))
	}
	return errs
}

func validateObserve(field string, d model.Duration) []error {
	switch {
	case d <= 0:
		return []error{fmt.Errorf("%s: required and above 0 (e.g. 30m)", field)}
	case d > MaxObserve:
		return []error{fmt.Errorf("%s: %s is longer than the maximum %s", field, d, MaxObserve)}
	}
	return nil
}

func validateBatches(batches []Batch) []error {
	var errs []error
	if len(batches) == 0 {
		return []error{errors.New("batches: at least one batch is required")}
	}
	if len(batches) > MaxStages {
		return []error{fmt.Errorf("batches: %d batches, at most %d", len(batches), MaxStages)}
	}
	seen := map[string]int{}
	for i, b := range batches {
		field := fmt.Sprintf("batches[%d]", i)
		if !validName(b.Name) {
			errs = append(errs, fmt.Errorf("%s.name: %q must be 1-64 letters, digits, '-', '_' or '.'", field, b.Name))
		} else if j, dup := seen[b.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q is also batches[%d]", field, b.Name, j))
		}
		seen[b.Name] = i
		errs = append(errs, validateObserve(field+".observe", b.Observe)...)
		for check, v := range b.Thresholds {
			if check == "" || math.IsNaN(v) || math.IsInf(v, 0) {
				errs = append(errs, fmt.Errorf("%s.thresholds[%q]: %v is not a usable threshold", field, check, v))
			}
		}
	}
	return errs
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Steps is the plan as an ordered list of what the runner does: one step a
// stage or a batch.
func (p *Plan) Steps() []Step {
	var steps []Step
	for i, s := range p.Stages {
		steps = append(steps, Step{Index: i, Percent: s.Percent, Observe: time.Duration(s.Observe)})
	}
	for i, b := range p.Batches {
		steps = append(steps, Step{Index: i, Batch: b.Name, Observe: time.Duration(b.Observe), Thresholds: b.Thresholds})
	}
	return steps
}

// Step is one stage or batch.
type Step struct {
	Index      int                `json:"index"`
	Percent    float64            `json:"percent,omitempty"`
	Batch      string             `json:"batch,omitempty"`
	Observe    time.Duration      `json:"observe"`
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
}

// String names a step for logs and the timeline.
func (s Step) String() string {
	if s.Batch != "" {
		return fmt.Sprintf("batch %d (%s)", s.Index+1, s.Batch)
	}
	return fmt.Sprintf("stage %d (%s%%)", s.Index+1, strings.TrimSuffix(fmt.Sprintf("%.2f", s.Percent), ".00"))
}
