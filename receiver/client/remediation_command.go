package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// RemediationCommand runs `golive remediation`, a client of the
// receiver's /api/v1/remediations, with the same global flags, environment
// and config file as `golive incidents`. Exit codes: 0 ok, 1 the receiver
// refused or failed, 2 usage.
func RemediationCommand(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "remediation", "List, approve and reject the receiver's remediations; pause and resume them all (the kill switch).\n\n"+
		"Flags may also come from "+configHelp+" (keys are flag names).")
	g := &globals{}
	app.Flag("receiver.url", "Receiver base URL.").Envar(EnvURL).Default(DefaultURL).PlaceHolder("URL").StringVar(&g.url)
	app.Flag("receiver.token-file", "File holding the bearer token for the receiver's API.").Envar(EnvTokenFile).PlaceHolder("FILE").StringVar(&g.tokenFile)
	g.httpConfig = cli.AddHTTPConfigFlag(app, "the receiver")
	app.Flag("output", "Output format: simple, extended or json.").Short('o').Default("simple").EnumVar(&g.output, "simple", "extended", "json")
	cli.DurationVar(app.Flag("timeout", "Time limit for each request to the receiver."), "30s", &g.timeout)

	var state string
	var incident int64
	ls := app.Command("list", "List remediations, newest first.").Alias("ls")
	ls.Flag("state", "Only this state: awaiting_approval, planned, running, succeeded, failed, unknown, dry_run, refused, rejected, expired, skipped.").StringVar(&state)
	ls.Flag("incident", "Only this incident's.").Int64Var(&incident)
	var id idValue
	var d remediate.Decision
	decision := func(c *kingpin.CmdClause, withID bool) {
		if withID {
			c.Arg("id", "Remediation ID.").Required().SetValue(&id)
		}
		c.Flag("actor", "Who decides (default $USER).").Default(defaultActor()).StringVar(&d.Actor)
		c.Flag("comment", "Why, for the timeline.").StringVar(&d.Comment)
	}
	decision(app.Command("approve", "Run a remediation that awaits approval (its preconditions are checked again)."), true)
	decision(app.Command("reject", "Close a remediation that awaits approval without running it."), true)
	decision(app.Command("pause", "Stop every remediation: nothing is planned to run and nothing queued starts."), false)
	decision(app.Command("resume", "Let remediation run again."), false)

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
	switch selected {
	case "list":
		list, err := c.Remediations(ctx, state, incident)
		if err != nil {
			return app.Fail(err)
		}
		if g.output == "json" {
			return p.json(list)
		}
		printRemediations(env.Stdout, list)
		return cli.ExitOK
	case "approve", "reject":
		r, err := c.DecideRemediation(ctx, int64(id), selected, d)
		if err != nil {
			return app.Fail(err)
		}
		if g.output == "json" {
			return p.json(r)
		}
		fmt.Fprintf(env.Stdout, "remediation %d (%s on incident %d): %s\n", r.ID, r.Action, r.IncidentID, r.State)
	default: // pause, resume
		ctl, err := c.SetRemediationPaused(ctx, selected, d)
		if err != nil {
			return app.Fail(err)
		}
		if g.output == "json" {
			return p.json(ctl)
		}
		fmt.Fprintf(env.Stdout, "remediation paused: %v (by %s)\n", ctl.Paused, ctl.Actor)
	}
	return cli.ExitOK
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

func printRemediations(w io.Writer, list remediate.List) {
	if list.Control.Paused {
		fmt.Fprintf(w, "PAUSED by %s since %s: %s\n", list.Control.Actor, list.Control.At.Local().Format(time.DateTime), list.Control.Note)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
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
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}
