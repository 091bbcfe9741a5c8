package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// receiverProc is `golive receiver` on SQLite in a temp dir, restartable on
// the same address and database.
type receiverProc struct {
	bin, dir, config, dbPath string
	token                    string
	url                      string
	proc                     *proc
	starts                   int
}

// newReceiver writes a receiver config with a bearer token, SQLite storage
// and the given notify section (nil: none), and picks its address.
func newReceiver(t *testing.T, notify map[string]any) *receiverProc {
	t.Helper()
	r := &receiverProc{bin: golive(t), dir: t.TempDir(), token: "e2e-receiver-token"}
	r.dbPath = filepath.Join(r.dir, "receiver.db")
	tokenFile := writeFile(t, filepath.Join(r.dir, "token"), []byte(r.token+"\n"))
	cfg := map[string]any{
		"storage": map[string]any{"sqlite": map[string]any{"path": r.dbPath}},
		"auth":    map[string]any{"bearer_token_file": tokenFile},
	}
	if notify != nil {
		cfg["notify"] = notify
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.config = writeFile(t, filepath.Join(r.dir, "receiver.yml"), b)
	r.url = "http://" + loopback(freePort(t))
	return r
}

// receiverConfig is the shipped `make run` receiver config.
const receiverConfig = "deploy/examples/receiver.yml"

// newDemoReceiver runs the shipped demo config as it is, with only its
// SQLite path moved into a temp dir and the notify section (nil: none)
// added: the receiver a newcomer's Alertmanager talks to.
func newDemoReceiver(t *testing.T, notify map[string]any) *receiverProc {
	t.Helper()
	r := &receiverProc{bin: golive(t), dir: t.TempDir()}
	r.dbPath = filepath.Join(r.dir, "receiver.db")
	cfg := readYAML(t, filepath.Join(mustRepoRoot(t), receiverConfig))
	path := mapValue(mapValue(mapValue(cfg, "storage"), "sqlite"), "path")
	if path == nil {
		t.Fatalf("%s: storage.sqlite.path missing", receiverConfig)
	}
	path.Value = r.dbPath
	if notify != nil {
		if mapValue(cfg, "notify") != nil {
			t.Fatalf("%s: has a notify section the test would replace", receiverConfig)
		}
		var n yaml.Node
		if err := n.Encode(notify); err != nil {
			t.Fatal(err)
		}
		cfg.Content = append(cfg.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "notify"}, &n)
	}
	r.config = writeYAML(t, filepath.Join(r.dir, "receiver.yml"), cfg)
	r.url = "http://" + loopback(freePort(t))
	return r
}

func (r *receiverProc) webhookURL() string { return r.url + "/api/v1/alertmanager" }

// port is the receiver's listening port.
func (r *receiverProc) port() string { return r.url[strings.LastIndex(r.url, ":")+1:] }

// start runs the receiver and waits until it is ready.
func (r *receiverProc) start(t *testing.T) {
	t.Helper()
	r.starts++
	r.proc = startProc(t, r.dir, "receiver-"+strconv.Itoa(r.starts), r.bin, "receiver",
		"--config.file="+r.config, "--web.listen-address="+r.url[len("http://"):], "--log.level=debug")
	waitReady(t, r.proc, r.url+"/-/ready", startTimeout)
}

// auth is the receiver's credentials (none for the demo config, which
// accepts loopback without).
func (r *receiverProc) auth() http.Header {
	if r.token == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + r.token}}
}

// apiIncident is the part of an incident the tests read.
type apiIncident struct {
	ID       int64             `json:"id"`
	State    string            `json:"state"`
	Priority string            `json:"priority"`
	Service  string            `json:"service"`
	Title    string            `json:"title"`
	GroupKey string            `json:"groupKey"`
	Labels   map[string]string `json:"labels"`
}

type apiOccurrence struct {
	Fingerprint string            `json:"fingerprint"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	AlertName   string            `json:"alertname"`
	Labels      map[string]string `json:"labels"`
}

type apiIncidentDetail struct {
	Incident    apiIncident     `json:"incident"`
	Occurrences []apiOccurrence `json:"occurrences"`
}

func (r *receiverProc) incidents() ([]apiIncident, error) {
	var resp struct {
		Incidents []apiIncident `json:"incidents"`
	}
	err := getJSON(r.url+"/api/v1/incidents", r.auth(), &resp)
	return resp.Incidents, err
}

func (r *receiverProc) incident(id int64) (apiIncidentDetail, error) {
	var d apiIncidentDetail
	err := getJSON(r.url+"/api/v1/incidents/"+strconv.FormatInt(id, 10), r.auth(), &d)
	return d, err
}

// incidentsWith returns every incident holding an occurrence that matches.
func (r *receiverProc) incidentsWith(match func(apiOccurrence) bool) ([]apiIncidentDetail, error) {
	list, err := r.incidents()
	if err != nil {
		return nil, err
	}
	var out []apiIncidentDetail
	for _, inc := range list {
		d, err := r.incident(inc.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range d.Occurrences {
			if match(o) {
				out = append(out, d)
				break
			}
		}
	}
	return out, nil
}

// postWebhook sends one payload as Alertmanager would and returns the status.
func (r *receiverProc) postWebhook(ctx context.Context, client *http.Client, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.webhookURL(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// slackSink is a Slack-compatible incoming webhook that records posts.
type slackSink struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts []slackPost
}

type slackPost struct {
	Text        string `json:"text"`
	Attachments []struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"attachments"`
}

func newSlackSink(t *testing.T) *slackSink {
	s := &slackSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p slackPost
		if r.Method != http.MethodPost || json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p) != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.posts = append(s.posts, p)
		s.mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// slackText is the text template the tests give the channel: one line a
// test can parse, whatever the default templates say.
const slackText = `event={{ .Event }} incident={{ .IncidentID }} priority={{ .Priority }} state={{ .State }}`

var slackLine = regexp.MustCompile(`event=(\S+) incident=(\S+) priority=(\S+) state=(\S+)`)

// notification is one parsed Slack post.
type notification struct{ event, incident, priority, state string }

func (s *slackSink) notifications() []notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []notification
	for _, p := range s.posts {
		for _, a := range p.Attachments {
			if m := slackLine.FindStringSubmatch(a.Text); m != nil {
				out = append(out, notification{m[1], m[2], m[3], m[4]})
			}
		}
	}
	return out
}

// notifyTo is a receiver notify section sending every event of every grade
// to the sink (receiver/notify.Config).
func (s *slackSink) notifyTo() map[string]any {
	return map[string]any{
		"channels": []any{map[string]any{
			"name":  "slack",
			"slack": map[string]any{"url": s.srv.URL + "/services/T0/B0/e2e"},
			"text":  slackText,
		}},
		"routes": []any{map[string]any{
			"priorities": []string{"P0", "P1", "P2", "P3"},
			"channels":   []string{"slack"},
		}},
	}
}
