package client

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

const usage = `usage: golive incidents [global flags] <command> [flags]

commands:
  list                 list incidents (--state, --priority, --service, --since)
  show ID              one incident with its timeline
  ack ID               acknowledge
  start ID             mark in progress
  resolve ID           resolve
  close ID             close a resolved incident

global flags (also accepted after the command):
  --receiver.url         receiver base URL (default http://127.0.0.1:9470)
  --receiver.token-file  file holding the bearer token
  --output               text or json
`

type globals struct {
	url, tokenFile, output string
}

// register adds the global flags to fs with their current values as
// defaults, so a command's flag set keeps what the global one parsed.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "receiver.url", g.url, "receiver base URL")
	fs.StringVar(&g.tokenFile, "receiver.token-file", g.tokenFile, "file holding the bearer token")
	fs.StringVar(&g.output, "output", g.output, "output format: text or json")
}

// Command runs `golive incidents`. Exit codes: 0 ok, 1 the receiver
// refused or failed, 2 usage.
func Command(ctx context.Context, env cli.Env) int {
	g := &globals{url: "http://127.0.0.1:9470", output: "text"}
	fs := cli.NewFlagSet("incidents", env)
	fs.Usage = func() { fmt.Fprint(env.Stderr, usage) }
	g.register(fs)
	if err := fs.Parse(env.Args); err != nil {
		return exitUsage(err)
	}
	if fs.NArg() == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	run, ok := verbs[verb]
	if !ok {
		fmt.Fprintf(env.Stderr, "golive incidents: unknown command %q\n\n%s", verb, usage)
		return 2
	}
	return run(ctx, env, g, rest)
}

func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

type verbFunc func(ctx context.Context, env cli.Env, g *globals, args []string) int

var verbs = map[string]verbFunc{
	"list":    list,
	"show":    show,
	"ack":     transition(store.StateAcknowledged),
	"start":   transition(store.StateInProgress),
	"resolve": transition(store.StateResolved),
	"close":   transition(store.StateClosed),
}

func (g *globals) client() (*Client, error) {
	if g.output != "text" && g.output != "json" {
		return nil, fmt.Errorf("--output: %q is neither text nor json", g.output)
	}
	tok, err := secret.Resolve("--receiver.token", "", g.tokenFile, "")
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: g.url, Token: tok}, nil
}

func list(ctx context.Context, env cli.Env, g *globals, args []string) int {
	fs := cli.NewFlagSet("incidents list", env)
	g.register(fs)
	state := fs.String("state", "", "comma-separated states (default: open ones: new,acknowledged,in_progress)")
	prio := fs.String("priority", "", "comma-separated priorities")
	service := fs.String("service", "", "service label")
	since := fs.Duration("since", 0, "only incidents opened in this past duration (e.g. 24h)")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if *state == "" {
		*state = "new,acknowledged,in_progress"
	}
	q := map[string][]string{"state": {*state}, "priority": {*prio}, "service": {*service}}
	f, err := api.ParseFilter(q)
	if err != nil {
		return fail(env, err, 2)
	}
	if *since > 0 {
		f.OpenedAfter = time.Now().Add(-*since)
	}
	c, err := g.client()
	if err != nil {
		return fail(env, err, 2)
	}
	incs, err := c.List(ctx, f)
	if err != nil {
		return fail(env, err, 1)
	}
	if g.output == "json" {
		return writeJSON(env.Stdout, incs)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRIORITY\tSTATE\tTITLE\tSERVICE\tASSIGNEE\tOPENED")
	for _, inc := range incs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID, inc.Priority, inc.State, inc.Title, inc.Service,
			inc.Assignee, inc.OpenedAt.Local().Format(time.DateTime))
	}
	tw.Flush()
	return 0
}

func idArg(env cli.Env, g *globals, name string, args []string, extra func(*flag.FlagSet)) (int64, bool) {
	fs := cli.NewFlagSet("incidents "+name, env)
	g.register(fs)
	if extra != nil {
		extra(fs)
	}
	// Accept the ID before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append(args[1:], args[0])
	}
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintf(env.Stderr, "usage: golive incidents %s ID\n", name)
		return 0, false
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(env.Stderr, "golive incidents %s: %q is not an incident ID\n", name, fs.Arg(0))
		return 0, false
	}
	return id, true
}

func show(ctx context.Context, env cli.Env, g *globals, args []string) int {
	id, ok := idArg(env, g, "show", args, nil)
	if !ok {
		return 2
	}
	c, err := g.client()
	if err != nil {
		return fail(env, err, 2)
	}
	d, err := c.Get(ctx, id)
	if err != nil {
		return fail(env, err, 1)
	}
	return printDetail(env.Stdout, g.output, d)
}

func transition(to store.State) verbFunc {
	return func(ctx context.Context, env cli.Env, g *globals, args []string) int {
		var note, actor string
		id, ok := idArg(env, g, verbName(to), args, func(fs *flag.FlagSet) {
			fs.StringVar(&note, "note", "", "note for the timeline")
			fs.StringVar(&actor, "actor", defaultActor(), "who is acting")
		})
		if !ok {
			return 2
		}
		c, err := g.client()
		if err != nil {
			return fail(env, err, 2)
		}
		d, err := c.Transition(ctx, id, to, actor, note)
		if err != nil {
			return fail(env, err, 1)
		}
		return printDetail(env.Stdout, g.output, d)
	}
}

func verbName(s store.State) string {
	for name, st := range map[string]store.State{"ack": store.StateAcknowledged, "start": store.StateInProgress,
		"resolve": store.StateResolved, "close": store.StateClosed} {
		if st == s {
			return name
		}
	}
	return string(s)
}

func defaultActor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func printDetail(w io.Writer, output string, d api.Detail) int {
	if output == "json" {
		return writeJSON(w, d)
	}
	inc := d.Incident
	fmt.Fprintf(w, "#%d %s %s [%s]\n", inc.ID, inc.Priority, inc.Title, inc.State)
	fmt.Fprintf(w, "  group:      %s\n  graded by:  %s %v\n  assignee:   %s\n", inc.GroupKey, inc.GradeReason.Rule, inc.GradeReason.Matched, inc.Assignee)
	fmt.Fprintf(w, "  opened:     %s\n  response:   due %s\n  resolution: due %s\n", inc.OpenedAt.Local().Format(time.DateTime),
		inc.ResponseDue.Local().Format(time.DateTime), inc.ResolutionDue.Local().Format(time.DateTime))
	fmt.Fprintln(w, "timeline:")
	for _, e := range d.Timeline {
		line := fmt.Sprintf("  %s  %-20s %-10s", e.At.Local().Format(time.DateTime), e.Kind, e.Actor)
		if e.From != "" || e.To != "" {
			line += fmt.Sprintf(" %s→%s", e.From, e.To)
		}
		if e.Note != "" {
			line += " " + e.Note
		}
		fmt.Fprintln(w, line)
	}
	return 0
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

func fail(env cli.Env, err error, code int) int {
	fmt.Fprintln(env.Stderr, "golive incidents:", err)
	return code
}
