package gate

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/receiver/store"
)

// maxBody bounds Flagger's and Argo's request bodies (a few hundred bytes
// in practice).
const maxBody = 64 << 10

// maxFlaggerLine bounds the one-line body Flagger copies into Kubernetes
// events.
const maxFlaggerLine = 480

// Register adds the gate routes to mux. Each route authenticates itself:
// Flagger cannot send headers, so gates accept their token in the query
// string or in Flagger's metadata as well as a bearer header.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/gates/{name}", s.native)
	mux.HandleFunc("GET /api/v1/gates/decisions/{id}", s.decision)
	mux.HandleFunc("POST /api/v1/gates/flagger/{expect}", s.flagger)
	mux.HandleFunc("POST /api/v1/gates/argo", s.argo)
}

// native answers GET /api/v1/gates/{name}.
func (s *Service) native(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	g, ok := s.gates[name]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no gate named %q", name))
		return
	}
	if !s.authorized(r, g, "") {
		unauthorized(w)
		return
	}
	d, err := s.Evaluate(r.Context(), name)
	if err != nil {
		s.evaluationFailed(w, name, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// decision answers GET /api/v1/gates/decisions/{id}.
func (s *Service) decision(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("decision id %q is not a positive integer", r.PathValue("id")))
		return
	}
	d, err := s.Lookup(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Only an authenticated caller learns which ids do not exist.
		if !s.authorizedForAny(r) {
			unauthorized(w)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("no gate decision %d", id))
		return
	case err != nil:
		s.log.Warn("gate decision unreadable", "id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "storage unavailable")
		return
	}
	g := s.gates[d.Gate] // nil for a gate since removed from the config
	if !s.authorized(r, g, "") {
		unauthorized(w)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// flaggerPayload is Flagger's CanaryWebhookPayload.
type flaggerPayload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Phase     string            `json:"phase"`
	Checksum  string            `json:"checksum"`
	Metadata  map[string]string `json:"metadata"`
}

// flagger answers POST /api/v1/gates/flagger/{expect}: 200 when the
// decision is expect, 403 otherwise, with one line of text Flagger copies
// into its events. Never 204, 429 or 5xx for a decision: Flagger fails on
// 204 and retries 429/5xx.
func (s *Service) flagger(w http.ResponseWriter, r *http.Request) {
	expect := engine.Decision(r.PathValue("expect"))
	if expect != engine.Proceed && expect != engine.Rollback {
		writeLine(w, http.StatusNotFound, fmt.Sprintf("unknown expectation %q: use /flagger/proceed or /flagger/rollback", expect))
		return
	}
	var p flaggerPayload
	if err := decodeBody(w, r, &p); err != nil {
		writeLine(w, http.StatusBadRequest, "bad Flagger payload: "+err.Error())
		return
	}
	name := r.URL.Query().Get("gate")
	if name == "" {
		name = p.Metadata["gate"]
	}
	g, ok := s.gates[name]
	if !ok {
		writeLine(w, http.StatusNotFound, fmt.Sprintf("no gate named %q (set ?gate= or metadata.gate)", name))
		return
	}
	if !s.authorized(r, g, p.Metadata["token"]) {
		writeLine(w, http.StatusUnauthorized, "missing or invalid gate token")
		return
	}
	d, err := s.Evaluate(r.Context(), name)
	if err != nil {
		s.log.Warn("gate evaluation failed", "gate", name, "err", err)
		// Fail safe without inviting retries: no proceed, no rollback.
		writeLine(w, http.StatusForbidden, "hold: no decision: storage unavailable")
		return
	}
	if d.Decision == expect {
		writeLine(w, http.StatusOK, fmt.Sprintf("%s (decision %d)", d.Decision, d.ID))
		return
	}
	writeLine(w, http.StatusForbidden, flaggerLine(d, expect))
}

func flaggerLine(d Decision, expect engine.Decision) string {
	line := fmt.Sprintf("%s, not %s (decision %d)", d.Decision, expect, d.ID)
	if len(d.Reasons) > 0 {
		line += ": " + strings.Join(d.Reasons, "; ")
	}
	line = strings.NewReplacer("\n", " ", "\r", " ").Replace(line)
	if len(line) > maxFlaggerLine {
		line = line[:maxFlaggerLine-3] + "..."
	}
	return line
}

// argoRequest is the web metric's jsonBody; fields besides gate (rollout,
// namespace, step, revision) are accepted and ignored.
type argoRequest struct {
	Gate  string `json:"gate"`
	Token string `json:"token"`
}

// argo answers POST /api/v1/gates/argo: 200 with the decision JSON
// whenever a decision exists (Argo's web provider reads only 2xx JSON).
func (s *Service) argo(w http.ResponseWriter, r *http.Request) {
	var req argoRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return
	}
	if req.Gate == "" {
		req.Gate = r.URL.Query().Get("gate")
	}
	g, ok := s.gates[req.Gate]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no gate named %q", req.Gate))
		return
	}
	if !s.authorized(r, g, req.Token) {
		unauthorized(w)
		return
	}
	d, err := s.Evaluate(r.Context(), req.Gate)
	if err != nil {
		s.evaluationFailed(w, req.Gate, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Service) evaluationFailed(w http.ResponseWriter, gate string, err error) {
	s.log.Warn("gate evaluation failed", "gate", gate, "err", err)
	writeError(w, http.StatusServiceUnavailable, "no decision: storage unavailable")
}

// authorized accepts the gate's token (bearer header of any case,
// ?token=, or a token from the body) or, failing that, the receiver's own
// authentication. Tokens are compared as SHA-256 digests in constant time
// and never logged.
func (s *Service) authorized(r *http.Request, g *gateState, bodyToken string) bool {
	if g != nil && g.hasToken {
		for _, tok := range []string{bearer(r), r.URL.Query().Get("token"), bodyToken} {
			if tok == "" {
				continue
			}
			sum := sha256.Sum256([]byte(tok))
			if subtle.ConstantTimeCompare(sum[:], g.token[:]) == 1 {
				return true
			}
		}
	}
	return s.allowed != nil && s.allowed(r)
}

func (s *Service) authorizedForAny(r *http.Request) bool {
	for _, g := range s.gates {
		if s.authorized(r, g, "") {
			return true
		}
	}
	return s.allowed != nil && s.allowed(r)
}

func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil // a bare POST names the gate in the query string
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="golive gate"`)
	writeError(w, http.StatusUnauthorized, "missing or invalid gate token")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeLine(w http.ResponseWriter, status int, line string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, line+"\n")
}
