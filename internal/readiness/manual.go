package readiness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Paths of the receiver's readiness API.
const (
	SignoffsPath     = "/api/v1/readiness/signoffs"
	ReportsPath      = "/api/v1/readiness/reports"
	LatestReportPath = "/api/v1/readiness/reports/latest"
	ChannelTestsPath = "/api/v1/readiness/channel-tests"
)

// DefaultValidFor is how long a sign-off counts when the item does not say.
const DefaultValidFor = 30 * 24 * time.Hour

type manualSection struct {
	// ValidFor is how long a sign-off counts (OpsLevel's update_frequency).
	// A string, parsed here, so that a bad value's error names the field.
	ValidFor string `yaml:"valid_for,omitempty"`
	// Owner is who is expected to sign it off (shown in the report).
	Owner string `yaml:"owner,omitempty"`
}

type manualCheck struct {
	item     string
	validFor time.Duration
	owner    string
}

// ValidFor is how long a sign-off of this manual item counts (0 for an
// item that is not manual).
func (it Item) ValidFor() time.Duration {
	if m, ok := it.check.(*manualCheck); ok {
		return m.validFor
	}
	return 0
}

func buildManual(section *yaml.Node, b *buildContext) (check, error) {
	var s manualSection
	if err := decodeOptional(section, &s); err != nil {
		return nil, err
	}
	validFor := DefaultValidFor
	if s.ValidFor != "" {
		d, err := model.ParseDuration(s.ValidFor)
		if err != nil || d <= 0 {
			return nil, fieldError(section, "valid_for", "%q is not a positive duration (how long a sign-off counts: 90d, 2w, 36h)", s.ValidFor)
		}
		validFor = time.Duration(d)
	}
	if b.checklist.Receiver == nil {
		return nil, needServer("receiver")
	}
	return &manualCheck{item: b.item.Name, validFor: validFor, owner: s.Owner}, nil
}

func (m *manualCheck) run(ctx context.Context, env *Env) outcome {
	signoffs, err := env.receiverSignoffs(ctx)
	if err != nil {
		return errored(err.Error())
	}
	s, ok := signoffs[m.item]
	if !ok {
		reason := "not signed off: golive readiness sign " + m.item + ` --comment "..."`
		if m.owner != "" {
			reason += " (owner: " + m.owner + ")"
		}
		return outcome{status: StatusPending, reason: reason}
	}
	ev := fmt.Sprintf("signed off by %s at %s: %q; expires %s", s.By, s.SignedAt.UTC().Format(time.RFC3339), s.Comment, s.ExpiresAt.UTC().Format(time.RFC3339))
	if s.Expired(env.Now()) {
		return fail(fmt.Sprintf("the sign-off expired %s ago: sign it off again", model.Duration(env.Now().Sub(s.ExpiresAt).Round(time.Minute))), ev)
	}
	return pass(ev)
}

func (e *Env) receiverSignoffs(ctx context.Context) (map[string]Signoff, error) {
	e.signoffsOnce.Do(func() {
		var list []Signoff
		if e.signoffsErr = e.receiver.do(ctx, "GET", SignoffsPath, nil, &list); e.signoffsErr != nil {
			return
		}
		e.signoffs = map[string]Signoff{}
		for _, s := range list {
			if cur, ok := e.signoffs[s.Item]; !ok || s.SignedAt.After(cur.SignedAt) {
				e.signoffs[s.Item] = s
			}
		}
	})
	return e.signoffs, e.signoffsErr
}

func (e *Env) receiverChannels(ctx context.Context) ([]ChannelTest, error) {
	e.channelsOnce.Do(func() {
		e.channelsErr = e.receiver.do(ctx, "GET", ChannelTestsPath, nil, &e.channels)
	})
	return e.channels, e.channelsErr
}

type channelsSection struct {
	// Within: each channel's last successful test must be this recent.
	Within model.Duration `yaml:"within,omitempty"`
	// Channels to check (empty: every channel the receiver has configured).
	Channels []string `yaml:"channels,omitempty"`
}

type channelsCheck struct {
	within   time.Duration
	channels []string
}

func buildChannels(section *yaml.Node, b *buildContext) (check, error) {
	s := channelsSection{Within: model.Duration(7 * 24 * time.Hour)}
	if err := decodeOptional(section, &s); err != nil {
		return nil, err
	}
	if s.Within <= 0 {
		return nil, fieldError(section, "within", "must be a positive duration")
	}
	if b.checklist.Receiver == nil {
		return nil, needServer("receiver")
	}
	return &channelsCheck{within: time.Duration(s.Within), channels: s.Channels}, nil
}

func (c *channelsCheck) run(ctx context.Context, env *Env) outcome {
	tests, err := env.receiverChannels(ctx)
	if err != nil {
		return errored(err.Error())
	}
	byName := map[string]ChannelTest{}
	var configured []string
	for _, t := range tests {
		byName[t.Channel] = t
		if t.Configured {
			configured = append(configured, t.Channel)
		}
	}
	want := c.channels
	if len(want) == 0 {
		want = configured
	}
	if len(want) == 0 {
		return fail("the receiver has no notification channels configured", "")
	}
	now := env.Now()
	var problems, ev []string
	for _, name := range want {
		t, ok := byName[name]
		switch {
		case !ok || !t.Configured:
			problems = append(problems, fmt.Sprintf("%s is not a channel of the receiver (have: %s)", name, orNone(configured)))
		case t.LastSuccess.IsZero():
			p := fmt.Sprintf("%s was never tested successfully: golive notify test %s", name, name)
			if t.LastError != "" {
				p += fmt.Sprintf(" (last attempt %s: %s)", t.LastAttempt.UTC().Format(time.RFC3339), t.LastError)
			}
			problems = append(problems, p)
		case now.Sub(t.LastSuccess) > c.within:
			problems = append(problems, fmt.Sprintf("%s was last tested successfully %s ago, more than %s", name,
				now.Sub(t.LastSuccess).Round(time.Minute), model.Duration(c.within)))
		default:
			ev = append(ev, fmt.Sprintf("%s ok %s ago", name, now.Sub(t.LastSuccess).Round(time.Second)))
		}
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "), strings.Join(ev, ", "))
	}
	return pass(strings.Join(ev, ", "))
}

// ReceiverClient calls the receiver's readiness API outside a checklist run.
type ReceiverClient struct{ s *server }

// SignRequest is the body of POST /api/v1/readiness/signoffs. ValidFor
// (a Prometheus duration) or ExpiresAt sets the expiry.
type SignRequest struct {
	Item      string    `json:"item"`
	By        string    `json:"by"`
	Comment   string    `json:"comment"`
	ValidFor  string    `json:"valid_for,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Sign records a sign-off and returns it as stored.
func (c *ReceiverClient) Sign(ctx context.Context, req SignRequest) (Signoff, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Signoff{}, err
	}
	var out Signoff
	err = c.s.do(ctx, "POST", SignoffsPath, bytes.NewReader(body), &out)
	return out, err
}

// Signoffs lists the newest sign-off of every item.
func (c *ReceiverClient) Signoffs(ctx context.Context) ([]Signoff, error) {
	var out []Signoff
	err := c.s.do(ctx, "GET", SignoffsPath, nil, &out)
	slices.SortFunc(out, func(a, b Signoff) int { return strings.Compare(a.Item, b.Item) })
	return out, err
}

// StoredReport is a report as the receiver stored it.
type StoredReport struct {
	ID int64 `json:"id"`
	Report
}

// PostReport stores a report in the receiver and returns its id.
func (c *ReceiverClient) PostReport(ctx context.Context, r *Report) (int64, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	var out StoredReport
	if err := c.s.do(ctx, "POST", ReportsPath, bytes.NewReader(body), &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}
