package grafana

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafana-tools/sdk"
)

// Why `dashboards push` does not use grafana-tools/sdk (the version in
// go.mod) for its two API calls, proved against a fake Grafana that checks
// the requests as Grafana 11 does: if an SDK upgrade fixes these, this
// test fails and the choice should be revisited (README, Dashboards).
func TestSDKDoesNotSpeakTheCurrentDashboardAPI(t *testing.T) {
	var body map[string]json.RawMessage
	status, answer := http.StatusOK, `{"uid":"u","status":"success","version":1}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		body = nil
		_ = json.Unmarshal(raw, &body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	c, err := sdk.NewClient(srv.URL, testToken, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	req := sdk.RawBoardRequest{Dashboard: []byte(`{"uid":"u","title":"T"}`), Parameters: sdk.SetDashboardParams{Overwrite: false}}

	// 1. Folders are named by folderUid since Grafana 9 (folderId is
	// deprecated and gone from nested folders); the SDK can send only the
	// numeric folder ID, and under Go field names ("FolderID", "Overwrite")
	// that only Go's case-insensitive decoding in Grafana accepts.
	if _, err := c.SetRawDashboardWithParam(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["folderUid"]; ok {
		t.Error("the SDK now sends folderUid: reconsider using it")
	}
	if _, ok := body["FolderID"]; !ok {
		t.Errorf("request %v: expected the SDK's FolderID", body)
	}
	// Our client sends folderUid.
	ours, err := New(Options{URL: srv.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.ImportDashboard(context.Background(), Import{Dashboard: []byte(`{"uid":"u"}`), FolderUID: "f1"}); err != nil {
		t.Fatal(err)
	}
	if string(body["folderUid"]) != `"f1"` {
		t.Errorf("our request %v lacks folderUid", body)
	}

	// 2. A refusal loses Grafana's machine-readable status (version-mismatch
	// vs name-exists decide what the user must do), which ours keeps.
	status, answer = http.StatusPreconditionFailed, `{"status":"version-mismatch","message":"The dashboard has been changed by someone else"}`
	resp, err := c.SetRawDashboardWithParam(context.Background(), req)
	if err == nil || resp.Status != nil {
		t.Errorf("the SDK now keeps the status (%v, %v): reconsider using it", resp.Status, err)
	}
	_, err = ours.ImportDashboard(context.Background(), Import{Dashboard: []byte(`{"uid":"u"}`)})
	if err == nil || !strings.Contains(err.Error(), "version-mismatch") {
		t.Errorf("ours: %v", err)
	}

	// 3. An error answer without "message" (an auth proxy's 401) makes the
	// SDK dereference a nil pointer.
	status, answer = http.StatusUnauthorized, `{"error":"unauthorized"}`
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the SDK no longer panics on an error without a message: reconsider using it")
			}
		}()
		_, _ = c.SetRawDashboardWithParam(context.Background(), req)
	}()
}
