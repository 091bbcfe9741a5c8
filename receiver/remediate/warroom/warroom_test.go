package warroom

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

// fakeSlack keeps channels and answers like the Web API: ok false with an
// error code on HTTP 200, name_taken for an existing name.
type fakeSlack struct {
	mu       sync.Mutex
	channels map[string]string // name -> id
	posts    map[string][]string
	invites  []string
	calls    []string
	token    string
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	f.calls = append(f.calls, method)
	reply := func(v map[string]any) { json.NewEncoder(w).Encode(v) }
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		reply(map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	var body map[string]string
	if r.Method == http.MethodPost {
		json.NewDecoder(r.Body).Decode(&body)
	}
	switch method {
	case "conversations.create":
		if _, ok := f.channels[body["name"]]; ok {
			reply(map[string]any{"ok": false, "error": "name_taken"})
			return
		}
		id := "C" + strings.ToUpper(body["name"][:6]) + string(rune('0'+len(f.channels)))
		f.channels[body["name"]] = id
		reply(map[string]any{"ok": true, "channel": map[string]string{"id": id, "name": body["name"]}})
	case "conversations.list":
		// Two pages, to exercise the cursor.
		var chans []map[string]string
		for name, id := range f.channels {
			chans = append(chans, map[string]string{"id": id, "name": name})
		}
		if r.URL.Query().Get("cursor") == "" {
			reply(map[string]any{"ok": true, "channels": []map[string]string{{"id": "CX", "name": "general"}},
				"response_metadata": map[string]string{"next_cursor": "page2"}})
			return
		}
		reply(map[string]any{"ok": true, "channels": chans})
	case "conversations.invite":
		f.invites = append(f.invites, body["channel"]+":"+body["users"])
		reply(map[string]any{"ok": true})
	case "chat.postMessage":
		f.posts[body["channel"]] = append(f.posts[body["channel"]], body["text"])
		reply(map[string]any{"ok": true})
	default:
		reply(map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func TestWarRoomIsCreatedOnceAndReused(t *testing.T) {
	slack := &fakeSlack{channels: map[string]string{}, posts: map[string][]string{}, token: "xoxb-secret"}
	srv := httptest.NewServer(slack)
	defer srv.Close()
	tok := filepath.Join(t.TempDir(), "bot")
	os.WriteFile(tok, []byte("xoxb-secret\n"), 0o600)
	c := Config{BotTokenFile: tok, APIURL: srv.URL + "/api", Invite: []string{"U1", "U2"}, WorkspaceURL: "https://acme.slack.com"}
	if err := c.Validate("w"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	trig := action.Trigger{IncidentID: 42, Priority: "P0", Title: "ServiceDown web (prod)!", URL: "http://golive/ui/incidents/42"}
	req, err := a.Plan(trig)
	if err != nil || req.Detail["channel"] != "inc-42-servicedown-web-prod" {
		t.Fatalf("plan = %+v (%v)", req, err)
	}
	first, _, err := a.Run(context.Background(), req)
	if err != nil || !strings.HasPrefix(first.Output, "created") {
		t.Fatalf("first run = %+v, %v", first, err)
	}
	id := slack.channels["inc-42-servicedown-web-prod"]
	if first.Links["war_room"] != "https://acme.slack.com/archives/"+id {
		t.Fatalf("link = %q", first.Links["war_room"])
	}
	// A second replica, a retry or a restart: the same room, no second one.
	second, _, err := a.Run(context.Background(), req)
	if err != nil || !strings.HasPrefix(second.Output, "reused") || second.Links["war_room"] != first.Links["war_room"] {
		t.Fatalf("second run = %+v, %v", second, err)
	}
	if len(slack.channels) != 1 || len(slack.posts[id]) != 2 || !strings.Contains(slack.posts[id][0], "http://golive/ui/incidents/42") {
		t.Fatalf("channels %v, posts %v", slack.channels, slack.posts)
	}
	if len(slack.invites) != 2 || slack.invites[0] != id+":U1,U2" {
		t.Fatalf("invites = %v", slack.invites)
	}
	out, _ := json.Marshal(first)
	if strings.Contains(string(out), "xoxb") {
		t.Fatal("the report carries the bot token")
	}
}

func TestFallbackWebhookWithoutToken(t *testing.T) {
	var got string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		got = m["text"]
	}))
	defer hook.Close()
	f := filepath.Join(t.TempDir(), "hook")
	os.WriteFile(f, []byte(hook.URL+"/services/T/B/secret"), 0o600)
	a, err := New(Config{FallbackWebhookURLFile: f})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := a.Plan(action.Trigger{IncidentID: 7, Title: "db down"})
	if _, _, err := a.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "#inc-7-db-down") {
		t.Fatalf("webhook got %q", got)
	}
	if err := (&Config{}).Validate("w"); err == nil || !strings.Contains(err.Error(), "bot_token_file or fallback_webhook_url_file") {
		t.Fatalf("empty config: %v", err)
	}
}
