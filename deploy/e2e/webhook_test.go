package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// amMessage is Alertmanager's webhook payload, version 4, as on the wire.
// It is declared here rather than imported so the test checks the format
// independently of any code under test.
type amMessage struct {
	Version            string            `json:"version"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    int               `json:"truncatedAlerts"`
	Status             string            `json:"status"`
	Receiver           string            `json:"receiver"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
	Alerts             []amAlert         `json:"alerts"`
	NotificationReason string            `json:"notification_reason,omitempty"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// delivery is one webhook call a sink received.
type delivery struct {
	authorization string
	msg           amMessage
}

// webhookSink stands in for the receiver: it records every payload.
type webhookSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []delivery
	bad []string
}

func newWebhookSink(t *testing.T) *webhookSink {
	s := &webhookSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg amMessage
		if err == nil {
			err = json.Unmarshal(body, &msg)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Method != http.MethodPost || err != nil {
			s.bad = append(s.bad, r.Method+" "+r.URL.Path+": "+string(body))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		s.got = append(s.got, delivery{authorization: r.Header.Get("Authorization"), msg: msg})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// find returns every delivered alert matching pred, with its delivery.
func (s *webhookSink) find(pred func(amAlert) bool) ([]delivery, []amAlert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ds []delivery
	var as []amAlert
	for _, d := range s.got {
		for _, a := range d.msg.Alerts {
			if pred(a) {
				ds = append(ds, d)
				as = append(as, a)
			}
		}
	}
	return ds, as
}

func (s *webhookSink) malformed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bad...)
}
