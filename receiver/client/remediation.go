package client

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// The `golive remediation` commands, one verb per entry, on the
// receiver's /api/v1/remediations.

const remediationUsage = `usage: golive remediation [global flags] <command> [flags]

commands:
  list                 list remediations (--state awaiting_approval, --incident ID)
  approve ID           run a remediation that awaits approval (--actor, --comment)
  reject ID            close it without running (--actor, --comment)
  pause                stop every remediation (the kill switch; --actor, --comment)
  resume               let remediation run again

global flags: --receiver.url, --receiver.token-file, --output (text or json)
`

var remediationVerbs = map[string]verbFunc{
	"list":    listRemediations,
	"approve": decideRemediation("approve"),
	"reject":  decideRemediation("reject"),
	"pause":   pauseRemediation("pause"),
	"resume":  pauseRemediation("resume"),
}

// RemediationCommand runs `golive remediation`. Exit codes: 0 ok, 1 the
// receiver refused or failed, 2 usage.
func RemediationCommand(ctx context.Context, env cli.Env) int {
	g := &globals{url: "http://127.0.0.1:9470", output: "text"}
	fs := cli.NewFlagSet("remediation", env)
	fs.Usage = func() { fmt.Fprint(env.Stderr, remediationUsage) }
	g.register(fs)
	if err := fs.Parse(env.Args); err != nil {
		return exitUsage(err)
	}
	run, ok := remediationVerbs[fs.Arg(0)]
	if !ok {
		fmt.Fprintf(env.Stderr, "golive remediation: unknown command %q\n\n%s", fs.Arg(0), remediationUsage)
		return 2
	}
	return run(ctx, env, g, fs.Args()[1:])
}

// Remediations lists remediations (state and incident optional).
func (c *Client) Remediations(ctx context.Context, state string, incident int64) (remediate.List, error) {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	if incident > 0 {
		q.Set("incident", strconv.FormatInt(incident, 10))
	}
	var out remediate.List
	err := c.do(ctx, http.MethodGet, "/api/v1/remediations?"+q.Encode(), nil, &out)
	return out, err
}

// DecideRemediation approves or rejects one remediation.
func (c *Client) DecideRemediation(ctx context.Context, id int64, verb string, d remediate.Decision) (store.Remediation, error) {
	var r store.Remediation
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/remediations/%d/%s", id, verb), d, &r)
	return r, err
}

// SetRemediationPaused flips the kill switch (verb pause or resume).
func (c *Client) SetRemediationPaused(ctx context.Context, verb string, d remediate.Decision) (store.RemediationControl, error) {
	var ctl store.RemediationControl
	err := c.do(ctx, http.MethodPost, "/api/v1/remediations/"+verb, d, &ctl)
	return ctl, err
}

func listRemediations(ctx context.Context, env cli.Env, g *globals, args []string) int {
	fs := cli.NewFlagSet("remediation list", env)
	g.register(fs)
	state := fs.String("state", "", "only this state (awaiting_approval, planned, running, succeeded, failed, unknown, dry_run, ...)")
	inc := fs.Int64("incident", 0, "only this incident")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	c, err := g.client()
	if err != nil {
		return failRemediation(env, err, 2)
	}
	list, err := c.Remediations(ctx, *state, *inc)
	if err != nil {
		return failRemediation(env, err, 1)
	}
	if g.output == "json" {
		return writeJSON(env.Stdout, list)
	}
	if list.Control.Paused {
		fmt.Fprintf(env.Stdout, "PAUSED by %s since %s: %s\n", list.Control.Actor, list.Control.At.Local().Format(time.DateTime), list.Control.Note)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINCIDENT\tACTION\tKIND\tSTATE\tTARGET\tTRIGGER\tCREATED\tDETAIL")
	for _, r := range list.Remediations {
		detail := r.Reason
		var req action.Request
		if detail == "" && json.Unmarshal(r.Request, &req) == nil {
			detail = req.Summary()
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.IncidentID, r.Action, r.Kind, r.State, r.Target,
			r.Trigger, r.CreatedAt.Local().Format(time.DateTime), oneLine(detail))
	}
	tw.Flush()
	return 0
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func decideFlags(d *remediate.Decision) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.StringVar(&d.Actor, "actor", defaultActor(), "who decides")
		fs.StringVar(&d.Comment, "comment", "", "why (for the timeline)")
	}
}

func decideRemediation(verb string) verbFunc {
	return func(ctx context.Context, env cli.Env, g *globals, args []string) int {
		var d remediate.Decision
		fs := cli.NewFlagSet("remediation "+verb, env)
		g.register(fs)
		decideFlags(&d)(fs)
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			args = append(args[1:], args[0]) // the ID before or after the flags
		}
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
			fmt.Fprintf(env.Stderr, "usage: golive remediation %s ID [--actor NAME] [--comment TEXT]\n", verb)
			return 2
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			fmt.Fprintf(env.Stderr, "golive remediation %s: %q is not a remediation ID\n", verb, fs.Arg(0))
			return 2
		}
		c, err := g.client()
		if err != nil {
			return failRemediation(env, err, 2)
		}
		r, err := c.DecideRemediation(ctx, id, verb, d)
		if err != nil {
			return failRemediation(env, err, 1)
		}
		if g.output == "json" {
			return writeJSON(env.Stdout, r)
		}
		fmt.Fprintf(env.Stdout, "remediation %d (%s on incident %d): %s\n", r.ID, r.Action, r.IncidentID, r.State)
		return 0
	}
}

func pauseRemediation(verb string) verbFunc {
	return func(ctx context.Context, env cli.Env, g *globals, args []string) int {
		var d remediate.Decision
		fs := cli.NewFlagSet("remediation "+verb, env)
		g.register(fs)
		decideFlags(&d)(fs)
		if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
			fmt.Fprintf(env.Stderr, "usage: golive remediation %s [--actor NAME] [--comment TEXT]\n", verb)
			return 2
		}
		c, err := g.client()
		if err != nil {
			return failRemediation(env, err, 2)
		}
		ctl, err := c.SetRemediationPaused(ctx, verb, d)
		if err != nil {
			return failRemediation(env, err, 1)
		}
		if g.output == "json" {
			return writeJSON(env.Stdout, ctl)
		}
		fmt.Fprintf(env.Stdout, "remediation paused: %v (by %s)\n", ctl.Paused, ctl.Actor)
		return 0
	}
}

func failRemediation(env cli.Env, err error, code int) int {
	fmt.Fprintln(env.Stderr, "golive remediation:", err)
	return code
}
