// Package warroom is the `war_room` remediation kind: a Slack channel per
// incident through the Web API (conversations.create with a bot token read
// from a file), reused when a channel of the same deterministic name
// exists (name_taken), people invited, the incident posted in it and the
// channel's link put on the incident. Without a bot token, a Slack
// incoming webhook asks people to open the room (the fallback).
package warroom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

// Config is a war_room action. One of BotTokenFile and
// FallbackWebhookURLFile is required; with both, the webhook is used when
// the Web API fails for good.
type Config struct {
	BotTokenFile string `yaml:"bot_token_file,omitempty"`
	// APIURL is Slack's Web API base (default https://slack.com/api).
	APIURL string `yaml:"api_url,omitempty"`
	// WorkspaceURL (https://example.slack.com) makes links open the
	// channel directly; without it they go through app_redirect.
	WorkspaceURL string `yaml:"workspace_url,omitempty"`
	// NamePrefix starts channel names (default "inc"): inc-42-web-down.
	NamePrefix string `yaml:"name_prefix,omitempty"`
	// Invite are Slack user IDs added to the channel.
	Invite                 []string       `yaml:"invite,omitempty"`
	FallbackWebhookURLFile string         `yaml:"fallback_webhook_url_file,omitempty"`
	Timeout                model.Duration `yaml:"timeout,omitempty"` // default 10s
}

var prefixRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,20}$`)

// Validate checks c.
func (c *Config) Validate(field string) error {
	if c.BotTokenFile == "" && c.FallbackWebhookURLFile == "" {
		return fmt.Errorf("%s: bot_token_file or fallback_webhook_url_file is required", field)
	}
	for _, f := range []struct{ name, raw string }{{"api_url", c.APIURL}, {"workspace_url", c.WorkspaceURL}} {
		if f.raw == "" {
			continue
		}
		if u, err := url.Parse(f.raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s.%s: %q is not an http(s) URL", field, f.name, f.raw)
		}
	}
	if c.NamePrefix != "" && !prefixRe.MatchString(c.NamePrefix) {
		return fmt.Errorf("%s.name_prefix: %q must be lowercase letters, digits, - or _ (at most 21)", field, c.NamePrefix)
	}
	return nil
}

// Action is a configured war room.
type Action struct {
	c       Config
	token   string
	webhook string
	client  *http.Client
}

// New reads the credential files.
func New(c Config) (*Action, error) {
	if c.APIURL == "" {
		c.APIURL = "https://slack.com/api"
	}
	c.APIURL = strings.TrimSuffix(c.APIURL, "/")
	if c.NamePrefix == "" {
		c.NamePrefix = "inc"
	}
	if c.Timeout == 0 {
		c.Timeout = model.Duration(10 * time.Second)
	}
	a := &Action{c: c, client: &http.Client{}}
	var err error
	if c.BotTokenFile != "" {
		if a.token, err = readSecret(c.BotTokenFile); err != nil {
			return nil, fmt.Errorf("bot_token_file: %w", err)
		}
	}
	if c.FallbackWebhookURLFile != "" {
		if a.webhook, err = readSecret(c.FallbackWebhookURLFile); err != nil {
			return nil, fmt.Errorf("fallback_webhook_url_file: %w", err)
		}
	}
	return a, nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return s, nil
	}
	return "", errors.New("the file is empty")
}

// Idempotent implements action.Action: the channel name is deterministic
// and an existing channel is reused.
func (a *Action) Idempotent() bool { return true }

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// ChannelName is the deterministic name of an incident's room: prefix,
// incident id, and the title as lowercase words, at most 80 characters.
func ChannelName(prefix string, id int64, title string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	name := fmt.Sprintf("%s-%d", prefix, id)
	if slug != "" {
		name += "-" + slug
	}
	return strings.TrimRight(name[:min(len(name), 80)], "-")
}

// Plan implements action.Action.
func (a *Action) Plan(t action.Trigger) (action.Request, error) {
	return action.Request{Detail: map[string]string{
		"channel":  ChannelName(a.c.NamePrefix, t.IncidentID, t.Title),
		"text":     fmt.Sprintf("War room for incident %d (%s): %s %s", t.IncidentID, t.Priority, t.Title, t.URL),
		"incident": strconv.FormatInt(t.IncidentID, 10),
	}}, nil
}

// Run implements action.Action.
func (a *Action) Run(ctx context.Context, r action.Request) (action.Report, bool, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.c.Timeout))
	defer cancel()
	rep := action.Report{Links: map[string]string{}}
	name, text := r.Detail["channel"], r.Detail["text"]
	if a.token == "" {
		retry, err := a.fallback(ctx, name, text)
		rep.Duration, rep.Output = time.Since(start), "asked for #"+name+" through the fallback webhook"
		return rep, retry, err
	}
	id, created, retry, err := a.channel(ctx, name)
	if err == nil && len(a.c.Invite) > 0 {
		var resp slackResponse
		retry, err = a.call(ctx, "conversations.invite", map[string]any{"channel": id, "users": strings.Join(a.c.Invite, ",")}, &resp)
		if err != nil && resp.Error == "already_in_channel" {
			err = nil
		}
	}
	if err == nil {
		retry, err = a.call(ctx, "chat.postMessage", map[string]any{"channel": id, "text": text}, &slackResponse{})
	}
	rep.Duration = time.Since(start)
	if err != nil {
		if a.webhook != "" && !retry {
			fretry, ferr := a.fallback(ctx, name, text)
			if ferr != nil {
				return rep, fretry, errors.Join(err, ferr)
			}
			rep.Output = fmt.Sprintf("Slack Web API failed (%v); asked for #%s through the fallback webhook", err, name)
			return rep, false, nil
		}
		return rep, retry, err
	}
	rep.Links["war_room"] = a.link(id)
	rep.Output = "reused #" + name
	if created {
		rep.Output = "created #" + name
	}
	return rep, false, nil
}

func (a *Action) link(id string) string {
	if a.c.WorkspaceURL != "" {
		return strings.TrimSuffix(a.c.WorkspaceURL, "/") + "/archives/" + url.PathEscape(id)
	}
	return "https://slack.com/app_redirect?channel=" + url.QueryEscape(id)
}

type slackChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type slackResponse struct {
	OK       bool           `json:"ok"`
	Error    string         `json:"error"`
	Channel  slackChannel   `json:"channel"`
	Channels []slackChannel `json:"channels"`
	Meta     struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// channel creates the room, or finds the one that already has its name.
func (a *Action) channel(ctx context.Context, name string) (id string, created, retry bool, err error) {
	var resp slackResponse
	retry, err = a.call(ctx, "conversations.create", map[string]any{"name": name}, &resp)
	if err == nil {
		return resp.Channel.ID, true, false, nil
	}
	if resp.Error != "name_taken" {
		return "", false, retry, err
	}
	cursor := ""
	for range 50 { // 50 pages of 200: 10,000 channels
		q := url.Values{"types": {"public_channel,private_channel"}, "exclude_archived": {"true"}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page slackResponse
		if retry, err := a.call(ctx, "conversations.list?"+q.Encode(), nil, &page); err != nil {
			return "", false, retry, err
		}
		for _, ch := range page.Channels {
			if ch.Name == name {
				return ch.ID, false, false, nil
			}
		}
		if cursor = page.Meta.NextCursor; cursor == "" {
			break
		}
	}
	return "", false, false, fmt.Errorf("slack: #%s exists but is not visible to the bot (archived, or private without the bot)", name)
}

// call runs one Web API method: JSON body for POST, none for a GET.
func (a *Action) call(ctx context.Context, method string, body map[string]any, out *slackResponse) (bool, error) {
	verb, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return false, err
		}
		verb, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, verb, a.c.APIURL+"/"+method, rd)
	if err != nil {
		return false, fmt.Errorf("slack: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	name, _, _ := strings.Cut(method, "?")
	resp, err := a.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("slack %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return true, fmt.Errorf("slack %s: status %d", name, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("slack %s: status %d", name, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
		return true, fmt.Errorf("slack %s: decoding the answer: %w", name, err)
	}
	if !out.OK {
		return out.Error == "ratelimited" || out.Error == "internal_error", fmt.Errorf("slack %s: %s", name, out.Error)
	}
	return false, nil
}

func (a *Action) fallback(ctx context.Context, name, text string) (bool, error) {
	if a.webhook == "" {
		return false, errors.New("war room: no bot token and no fallback webhook")
	}
	b, _ := json.Marshal(map[string]string{"text": fmt.Sprintf("%s. Please open #%s.", text, name)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.webhook, bytes.NewReader(b))
	if err != nil {
		return false, errors.New("war room fallback: the webhook URL is invalid") // the URL is a secret
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return true, errors.New("war room fallback: the webhook did not answer")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode >= 500 || resp.StatusCode == 429, fmt.Errorf("war room fallback: status %d", resp.StatusCode)
	}
	return false, nil
}
