// Package readiness is the receiver's side of go-live readiness: the API
// where people sign off manual items and `golive readiness --report-to`
// stores its reports, the channel-test records `golive notify test` leaves,
// the metrics the go-live dashboard reads, and the latest report for the
// rollout gate.
package readiness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	engine "github.com/golive-ops/golive/internal/gate"
	rd "github.com/golive-ops/golive/internal/readiness"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
)

// Bounds on what the API accepts.
const (
	maxSignBytes   = 16 << 10
	maxReportBytes = 8 << 20
	maxComment     = 4000
	maxItems       = 2000
	// maxValidFor caps a sign-off's life: a go-live check signed once must
	// be looked at again at least yearly.
	maxValidFor = 366 * 24 * time.Hour
)

// API serves /api/v1/readiness/.
type API struct {
	Store store.Store
	// Channels are the receiver's configured notification channels, so
	// that one never tested shows up too.
	Channels []string
	Logger   *slog.Logger
	Now      func() time.Time
}

// Register adds the routes to mux (behind the receiver's authentication).
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+rd.SignoffsPath, a.listSignoffs)
	mux.HandleFunc("POST "+rd.SignoffsPath, a.sign)
	mux.HandleFunc("POST "+rd.ReportsPath, a.postReport)
	mux.HandleFunc("GET "+rd.LatestReportPath, a.latestReport)
	mux.HandleFunc("GET "+rd.ChannelTestsPath, a.channelTests)
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func (a *API) fail(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	var he *httpError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, store.ErrUnavailable):
		code = http.StatusServiceUnavailable
		a.Logger.Warn("readiness API: storage unavailable", "err", err)
	}
	writeJSON(w, code, errorBody{Error: err.Error()})
}

func toAPI(s store.Signoff) rd.Signoff {
	return rd.Signoff{ID: s.ID, Item: s.Item, By: s.By, Comment: s.Comment, SignedAt: s.SignedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
}

func (a *API) listSignoffs(w http.ResponseWriter, r *http.Request) {
	list, err := a.Store.LatestSignoffs(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]rd.Signoff, 0, len(list))
	for _, s := range list {
		out = append(out, toAPI(s))
	}
	writeJSON(w, http.StatusOK, out)
}

// decode reads a JSON body; only a declared JSON body is accepted, which
// keeps cross-site forms out (auth.RequireJSON).
func decode(w http.ResponseWriter, r *http.Request, limit int64, out any) error {
	if err := auth.RequireJSON(r); err != nil {
		return &httpError{code: http.StatusUnsupportedMediaType, err: err}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// validateSign checks a sign-off request and returns its expiry.
func validateSign(req rd.SignRequest, now time.Time) (time.Time, error) {
	switch {
	case !validName(req.Item):
		return time.Time{}, fmt.Errorf("item: %q is not an item name (letters, digits and _.:-)", req.Item)
	case len(req.By) > 200 || !utf8.ValidString(req.By):
		return time.Time{}, errors.New("by: at most 200 bytes of UTF-8")
	case strings.TrimSpace(req.Comment) == "":
		return time.Time{}, errors.New("comment: is required: say what was checked and where the evidence is")
	case len(req.Comment) > maxComment || !utf8.ValidString(req.Comment):
		return time.Time{}, fmt.Errorf("comment: at most %d bytes of UTF-8", maxComment)
	case req.ValidFor != "" && !req.ExpiresAt.IsZero():
		return time.Time{}, errors.New("valid_for, expires_at: give one, not both")
	}
	expires := req.ExpiresAt
	if req.ValidFor != "" {
		d, err := model.ParseDuration(req.ValidFor)
		if err != nil {
			return time.Time{}, fmt.Errorf("valid_for: %q is not a duration (e.g. 30d, 12h): %w", req.ValidFor, err)
		}
		expires = now.Add(time.Duration(d))
	}
	switch {
	case expires.IsZero():
		return time.Time{}, errors.New("valid_for: say how long the sign-off counts (or expires_at)")
	case !expires.After(now):
		return time.Time{}, fmt.Errorf("expires_at: %s is not in the future", expires.UTC().Format(time.RFC3339))
	case expires.Sub(now) > maxValidFor:
		return time.Time{}, fmt.Errorf("valid_for: at most %s", model.Duration(maxValidFor))
	}
	return expires, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && strings.ContainsRune("_.:-", c)
		if !ok {
			return false
		}
	}
	return true
}

func (a *API) sign(w http.ResponseWriter, r *http.Request) {
	var req rd.SignRequest
	if err := decode(w, r, maxSignBytes, &req); err != nil {
		a.fail(w, err)
		return
	}
	now := a.Now()
	expires, err := validateSign(req, now)
	if err != nil {
		a.fail(w, err)
		return
	}
	by := strings.TrimSpace(req.By)
	// A person the receiver authenticated (a console login, a basic-auth
	// user) signs as themselves, whatever the body says.
	if p, ok := auth.FromContext(r.Context()); ok && p.User != "" {
		by = p.User
	}
	so := store.Signoff{Item: req.Item, By: by, Comment: req.Comment, SignedAt: now, ExpiresAt: expires}
	if so.By == "" {
		a.fail(w, errors.New("by: must name who signs"))
		return
	}
	if err := a.Store.InsertSignoff(r.Context(), &so); err != nil {
		a.fail(w, err)
		return
	}
	a.Logger.Info("readiness item signed off", "item", so.Item, "by", so.By, "expires", so.ExpiresAt)
	writeJSON(w, http.StatusCreated, toAPI(so))
}

var statuses = []rd.Status{rd.StatusPass, rd.StatusWarn, rd.StatusFail, rd.StatusError, rd.StatusPending}

func validateReport(rep *rd.Report) error {
	if rep.GeneratedAt.IsZero() {
		return errors.New("generated_at: must be set")
	}
	if len(rep.Items) == 0 || len(rep.Items) > maxItems {
		return fmt.Errorf("items: want 1 to %d items", maxItems)
	}
	seen := map[string]bool{}
	for i, it := range rep.Items {
		switch {
		case !validName(it.Name):
			return fmt.Errorf("items[%d].name: %q is not an item name", i, it.Name)
		case seen[it.Name]:
			return fmt.Errorf("items[%d].name: %q is listed twice", i, it.Name)
		case !slices.Contains(statuses, it.Status):
			return fmt.Errorf("items[%d].status: %q is not one of pass, warn, fail, error, pending", i, it.Status)
		case it.Category == "" || len(it.Category) > 100:
			return fmt.Errorf("items[%d].category: must be set", i)
		}
		seen[it.Name] = true
	}
	// Recomputed, not trusted: the gate and the metrics read it.
	want := rep.Outcome(false) == rd.Ready
	if rep.Ready != want {
		return fmt.Errorf("ready: %v does not match the items (which say %v)", rep.Ready, want)
	}
	return nil
}

func (a *API) postReport(w http.ResponseWriter, r *http.Request) {
	var rep rd.Report
	if err := decode(w, r, maxReportBytes, &rep); err != nil {
		a.fail(w, err)
		return
	}
	if err := validateReport(&rep); err != nil {
		a.fail(w, err)
		return
	}
	body, err := json.Marshal(rep)
	if err != nil {
		a.fail(w, err)
		return
	}
	sr := store.ReadinessReport{GeneratedAt: rep.GeneratedAt, Ready: rep.Ready, Body: body}
	if err := a.Store.InsertReadinessReport(r.Context(), &sr); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rd.StoredReport{ID: sr.ID, Report: rep})
}

func (a *API) latestReport(w http.ResponseWriter, r *http.Request) {
	rep, err := Latest(r.Context(), a.Store)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// Latest reads the newest stored report.
func Latest(ctx context.Context, s store.Store) (rd.StoredReport, error) {
	sr, err := s.LatestReadinessReport(ctx)
	if err != nil {
		return rd.StoredReport{}, err
	}
	out := rd.StoredReport{ID: sr.ID}
	if err := json.Unmarshal(sr.Body, &out.Report); err != nil {
		return rd.StoredReport{}, fmt.Errorf("stored readiness report %d: %w", sr.ID, err)
	}
	return out, nil
}

func (a *API) channelTests(w http.ResponseWriter, r *http.Request) {
	tests, err := a.Store.ChannelTests(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := []rd.ChannelTest{}
	seen := map[string]bool{}
	for _, t := range tests {
		seen[t.Channel] = true
		out = append(out, rd.ChannelTest{Channel: t.Channel, Configured: slices.Contains(a.Channels, t.Channel),
			LastSuccess: t.LastSuccess.UTC(), LastAttempt: t.LastAttempt.UTC(), LastError: t.LastError})
	}
	for _, c := range a.Channels {
		if !seen[c] {
			out = append(out, rd.ChannelTest{Channel: c, Configured: true})
		}
	}
	slices.SortFunc(out, func(x, y rd.ChannelTest) int { return strings.Compare(x.Channel, y.Channel) })
	writeJSON(w, http.StatusOK, out)
}

// Collector exports the newest stored report at scrape time:
// golive_readiness_ready and golive_readiness_check_ok{check,category},
// which the generated go-live dashboard reads. Without a report it
// exports nothing, so "no report" is not mistaken for "not ready".
type Collector struct {
	store  store.Store
	logger *slog.Logger
}

// NewCollector returns the metrics collector over s.
func NewCollector(s store.Store, logger *slog.Logger) *Collector {
	return &Collector{store: s, logger: logger}
}

var (
	readyDesc = prometheus.NewDesc("golive_readiness_ready",
		"Whether the newest stored go-live readiness report is ready (1) or not (0).", nil, nil)
	checkDesc = prometheus.NewDesc("golive_readiness_check_ok",
		"Whether each readiness item of the newest report passes (1, warnings included) or not (0).", []string{"check", "category"}, nil)
	timeDesc = prometheus.NewDesc("golive_readiness_report_timestamp_seconds",
		"When the newest stored readiness report was generated.", nil, nil)
)

func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- readyDesc
	ch <- checkDesc
	ch <- timeDesc
}

func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := Latest(ctx, c.store)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.logger.Warn("readiness metrics: reading the latest report", "err", err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, b2f(rep.Ready))
	ch <- prometheus.MustNewConstMetric(timeDesc, prometheus.GaugeValue, float64(rep.GeneratedAt.UnixNano())/1e9)
	for _, it := range rep.Items {
		ch <- prometheus.MustNewConstMetric(checkDesc, prometheus.GaugeValue, b2f(it.Status.OK()), it.Name, it.Category)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Gate is the rollout gate's readiness evidence (receiver/gate's
// ReadinessSource): the newest stored report.
type Gate struct{ Store store.Store }

// LatestReadiness returns the newest report's verdict; a report that is
// not ready lists its failing required items, which the gate holds on as
// its reasons. No report is Known false (a gate requiring one holds).
func (g Gate) LatestReadiness(ctx context.Context) (engine.Readiness, error) {
	rep, err := Latest(ctx, g.Store)
	if errors.Is(err, store.ErrNotFound) {
		return engine.Readiness{}, nil
	}
	if err != nil {
		return engine.Readiness{}, err
	}
	out := engine.Readiness{Known: true, Ready: rep.Ready,
		Summary: fmt.Sprintf("readiness report #%d of %s: %s", rep.ID, rep.GeneratedAt.UTC().Format(time.RFC3339), rep.Summary())}
	if !rep.Ready {
		out.Failing = rep.Failing()
	}
	return out, nil
}
