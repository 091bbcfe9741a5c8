package gate

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	commoncfg "github.com/prometheus/common/config"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/receiver/store"
)

// ErrUnknownGate is returned for a gate name the config does not define.
var ErrUnknownGate = errors.New("unknown gate")

// Decision is one stored gate decision: what every endpoint answers and
// what the rollout runner reads.
type Decision struct {
	ID   int64  `json:"id"`
	Gate string `json:"gate"`
	engine.Result
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// Options build a Service.
type Options struct {
	Section Section
	Store   store.Store
	// Metrics, shared across reloads (nil: none).
	Metrics *Metrics
	// Allowed is the receiver's own authentication, accepted for every
	// gate besides the gate's token (nil: only gate tokens).
	Allowed   func(*http.Request) bool
	Readiness ReadinessSource
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service evaluates, stores and serves the configured gates.
//
// Concurrency: every method is safe for concurrent use. Per gate, at most
// one evaluation runs at a time; callers arriving meanwhile wait for it,
// and callers within min_interval of the last one get its decision.
type Service struct {
	gates     map[string]*gateState
	names     []string
	store     store.Store
	prom      *promclient.Client
	readiness ReadinessSource
	allowed   func(*http.Request) bool
	metrics   *Metrics
	log       *slog.Logger
	now       func() time.Time
	timeout   time.Duration
}

type gateState struct {
	cfg       Config
	spec      engine.Spec
	alerts    []*labels.Matcher
	incidents []*labels.Matcher
	token     [32]byte // SHA-256 of the token; zero without token_file
	hasToken  bool

	mu      sync.Mutex
	last    *Decision
	lastAt  time.Time // when last was evaluated, by s.now
	running *flight
}

// New builds the service: it reads the token files and builds the
// Prometheus client without contacting anything. The section must have
// been validated.
func New(o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{gates: map[string]*gateState{}, store: o.Store, readiness: o.Readiness, allowed: o.Allowed,
		log: o.Logger, now: o.Now, timeout: DefaultQueryTimeout}
	if p := o.Section.Prometheus; p != nil {
		hc, err := commoncfg.NewClientFromConfig(p.HTTPConfig, "golive_gate")
		if err != nil {
			return nil, fmt.Errorf("prometheus.http_config: %w", err)
		}
		s.timeout = time.Duration(p.Timeout)
		if s.prom, err = promclient.New(promclient.Options{URL: p.URL, Timeout: s.timeout, HTTPClient: hc}); err != nil {
			return nil, fmt.Errorf("prometheus.url: %w", err)
		}
	}
	for i, c := range o.Section.Gates {
		g := &gateState{cfg: c, spec: c.spec()}
		var err error
		if g.alerts, err = parseMatchers(c.Alerts); err != nil {
			return nil, fmt.Errorf("gates[%d].alerts%w", i, err)
		}
		if c.Incidents != nil {
			ms := c.Incidents.Matchers
			if len(ms) == 0 {
				ms = c.Alerts
			}
			if g.incidents, err = parseMatchers(ms); err != nil {
				return nil, fmt.Errorf("gates[%d].incidents.matchers%w", i, err)
			}
		}
		if c.TokenFile != "" {
			b, err := os.ReadFile(c.TokenFile)
			if err != nil {
				return nil, fmt.Errorf("gates[%d].token_file: %w", i, err)
			}
			tok := strings.TrimSpace(string(b))
			if tok == "" {
				return nil, fmt.Errorf("gates[%d].token_file: the file is empty", i)
			}
			g.token, g.hasToken = sha256.Sum256([]byte(tok)), true
		}
		s.gates[c.Name] = g
		s.names = append(s.names, c.Name)
	}
	s.metrics = o.Metrics
	s.metrics.init(o.Section.Gates)
	return s, nil
}

// Names lists the configured gates in config order.
func (s *Service) Names() []string { return append([]string(nil), s.names...) }

// Evaluate returns the gate's current decision, stored, with its id: the
// one evaluated within the gate's min_interval if there is one, otherwise a
// fresh evaluation (concurrent callers share it). This is the call the
// rollout runner makes in-process. Errors: ErrUnknownGate, or a storage
// failure (store.ErrUnavailable) when the decision could not be stored;
// evidence that cannot be read is never an error but a hold.
func (s *Service) Evaluate(ctx context.Context, name string) (Decision, error) {
	g, ok := s.gates[name]
	if !ok {
		return Decision{}, fmt.Errorf("%w %q", ErrUnknownGate, name)
	}
	g.mu.Lock()
	if g.last != nil && s.now().Sub(g.lastAt) < time.Duration(g.cfg.MinInterval) {
		d := *g.last
		g.mu.Unlock()
		s.metrics.cacheHit(name)
		return d, nil
	}
	if f := g.running; f != nil {
		// Callers during an evaluation share its outcome, a failure
		// included: a burst during a storage outage costs one round too.
		g.mu.Unlock()
		select {
		case <-f.done:
			s.metrics.cacheHit(name)
			return f.d, f.err
		case <-ctx.Done():
			return Decision{}, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	g.running = f
	g.mu.Unlock()
	f.d, f.err = s.evaluate(ctx, g, g.spec)
	g.mu.Lock()
	if f.err == nil {
		g.last, g.lastAt = &f.d, s.now()
	}
	g.running = nil
	g.mu.Unlock()
	close(f.done)
	return f.d, f.err
}

// flight is one evaluation in progress and, once done is closed, its
// outcome.
type flight struct {
	done chan struct{}
	d    Decision
	err  error
}

// evaluate runs one evaluation and stores it. It does not end with the
// caller's context: other callers wait for the same result.
func (s *Service) evaluate(ctx context.Context, g *gateState, spec engine.Spec) (Decision, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout+5*time.Second)
	defer cancel()
	start := s.now()
	// Streaks continue from the newest stored decision, whichever process
	// made it: replicas and restarts count breaches in a row together.
	streaks := s.loadStreaks(ctx, g.cfg.Name)
	ev := &evidence{g: g, store: s.store, prom: s.prom, readiness: s.readiness}
	res := engine.Evaluate(ctx, spec, ev, streaks)
	d := Decision{Gate: g.cfg.Name, Result: res, EvaluatedAt: start.UTC()}
	body, err := json.Marshal(d)
	if err != nil {
		return Decision{}, fmt.Errorf("encode decision: %w", err)
	}
	row := &store.GateDecision{Gate: d.Gate, Decision: string(d.Decision), EvaluatedAt: d.EvaluatedAt, Body: body}
	if err := s.store.InsertGateDecision(ctx, row); err != nil {
		s.log.Warn("gate decision not stored", "gate", d.Gate, "err", err)
		return Decision{}, err
	}
	d.ID = row.ID
	s.metrics.observe(d, s.now().Sub(start))
	s.log.Debug("gate evaluated", "gate", d.Gate, "decision", d.Decision, "id", d.ID, "reasons", d.Reasons)
	return d, nil
}

// loadStreaks reads each check's breach streak from the gate's newest
// stored decision (none: every streak starts at 0).
func (s *Service) loadStreaks(ctx context.Context, gate string) map[string]int {
	row, err := s.store.LatestGateDecision(ctx, gate)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("previous gate decision unreadable; breach streaks start at 0", "gate", gate, "err", err)
		}
		return nil
	}
	var d Decision
	if err := json.Unmarshal(row.Body, &d); err != nil {
		return nil
	}
	return d.Streaks()
}

// Lookup returns a stored decision by id.
func (s *Service) Lookup(ctx context.Context, id int64) (Decision, error) {
	row, err := s.store.GateDecision(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	if err := json.Unmarshal(row.Body, &d); err != nil {
		return Decision{}, fmt.Errorf("gate decision %d: %w", id, err)
	}
	d.ID = row.ID
	return d, nil
}
