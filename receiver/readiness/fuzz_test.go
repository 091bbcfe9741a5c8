package readiness

import (
	"encoding/json"
	"testing"
	"time"

	rd "github.com/golive-ops/golive/internal/readiness"
)

// The API's decoders: any body either fails validation with an error or
// yields a sign-off expiring in the future, at most a year ahead, and a
// report whose ready flag agrees with its items.
func FuzzSignAndReport(f *testing.F) {
	for _, seed := range []string{
		`{"item":"training","by":"ana","comment":"LMS #4411","valid_for":"30d"}`,
		`{"item":"training","by":"ana","comment":"ok","expires_at":"2030-01-01T00:00:00Z"}`,
		`{"item":"a b","by":"","comment":"","valid_for":"-1d"}`,
		`{"ready":false,"generated_at":"2026-12-01T10:00:00Z","items":[{"name":"db","category":"application","status":"fail","required":true}]}`,
		`{"ready":true,"generated_at":"2026-12-01T10:00:00Z","items":[{"name":"db","category":"application","status":"warn","required":true}]}`,
		`{"items":[{"name":"x","status":"green"}]}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req rd.SignRequest
		if json.Unmarshal(body, &req) == nil {
			if exp, err := validateSign(req, now); err == nil && (!exp.After(now) || exp.Sub(now) > maxValidFor || req.Comment == "") {
				t.Fatalf("accepted %+v with expiry %s", req, exp)
			}
		}
		var rep rd.Report
		if json.Unmarshal(body, &rep) == nil {
			if err := validateReport(&rep); err == nil && rep.Ready != (rep.Outcome(false) == rd.Ready) {
				t.Fatalf("accepted a report whose ready flag contradicts its items: %+v", rep)
			}
		}
	})
}
