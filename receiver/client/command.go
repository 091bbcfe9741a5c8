package client

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/httpclient"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

// Environment variables the global flags read, as amtool's
// ALERTMANAGER_URL-style variables.
const (
	EnvURL       = "GOLIVE_RECEIVER_URL"
	EnvTokenFile = "GOLIVE_RECEIVER_TOKEN_FILE"
)

// DefaultURL is the receiver `golive incidents` talks to unless told otherwise.
const DefaultURL = "http://127.0.0.1:9470"

// globals are the flags every subcommand takes.
type globals struct {
	url, tokenFile, output string
	httpConfig             *string
	timeout                model.Duration
}

// Command runs `golive incidents`, a client of the receiver's API in the
// manner of amtool. Flags come from the command line, then the environment,
// then ~/.config/golive/golive.yml (keys are flag names), then defaults.
// Exit codes: 0 ok, 1 the receiver refused or failed, 2 usage.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "incidents", "List, show and work on incidents through the receiver's API (as amtool does for Alertmanager).\n\n"+
		"Flags may also come from "+configHelp+" (keys are flag names, e.g. receiver.url: http://receiver:9470).")
	g := &globals{}
	app.Flag("receiver.url", "Receiver base URL.").Envar(EnvURL).Default(DefaultURL).PlaceHolder("URL").StringVar(&g.url)
	app.Flag("receiver.token-file", "File holding the bearer token for the receiver's API.").Envar(EnvTokenFile).PlaceHolder("FILE").StringVar(&g.tokenFile)
	g.httpConfig = cli.AddHTTPConfigFlag(app, "the receiver")
	app.Flag("output", "Output format: simple, extended or json.").Short('o').Default("simple").EnumVar(&g.output, "simple", "extended", "json")
	cli.DurationVar(app.Flag("timeout", "Time limit for each request to the receiver."), "30s", &g.timeout)

	var ls listFlags
	listCmd := app.Command("list", "List incidents (open ones unless --state says otherwise).").Alias("ls")
	listCmd.Flag("state", "Comma-separated states (default: new,acknowledged,in_progress).").StringVar(&ls.state)
	listCmd.Flag("priority", "Comma-separated priorities, e.g. P0,P1.").StringVar(&ls.priority)
	listCmd.Flag("service", "Only incidents of this service.").StringVar(&ls.service)
	listCmd.Flag("since", "Only incidents opened since: a duration back from now (90m, 24h, 7d, 2w) or an RFC 3339 time.").
		PlaceHolder("7d").SetValue(&ls.since)
	listCmd.Flag("limit", "At most this many incidents, newest first.").IntVar(&ls.limit)

	var id idValue
	idArg := func(c *kingpin.CmdClause) { c.Arg("id", "Incident ID.").Required().SetValue(&id) }
	var act struct{ actor, note, text, priority, assignee string }
	actorFlag := func(c *kingpin.CmdClause) {
		c.Flag("actor", "Who is acting (default $USER).").Default(defaultActor()).StringVar(&act.actor)
	}
	noteFlag := func(c *kingpin.CmdClause, help string) { c.Flag("note", help).StringVar(&act.note) }

	show := app.Command("show", "Show one incident: its alerts' summary, description and runbook, and its timeline.")
	idArg(show)
	transitions := map[string]store.State{}
	for _, t := range []struct {
		name, help string
		to         store.State
	}{
		{"ack", "Acknowledge an incident.", store.StateAcknowledged},
		{"start", "Mark an incident in progress.", store.StateInProgress},
		{"resolve", "Resolve an incident.", store.StateResolved},
		{"close", "Close a resolved incident.", store.StateClosed},
	} {
		c := app.Command(t.name, t.help)
		idArg(c)
		noteFlag(c, "Note for the timeline.")
		actorFlag(c)
		transitions[t.name] = t.to
	}
	note := app.Command("note", "Add a note to an incident's timeline.")
	idArg(note)
	note.Arg("text", "The note.").Required().StringVar(&act.text)
	actorFlag(note)
	prio := app.Command("priority", "Regrade an open incident by hand (lowering needs --note).")
	idArg(prio)
	prio.Arg("priority", "P0, P1, P2 or P3.").Required().EnumVar(&act.priority, "P0", "P1", "P2", "P3", "p0", "p1", "p2", "p3")
	noteFlag(prio, "Why (required when lowering).")
	actorFlag(prio)
	assign := app.Command("assign", "Assign an open incident to someone (\"\" unassigns).")
	idArg(assign)
	assign.Arg("assignee", "Who takes it.").Required().StringVar(&act.assignee)
	noteFlag(assign, "Note for the timeline.")
	actorFlag(assign)

	if err := applyConfigFile(app); err != nil {
		return app.Fail(err)
	}
	selected, code, done := app.Parse()
	if done {
		return code
	}
	c, err := g.client()
	if err != nil {
		return app.Fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(g.timeout))
	defer cancel()
	p := printer{w: env.Stdout, output: g.output}
	var d api.Detail
	switch selected {
	case "list":
		return ls.run(ctx, app, c, p)
	case "show":
		d, err = c.Get(ctx, int64(id))
	case "note":
		d, err = c.Note(ctx, int64(id), act.actor, act.text)
	case "priority":
		d, err = c.SetPriority(ctx, int64(id), store.Priority(strings.ToUpper(act.priority)), act.actor, act.note)
	case "assign":
		d, err = c.Assign(ctx, int64(id), act.assignee, act.actor, act.note)
	default:
		d, err = c.Transition(ctx, int64(id), transitions[selected], act.actor, act.note)
	}
	if err != nil {
		return app.Fail(err)
	}
	return p.detail(d)
}

type listFlags struct {
	state, priority, service string
	since                    sinceValue
	limit                    int
}

func (l *listFlags) run(ctx context.Context, app *cli.App, c *Client, p printer) int {
	if l.state == "" {
		l.state = "new,acknowledged,in_progress"
	}
	f, err := api.ParseFilter(map[string][]string{"state": {l.state}, "priority": {l.priority}, "service": {l.service}})
	if err != nil {
		return app.Usage(err)
	}
	f.OpenedAfter = l.since.t
	f.Limit = l.limit
	incs, err := c.List(ctx, f)
	if err != nil {
		return app.Fail(err)
	}
	return p.list(incs)
}

// idValue is an incident ID argument.
type idValue int64

func (v *idValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not an incident ID", s)
	}
	*v = idValue(n)
	return nil
}

func (v *idValue) String() string { return strconv.FormatInt(int64(*v), 10) }

// sinceValue is --since: a model.Duration back from now (7d, as amtool
// takes) or an absolute RFC 3339 time.
type sinceValue struct {
	raw string
	t   time.Time
}

func (s *sinceValue) Set(v string) error {
	if d, err := model.ParseDuration(v); err == nil {
		s.raw, s.t = v, time.Now().Add(-time.Duration(d))
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("--since: %q is neither a duration (90m, 24h, 7d, 2w) nor an RFC 3339 time (2026-01-02T15:04:05Z)", v)
	}
	s.raw, s.t = v, t
	return nil
}

func (s *sinceValue) String() string { return s.raw }

func (g *globals) client() (*Client, error) {
	tok, err := secret.Resolve("--receiver.token", "", g.tokenFile, "")
	if err != nil {
		return nil, err
	}
	hc, err := httpclient.FromFile(*g.httpConfig, "incidents")
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: g.url, Token: tok, HTTP: hc}, nil
}

func defaultActor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}
