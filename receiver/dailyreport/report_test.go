package dailyreport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/report/reporttest"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

// One Prometheus for the whole package: backfilling and starting it costs
// seconds.
var (
	promOnce sync.Once
	promURL  string
	scen     = newScenario()
)

func prometheusURL(t *testing.T) string {
	t.Helper()
	promOnce.Do(func() { promURL = reporttest.StartPrometheus(&onceTB{T: t}, scen.history()) })
	if promURL == "" {
		// Skipped or failed in the first test that asked (no binaries).
		testenv.Unavailable(t, "prometheus did not start (see the first test that needed it)")
	}
	return promURL
}

// onceTB keeps the shared Prometheus alive for the whole package: its
// Cleanup runs at process exit instead of at the end of the first test.
type onceTB struct{ *testing.T }

func (o *onceTB) Cleanup(f func()) { cleanups = append(cleanups, f) }

// Failed and Logf are called by the cleanups after every test ended, when
// the first test's T may no longer be used.
func (o *onceTB) Failed() bool { return false }
func (o *onceTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
func (o *onceTB) TempDir() string {
	d, err := os.MkdirTemp("", "golive-report-")
	if err != nil {
		o.Fatal(err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(d) })
	return d
}

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

func promClient(t *testing.T) *promclient.Client {
	c, err := promclient.New(promclient.Options{URL: prometheusURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReportFiguresFromPrometheusAndStore(t *testing.T) {
	s := scen
	prom := promClient(t)
	st := s.openStore(t)
	ctx := testenv.Context(t, time.Minute)
	r, err := report.Build(ctx, prom, StoreSource{st}, report.Options{
		Day: s.day.Add(12 * time.Hour), Location: time.UTC, Now: func() time.Time { return s.end.Add(12 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) > 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
	if r.Date != s.day.Format(time.DateOnly) || !r.To.Equal(s.end) {
		t.Fatalf("report of %s to %s, want %s to %s", r.Date, r.To, s.day, s.end)
	}

	// Incidents: counts, MTTA and MTTR against what the test computes.
	want := s.expect(s.day, s.end)
	got := r.Incidents.Total
	if got.Opened != want.opened || got.Resolved != want.resolved {
		t.Errorf("opened/resolved = %d/%d, want %d/%d", got.Opened, got.Resolved, want.opened, want.resolved)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"MTTA mean", got.MTTAMean, want.mttaMean}, {"MTTA median", got.MTTAMedian, want.mttaMedian},
		{"MTTR mean", got.MTTRMean, want.mttrMean}, {"MTTR median", got.MTTRMedian, want.mttrMedian},
	} {
		if !near(c.got, c.want, 1) {
			t.Errorf("%s = %.0fs, want %.0fs", c.name, c.got, c.want)
		}
	}
	for _, g := range r.Incidents.ByGrade {
		if w := want.openedByGrade[storePriority(g.Priority)]; g.Opened != w {
			t.Errorf("%s opened = %d, want %d", g.Priority, g.Opened, w)
		}
	}
	if len(r.Breaches) != 1 || r.Breaches[0].Priority != "P0" || r.Breaches[0].Kind != "response" {
		t.Errorf("breaches = %+v, want the second P0's response breach", r.Breaches)
	}
	if prev := s.expect(s.day.AddDate(0, 0, -1), s.day); r.Previous.Total.Opened != prev.opened {
		t.Errorf("previous day opened = %d, want %d", r.Previous.Total.Opened, prev.opened)
	}

	// Capacity: days to full and growth from the linear free space.
	var root *report.Filesystem
	for i, f := range r.Filesystems {
		if f.Mountpoint == "/run" {
			t.Errorf("tmpfs listed: %+v", f)
		}
		if f.Instance == "host-1:9100" && f.Mountpoint == "/" {
			root = &r.Filesystems[i]
		}
	}
	if root == nil {
		t.Fatalf("host-1 / missing: %+v", r.Filesystems)
	}
	if wantDays := s.fsAvail(s.end) / fsLossPerDay; !near(root.DaysToFull, wantDays, 0.01) {
		t.Errorf("days to full = %.3f, want %.3f", root.DaysToFull, wantDays)
	}
	if !near(root.GrowthPerDay, fsLossPerDay, fsLossPerDay*0.001) {
		t.Errorf("disk growth = %.0f B/d, want %d", root.GrowthPerDay, fsLossPerDay)
	}
	if r.Filesystems[0].Instance != "host-1:9100" {
		t.Errorf("the filling filesystem is not listed first: %+v", r.Filesystems[0])
	}

	// Hosts.
	if len(r.Hosts) != len(s.hosts) {
		t.Fatalf("hosts = %d, want %d", len(r.Hosts), len(s.hosts))
	}
	for _, h := range r.Hosts {
		if !near(h.MemGrowthPerDay, memGrowth, memGrowth*0.01) {
			t.Errorf("%s memory growth = %.0f B/d, want %d", h.Instance, h.MemGrowthPerDay, memGrowth)
		}
		if !near(h.CPUAvg, 0.25, 0.001) || h.CPUs != 2 {
			t.Errorf("%s CPU = %.3f of %d, want 0.25 of 2", h.Instance, h.CPUAvg, h.CPUs)
		}
		if h.Uptime != 11*24*time.Hour {
			t.Errorf("%s uptime = %s, want 264h", h.Instance, h.Uptime)
		}
		if len(h.Interfaces) != 1 || !near(h.Interfaces[0].RxAvg, 8000, 1) || !near(h.Interfaces[0].TxAvg, 4000, 1) {
			t.Errorf("%s interfaces = %+v, want eth0 at 8000/4000 bit/s", h.Instance, h.Interfaces)
		}
	}
	if len(r.Targets) != 1 || r.Targets[0].Instance != "host-3:9100" || !near(r.Targets[0].Availability, 22.0/24, 0.01) || !r.Targets[0].UpNow {
		t.Errorf("targets = %+v, want host-3 up 22 h of 24 and up now", r.Targets)
	}

	// Services, databases, backups, certificates.
	var nginx2 *report.Service
	for i, sv := range r.Services {
		if sv.Instance == "host-2:9100" && sv.Name == "nginx" {
			nginx2 = &r.Services[i]
		} else if !sv.ServiceOK() {
			t.Errorf("service %+v not ok", sv)
		}
	}
	if nginx2 == nil || nginx2.State != "failed" || !near(nginx2.Active, 0.75, 0.01) {
		t.Errorf("nginx on host-2 = %+v, want failed, active 75%%", nginx2)
	}
	if len(r.Databases) != 2 || r.Databases[0].Connections != 15 || r.Databases[0].Max != 100 || r.Databases[1].Connections != 7 {
		t.Errorf("databases = %+v", r.Databases)
	}
	if len(r.Backups) != 2 || !r.Backups[0].Stale || r.Backups[0].Age != 30*time.Hour || !r.Backups[0].ChecksumOK ||
		r.Backups[1].Stale || r.Backups[1].ChecksumOK {
		t.Errorf("backups = %+v, want db stale (30h) and files fresh with a failed checksum", r.Backups)
	}
	if len(r.Certificates) != 1 || r.Certificates[0].Instance != "https://shop.example" || !near(r.Certificates[0].DaysLeft, certDays, 0.01) {
		t.Errorf("certificates = %+v, want shop expiring in %d days", r.Certificates, certDays)
	}

	// Alerts: four separate HighCPU firings (flapping), one ServiceDown;
	// the day before one.
	if len(r.Alerts) != 2 || r.Alerts[0].Name != "HighCPU" || r.Alerts[0].Firings != 4 || !r.Alerts[0].Flapping ||
		r.Alerts[1].Name != "ServiceDown" || r.Alerts[1].Firings != 1 || r.Alerts[1].Flapping {
		t.Errorf("alerts = %+v", r.Alerts)
	}
	if r.PreviousFirings != 1 {
		t.Errorf("previous day firings = %d, want 1", r.PreviousFirings)
	}
	if !r.ActivityKnown || len(r.Activity) != 1 || r.Activity[0].Outcome != "succeeded" || !strings.Contains(r.Activity[0].Name, "restart-web (exec)") {
		t.Errorf("activity = %+v (known %v), want the one restart of D", r.Activity, r.ActivityKnown)
	}
	if r.Quiet() {
		t.Error("a day with incidents is reported quiet")
	}
	text := r.RenderText()
	for _, want := range []string{"backup db on db-1:9100 is 30h00m old (threshold 26h00m)", "backup files on db-1:9100 failed its checksum",
		"certificate of https://shop.example expires in 10 days", "service nginx on host-2:9100: failed", "alert HighCPU is flapping"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestScheduledReportMailedOnce: two replicas and a restart try to queue
// the day's report; one mail arrives, and it is a well-formed
// multipart/alternative with a related HTML part whose every cid resolves
// to a PNG that decodes.
func TestScheduledReportMailedOnce(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			scen.fill(t, st)
			testScheduledReportMailedOnce(t, st)
		})
	}
}

func testScheduledReportMailedOnce(t *testing.T, st store.Store) {
	s := scen
	url := prometheusURL(t)
	sink, addr := startSMTP(t)
	cfg, err := config.Parse([]byte(`
auth: {disabled: true}
oncall: {timezone: UTC}
notify:
  channels:
  - name: ops-mail
    email: {smarthost: "` + addr + `", from: "golive <golive@example.org>", to: [ops@example.org], require_tls: false}
report:
  to: ["SRE <sre@example.org>", lead@example.org]
  channel: ops-mail
  prometheus_url: ` + url + `
`))
	if err != nil {
		t.Fatal(err)
	}
	now := s.day.Add(23*time.Hour + 55*time.Minute)
	clock := func() time.Time { return now }
	ctx := testenv.Context(t, time.Minute)
	var queued int
	for range 3 { // replica A, replica B, A after a restart
		sched, err := New(cfg.Report, cfg.Notify.Channels, cfg.OnCall.TimeZone, st, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := sched.EnqueueDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			queued++
		}
	}
	if queued != 1 {
		t.Fatalf("queued %d times, want once", queued)
	}
	early, _ := New(cfg.Report, cfg.Notify.Channels, "UTC", st, nil, func() time.Time { return s.day.Add(23 * time.Hour) })
	if ok, _ := early.EnqueueDue(ctx); ok {
		t.Error("queued before 23:50")
	}
	sched, _ := New(cfg.Report, cfg.Notify.Channels, cfg.OnCall.TimeZone, st, nil, clock)
	for _, owner := range []string{"replica-a", "replica-b"} {
		w := notify.NewWorker(st, map[string]notify.Channel{ChannelName: sched.Channel()}, notify.WorkerOptions{Owner: owner, Now: clock})
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := sink.all()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	if got := msgs[0].to; strings.Join(got, ",") != "sre@example.org,lead@example.org" {
		t.Errorf("recipients = %v", got)
	}
	checkMIME(t, msgs[0].data, s.day.Format(time.DateOnly))
	checkWithPython(t, msgs[0].data)
}

// checkMIME parses the mail with Go's net/mail and mime/multipart.
func checkMIME(t *testing.T, raw []byte, date string) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || !strings.Contains(subject, date) {
		t.Errorf("subject %q (%v) does not name %s", subject, err, date)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("top type %q (%v), want multipart/alternative", mt, err)
	}
	parts := readParts(t, m.Body, params["boundary"])
	if len(parts) != 2 || parts[0].typ != "text/plain" || parts[1].typ != "multipart/related" {
		t.Fatalf("alternative parts = %v, want text/plain then multipart/related", types(parts))
	}
	if !strings.Contains(string(parts[0].body), "Incidents") || !strings.Contains(string(parts[0].body), "MTTA") {
		t.Errorf("text part lacks the incidents table:\n%s", parts[0].body)
	}
	related := readParts(t, bytes.NewReader(parts[1].raw), parts[1].params["boundary"])
	if len(related) < 2 || related[0].typ != "text/html" {
		t.Fatalf("related parts = %v, want text/html then images", types(related))
	}
	html := string(related[0].body)
	if len(html) > 100*1024 {
		t.Errorf("HTML is %d bytes: Gmail clips above ~102 KB", len(html))
	}
	cids := map[string]bool{}
	for _, p := range related[1:] {
		if p.typ != "image/png" {
			t.Errorf("related part %s, want image/png", p.typ)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(p.body)); err != nil {
			t.Errorf("image %s does not decode: %v", p.cid, err)
		}
		if !strings.HasPrefix(p.disposition, "inline") {
			t.Errorf("image %s disposition %q, want inline", p.cid, p.disposition)
		}
		cids[p.cid] = true
	}
	refs := regexp.MustCompile(`src="cid:([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 3 {
		t.Errorf("%d cid references, want the incident, CPU, memory and disk charts", len(refs))
	}
	for _, ref := range refs {
		if !cids[ref[1]] {
			t.Errorf("cid:%s has no image part (have %v)", ref[1], cids)
		}
	}
}

type part struct {
	typ         string
	params      map[string]string
	cid         string
	disposition string
	raw         []byte // as sent (for nested multiparts)
	body        []byte // decoded
}

func readParts(t *testing.T, r io.Reader, boundary string) []part {
	t.Helper()
	if boundary == "" {
		t.Fatal("multipart without boundary")
	}
	mr := multipart.NewReader(r, boundary)
	var out []part
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		typ, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body := raw
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			body, err = decodeBase64(raw)
		case "quoted-printable":
			body, err = io.ReadAll(quotedPrintable(raw))
		}
		if err != nil {
			t.Fatalf("part %s: %v", typ, err)
		}
		out = append(out, part{typ: typ, params: params, cid: strings.Trim(p.Header.Get("Content-ID"), "<>"),
			disposition: p.Header.Get("Content-Disposition"), raw: raw, body: body})
	}
}

func types(ps []part) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.typ
	}
	return out
}

// checkWithPython parses the mail with Python's email package, an
// independent MIME parser: no defects, the same structure, every cid
// resolved. Required under CI=true (.ci/run installs python3).
func checkWithPython(t *testing.T, raw []byte) {
	t.Helper()
	py := testenv.Tool(t, "PYTHON3", "python3")
	f := filepath.Join(t.TempDir(), "report.eml")
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, re, email
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
problems = []
def walk(p, depth=0):
    for d in p.defects: problems.append("%s: %r" % (p.get_content_type(), d))
    if p.is_multipart():
        for c in p.iter_parts(): walk(c, depth+1)
walk(m)
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
alt = list(m.iter_parts())
assert [p.get_content_type() for p in alt] == ["text/plain", "multipart/related"], [p.get_content_type() for p in alt]
rel = list(alt[1].iter_parts())
html = rel[0].get_content()
cids = {p["Content-ID"].strip("<>"): p for p in rel[1:]}
for ref in re.findall(r'src="cid:([^"]+)"', html):
    assert ref in cids, ref
for cid, p in cids.items():
    data = p.get_content()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", cid
assert not problems, problems
print("ok", len(cids))
`
	out, err := exec.Command(py, "-c", script, f).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok ") {
		t.Fatalf("python email parser: %v\n%s", err, out)
	}
}

func TestCommandWritesAndFails(t *testing.T) {
	s := scen
	url := prometheusURL(t)
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Command(context.Background(), cli.Env{Args: args, Stdout: &stdout, Stderr: &stderr})
		return code, stderr.String()
	}
	// The receiver's own API over the scenario's store: the command reads
	// incidents through receiver/client.
	mux := http.NewServeMux()
	st := s.openStore(t)
	(&api.API{Store: st}).Register(mux)
	(&remediate.API{Store: st}).Register(mux)
	recv := httptest.NewServer(mux)
	t.Cleanup(recv.Close)
	date := s.day.Format(time.DateOnly)
	out, eml := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.eml")
	if code, stderr := run("--prometheus.url", url, "--receiver.url", recv.URL, "--date", date, "--timezone", "UTC", "--out", out, "--eml", eml); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	html, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(html), "data:image/png;base64,") || !strings.Contains(string(html), "host-1:9100") {
		t.Errorf("--out: %v, %d bytes without embedded charts or hosts", err, len(html))
	}
	raw, err := os.ReadFile(eml)
	if err != nil {
		t.Fatal(err)
	}
	checkMIME(t, raw, date)
	if !strings.Contains(string(html), "restart-web (exec) for incident #1") {
		t.Error("--out lacks the day's remediation run read through the API")
	}
	if want := s.expect(s.day, s.end); !strings.Contains(string(html), fmt.Sprintf(`<th>all</th><th class="n">%d</th><th class="n">%d</th>`, want.opened, want.resolved)) {
		t.Errorf("--out lacks the incident totals %d opened, %d resolved from the API", want.opened, want.resolved)
	}
	// Without the receiver the incident sections are left out, not zero.
	if code, stderr := run("--prometheus.url", url, "--date", date, "--timezone", "UTC", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if html, _ := os.ReadFile(out); !strings.Contains(string(html), "No incident figures") || strings.Contains(string(html), "MTTA") {
		t.Error("a report without the receiver shows incident figures")
	}

	// Mailed through the config's report.channel, to --to.
	sink, addr := startSMTP(t)
	cfgFile := filepath.Join(dir, "receiver.yml")
	if err := os.WriteFile(cfgFile, []byte(`auth: {disabled: true}
notify:
  channels:
  - name: ops-mail
    email: {smarthost: "`+addr+`", from: golive@example.org, to: [ops@example.org], require_tls: false}
report: {channel: ops-mail}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stderr := run("--prometheus.url", url, "--receiver.url", recv.URL, "--config", cfgFile, "--to", "a@example.org, b@example.org", "--date", date, "--timezone", "UTC"); code != 0 {
		t.Fatalf("mailing: exit %d: %s", code, stderr)
	}
	if msgs := sink.all(); len(msgs) != 1 || strings.Join(msgs[0].to, ",") != "a@example.org,b@example.org" {
		t.Errorf("mailed %d messages (%v), want one to a and b", len(msgs), msgs)
	} else {
		checkMIME(t, msgs[0].data, date)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--prometheus.url", url, "--config", cfgFile, "--date", date}, "no recipients: set --to or report.to"},
		{[]string{"--prometheus.url", "http://" + testenv.SilentListener(t), "--prometheus.timeout", "1s", "--out", out}, "no answer within 1s"},
		{[]string{"--prometheus.url", "http://" + closedAddr(t), "--out", out}, "unreachable"},
		{[]string{"--prometheus.url", url, "--date", "2026-13-01", "--out", out}, `--date: "2026-13-01" is not a day`},
		{[]string{"--prometheus.url", url, "--timezone", "Mars/Olympus", "--out", out}, "--timezone"},
		{[]string{"--out", out}, "--prometheus.url is required"},
		{[]string{"--prometheus.url", url}, "mailing needs --config"},
	} {
		code, stderr := run(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestReportConfigErrors(t *testing.T) {
	base := "auth: {disabled: true}\nnotify:\n  channels:\n  - name: ops-mail\n    email: {smarthost: \"127.0.0.1:25\", from: a@example.org, to: [b@example.org]}\n  - name: hook\n    webhook: {url: \"http://127.0.0.1:1/\"}\n"
	for _, c := range []struct{ yaml, want string }{
		{"report:\n  too: [a@example.org]\n", `line 9: report.too: unknown field (did you mean to?)`},
		{"report:\n  to: [not-an-address]\n  channel: ops-mail\n  prometheus_url: http://127.0.0.1:9090\n", `report.to[0]: "not-an-address" is not an email address`},
		{"report:\n  to: [a@example.org]\n  channel: ops-mail\n  prometheus_url: http://127.0.0.1:9090\n  at: \"24:10\"\n", `report.at: "24:10" is not a time of day HH:MM`},
		{"report:\n  to: [a@example.org]\n  channel: ops-mail\n", "report.prometheus_url: required with report.to"},
		{"report:\n  to: [a@example.org]\n  channel: hook\n  prometheus_url: http://127.0.0.1:9090\n", `report.channel: "hook" is not an email channel`},
		{"report:\n  to: [a@example.org]\n  channel: nope\n  prometheus_url: http://127.0.0.1:9090\n", `report.channel: "nope" is not defined in notify.channels`},
		{"report:\n  timezone: Mars/Olympus\n", "report.timezone"},
		{"report:\n  backup_max_age: soon\n", "report.backup_max_age"},
	} {
		_, err := config.Parse([]byte(base + c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// --- an in-process SMTP server (go-smtp) ---

type mailed struct {
	to   []string
	data []byte
}

type sink struct {
	mu   sync.Mutex
	msgs []mailed
}

func (s *sink) all() []mailed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailed(nil), s.msgs...)
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s  *sink
	to []string
}

func (ss *session) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, mailed{to: ss.to, data: b})
	ss.s.mu.Unlock()
	return err
}
func (ss *session) Reset()        { ss.to = nil }
func (ss *session) Logout() error { return nil }

func startSMTP(t *testing.T) (*sink, string) {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 8 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s, l.Addr().String()
}

// On a daylight-saving day the report still goes out at report.at on the
// wall clock, not 23h50m after midnight.
func TestScheduleDueOnWallClockAcrossDST(t *testing.T) {
	st := scen.openStore(t)
	ny, _ := time.LoadLocation("America/New_York")
	channels := []notify.ChannelConfig{{Name: "m", Email: &notify.EmailConfig{Smarthost: "127.0.0.1:25", From: "a@example.org", To: []string{"b@example.org"}}}}
	cfg := report.Config{To: []string{"sre@example.org"}, Channel: "m", PrometheusURL: "http://127.0.0.1:9090", At: "23:50", TimeZone: "America/New_York"}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		// 1 November 2026 has 25 hours there: 23h50m after midnight is 22:50.
		{time.Date(2026, 11, 1, 22, 55, 0, 0, ny), false},
		{time.Date(2026, 11, 1, 23, 50, 0, 0, ny), true},
		// 8 March has 23: 23h50m after midnight would be 00:50 the next day.
		{time.Date(2026, 3, 8, 23, 51, 0, 0, ny), true},
	} {
		sched, err := New(cfg, channels, "", st, nil, func() time.Time { return c.at })
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sched.EnqueueDue(context.Background()); err != nil || got != c.want {
			t.Errorf("at %s: queued %v (%v), want %v", c.at, got, err, c.want)
		}
	}
}
