// Package webhook decodes and validates Alertmanager webhook payloads
// (version 4). It knows nothing of storage or HTTP: a body goes in, a
// validated Message or an *Error naming the offending field comes out.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/alertmanager/template"
)

// Version is the only payload version Alertmanager sends today.
const Version = "4"

// RepeatReason is notification_reason on a repeat-interval resend.
const RepeatReason = "repeat interval elapsed"

// Message is Alertmanager's webhook payload. template.Data carries the
// alerts, status, labels, notification_reason and routeLabels; the rest are
// the webhook's own fields (mirroring notify/webhook.Message, which we do
// not import for its dependency weight).
type Message struct {
	template.Data
	Version         string `json:"version"`
	GroupKey        string `json:"groupKey"`
	TruncatedAlerts uint64 `json:"truncatedAlerts"`
}

// Repeat reports whether Alertmanager resent the group only because its
// repeat interval elapsed.
func (m *Message) Repeat() bool { return m.NotificationReason == RepeatReason }

// Limits bound what one payload may contain; zero fields take defaults.
type Limits struct {
	MaxAlerts int // alerts per payload (default 20000)
	MaxLabels int // labels, and separately annotations, per alert (default 256)
	// MaxValueBytes bounds one label or annotation value (default 64 KiB).
	MaxValueBytes int
	// MaxFutureSkew: a timestamp later than now+skew is rejected
	// (default 10m): clocks drift, but not by hours.
	MaxFutureSkew time.Duration
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{MaxAlerts: 20000, MaxLabels: 256, MaxValueBytes: 64 << 10, MaxFutureSkew: 10 * time.Minute}

func (l Limits) withDefaults() Limits {
	if l.MaxAlerts <= 0 {
		l.MaxAlerts = DefaultLimits.MaxAlerts
	}
	if l.MaxLabels <= 0 {
		l.MaxLabels = DefaultLimits.MaxLabels
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultLimits.MaxValueBytes
	}
	if l.MaxFutureSkew <= 0 {
		l.MaxFutureSkew = DefaultLimits.MaxFutureSkew
	}
	return l
}

// Error is a payload rejection; Field is a JSON path like alerts[3].startsAt.
type Error struct {
	Field string
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// oldest rejects timestamps no Alertmanager can have sent; it also keeps
// times inside int64 nanoseconds, which is how the store keys them.
var oldest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Decode parses and validates body as received at now.
func Decode(body []byte, now time.Time, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	if !utf8.Valid(body) {
		// encoding/json would silently turn bad bytes into U+FFFD and we
		// would store label values Prometheus never sent.
		return nil, &Error{Msg: "body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var m Message
	if err := dec.Decode(&m); err != nil {
		return nil, &Error{Msg: "malformed JSON", Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Msg: "malformed JSON: data after the payload object"}
	}
	if esc, at := loneSurrogate(body); at >= 0 {
		// encoding/json decodes an unpaired surrogate escape to U+FFFD, as
		// it does invalid UTF-8: refuse it for the same reason.
		return nil, &Error{Field: m.fieldWithReplacementChar(),
			Msg: fmt.Sprintf("%s at byte %d is a lone UTF-16 surrogate, which would be stored as U+FFFD", esc, at)}
	}
	if err := m.validate(now, lim); err != nil {
		return nil, err
	}
	return &m, nil
}

// loneSurrogate finds the first \uXXXX escape of a surrogate that is not
// half of a high+low pair; at is -1 if there is none. It runs on a body
// that decoded, so every backslash is inside a string.
func loneSurrogate(b []byte) (esc string, at int) {
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 || i+j+1 >= len(b) {
			return "", -1
		}
		i += j + 1 // the escaped byte; the loop's i++ skips it, so \\ is one escape
		if b[i] != 'u' {
			continue
		}
		r, ok := hex4(b[i+1:])
		if !ok {
			continue
		}
		start := i - 1
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return string(b[start : start+6]), start
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo, ok := hex4(b[i+3:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return string(b[start : start+6]), start
		}
	}
	return "", -1
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// fieldWithReplacementChar names the first field holding U+FFFD (where a
// lone surrogate landed), or "" if none of the stored fields does.
func (m *Message) fieldWithReplacementChar() string {
	has := func(s string) bool { return strings.ContainsRune(s, utf8.RuneError) }
	for _, f := range []struct{ name, v string }{{"groupKey", m.GroupKey}, {"receiver", m.Receiver},
		{"status", m.Status}, {"notification_reason", m.NotificationReason}} {
		if has(f.v) {
			return f.name
		}
	}
	for i, a := range m.Alerts {
		path := fmt.Sprintf("alerts[%d]", i)
		if has(a.Fingerprint) {
			return path + ".fingerprint"
		}
		if has(a.GeneratorURL) {
			return path + ".generatorURL"
		}
		for _, kv := range []struct {
			name string
			kv   template.KV
		}{{"labels", a.Labels}, {"annotations", a.Annotations}} {
			for _, k := range kv.kv.SortedPairs().Names() {
				if has(k) || has(kv.kv[k]) {
					return path + "." + kv.name + "." + k
				}
			}
		}
	}
	return ""
}

func (m *Message) validate(now time.Time, lim Limits) error {
	switch {
	case m.Version == "":
		return fieldErr("version", "missing (want %q)", Version)
	case m.Version != Version:
		return fieldErr("version", "unsupported version %q (want %q)", m.Version, Version)
	case m.GroupKey == "":
		return fieldErr("groupKey", "missing")
	case m.Receiver == "":
		return fieldErr("receiver", "missing")
	case m.Status != "firing" && m.Status != "resolved":
		return fieldErr("status", "%q is neither firing nor resolved", m.Status)
	case len(m.Alerts) == 0:
		return fieldErr("alerts", "empty")
	case len(m.Alerts) > lim.MaxAlerts:
		return fieldErr("alerts", "%d alerts, more than the limit of %d", len(m.Alerts), lim.MaxAlerts)
	}
	if err := noNUL(map[string]string{"groupKey": m.GroupKey, "receiver": m.Receiver, "notification_reason": m.NotificationReason}); err != nil {
		return err
	}
	for i := range m.Alerts {
		if err := validateAlert(fmt.Sprintf("alerts[%d]", i), &m.Alerts[i], now, lim); err != nil {
			return err
		}
	}
	return nil
}

func validateAlert(path string, a *template.Alert, now time.Time, lim Limits) error {
	switch {
	case a.Status != "firing" && a.Status != "resolved":
		return fieldErr(path+".status", "%q is neither firing nor resolved", a.Status)
	case a.Fingerprint == "":
		return fieldErr(path+".fingerprint", "missing")
	case len(a.Fingerprint) > 128:
		return fieldErr(path+".fingerprint", "longer than 128 bytes")
	case len(a.Labels) == 0:
		return fieldErr(path+".labels", "missing")
	case a.Labels["alertname"] == "":
		return fieldErr(path+".labels.alertname", "missing")
	}
	if err := noNUL(map[string]string{path + ".fingerprint": a.Fingerprint, path + ".generatorURL": a.GeneratorURL}); err != nil {
		return err
	}
	if err := validateKV(path+".labels", a.Labels, lim); err != nil {
		return err
	}
	if err := validateKV(path+".annotations", a.Annotations, lim); err != nil {
		return err
	}
	if err := validateTime(path+".startsAt", a.StartsAt, now, lim); err != nil {
		return err
	}
	if a.Status == "firing" {
		// Alertmanager zeroes endsAt of firing alerts; anything else there
		// is a predicted end, not an end.
		a.EndsAt = time.Time{}
		return nil
	}
	if err := validateTime(path+".endsAt", a.EndsAt, now, lim); err != nil {
		return err
	}
	if a.EndsAt.Before(a.StartsAt) {
		return fieldErr(path+".endsAt", "%s is before startsAt %s", a.EndsAt.Format(time.RFC3339), a.StartsAt.Format(time.RFC3339))
	}
	return nil
}

func validateTime(field string, t, now time.Time, lim Limits) error {
	switch {
	case t.IsZero():
		return fieldErr(field, "missing")
	case t.Before(oldest):
		return fieldErr(field, "%s is before %d", t.Format(time.RFC3339), oldest.Year())
	case t.After(now.Add(lim.MaxFutureSkew)):
		return fieldErr(field, "%s is more than %s in the future", t.Format(time.RFC3339), lim.MaxFutureSkew)
	}
	return nil
}

func validateKV(field string, kv template.KV, lim Limits) error {
	if len(kv) > lim.MaxLabels {
		return fieldErr(field, "%d entries, more than the limit of %d", len(kv), lim.MaxLabels)
	}
	for k, v := range kv {
		if k == "" {
			return fieldErr(field, "empty name")
		}
		if len(k) > 1024 {
			return fieldErr(field, "a name is longer than 1024 bytes")
		}
		if len(v) > lim.MaxValueBytes {
			return fieldErr(field+"."+k, "value longer than %d bytes", lim.MaxValueBytes)
		}
		if strings.ContainsRune(k, 0) {
			return fieldErr(field, "a name contains a NUL character")
		}
		if err := noNUL(map[string]string{field + "." + k: v}); err != nil {
			return err
		}
	}
	return nil
}

// noNUL rejects U+0000 in strings the store keeps as text: PostgreSQL
// cannot hold it (SQLite can), so such a payload would be refused with a
// 503 that Alertmanager retries forever. It can never succeed: 400.
func noNUL(fields map[string]string) error {
	for field, v := range fields {
		if strings.ContainsRune(v, 0) {
			return fieldErr(field, "contains a NUL character")
		}
	}
	return nil
}
