package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	plans "github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// RolloutCommand runs `golive rollout`: it submits a plan to the receiver,
// which runs it durably, and follows or steers it. Exit codes: 0 done (with
// --wait: the plan succeeded), 1 the receiver refused or failed (with
// --wait: rolled back, aborted or failed), 2 bad usage or a bad plan.
func RolloutCommand(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "rollout", "Run a rollout plan in the receiver (traffic stages through HAProxy or an HTTP API, each watched by a gate) and follow it.\n\n"+
		"Flags may also come from "+configHelp+" (keys are flag names, e.g. receiver.url: http://receiver:9470).")
	g := &globals{}
	app.Flag("receiver.url", "Receiver base URL.").Envar(EnvURL).Default(DefaultURL).PlaceHolder("URL").StringVar(&g.url)
	app.Flag("receiver.token-file", "File holding the bearer token for the receiver's API.").Envar(EnvTokenFile).PlaceHolder("FILE").StringVar(&g.tokenFile)
	g.httpConfig = cli.AddHTTPConfigFlag(app, "the receiver")
	app.Flag("output", "Output format: simple or json.").Short('o').Default("simple").EnumVar(&g.output, "simple", "json")
	cli.DurationVar(app.Flag("timeout", "Time limit for each request to the receiver."), "30s", &g.timeout)

	var (
		planFile string
		wait     bool
		interval model.Duration
		id       rolloutID
	)
	start := app.Command("start", "Submit a plan; the receiver checks it against the load balancer and runs it.")
	start.Flag("plan", "Plan file (YAML or JSON).").Required().PlaceHolder("FILE").StringVar(&planFile)
	start.Flag("wait", "Follow the rollout: print each stage, gate decision and the time left in the window; exit 0 on success, 1 on rollback or abort.").BoolVar(&wait)
	cli.DurationVar(start.Flag("wait.interval", "How often --wait asks the receiver."), "1s", &interval)
	status := app.Command("status", "Show one rollout (stages, decisions, traffic changes), or list them.")
	var statusID string
	status.Arg("id", "Rollout ID (default: list every rollout).").StringVar(&statusID)
	idArg := func(c *kingpin.CmdClause) { c.Arg("id", "Rollout ID.").Required().SetValue(&id) }
	for _, a := range []struct{ name, help string }{
		{rollout.RequestPause, "Pause a running rollout (the gate is no longer asked; the split stays)."},
		{rollout.RequestResume, "Resume a paused rollout (after a hold, holds in that stage no longer pause it)."},
		{rollout.RequestAbort, "Roll back now: re-apply the split recorded before the rollout."},
	} {
		idArg(app.Command(a.name, a.help))
	}

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
	out := rolloutPrinter{w: env.Stdout, json: g.output == "json"}
	call := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, time.Duration(g.timeout))
	}
	switch selected {
	case "start":
		data, err := os.ReadFile(planFile)
		if err != nil {
			return app.Usage(fmt.Errorf("--plan: %w", err))
		}
		// Validate here too, so a bad plan names its file and line without
		// a round trip; the receiver validates again (and checks the load
		// balancer).
		if _, err := plans.Parse(strings.NewReader(string(data))); err != nil {
			return app.Usage(fmt.Errorf("%s: %w", planFile, err))
		}
		cctx, cancel := call()
		v, err := c.StartRollout(cctx, data)
		cancel()
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusBadRequest {
			return app.Usage(fmt.Errorf("%s: %s", planFile, e.Message))
		}
		if err != nil {
			return app.Fail(err)
		}
		if !wait {
			return out.show(v)
		}
		fmt.Fprintf(env.Stdout, "rollout %d (%s) started, gate %s\n", v.ID, v.Name, v.Gate)
		return follow(ctx, app, c, v.ID, time.Duration(interval), time.Duration(g.timeout), env.Stdout)
	case "status":
		cctx, cancel := call()
		defer cancel()
		if statusID == "" {
			list, err := c.Rollouts(cctx)
			if err != nil {
				return app.Fail(err)
			}
			return out.list(list)
		}
		if err := id.Set(statusID); err != nil {
			return app.Usage(err)
		}
		v, err := c.Rollout(cctx, int64(id))
		if err != nil {
			return app.Fail(err)
		}
		return out.show(v)
	default:
		cctx, cancel := call()
		defer cancel()
		v, err := c.RequestRollout(cctx, int64(id), selected)
		if err != nil {
			return app.Fail(err)
		}
		fmt.Fprintf(env.Stdout, "rollout %d: %s requested (now %s)\n", v.ID, selected, v.State)
		return cli.ExitOK
	}
}

// follow prints the rollout's new events until it ends.
func follow(ctx context.Context, app *cli.App, c *Client, id int64, interval, timeout time.Duration, w io.Writer) int {
	var seen int64
	lastLeft := time.Duration(-1)
	failures := 0
	for {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		v, err := c.Rollout(cctx, id)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return app.Fail(ctx.Err())
		case err != nil:
			// A receiver restarting (or failing over) is what the durable
			// runner is for: keep asking for a while.
			if failures++; failures > 30 {
				return app.Fail(err)
			}
			fmt.Fprintf(w, "receiver unreachable (%v); retrying\n", err)
		default:
			failures = 0
			for _, e := range v.Events {
				if e.ID <= seen {
					continue
				}
				seen = e.ID
				fmt.Fprintln(w, eventLine(v, e))
			}
			if !v.ObserveEndsAt.IsZero() {
				left := time.Until(v.ObserveEndsAt).Truncate(time.Second)
				if left >= 0 && (lastLeft < 0 || lastLeft-left >= 10*time.Second || left == 0 && lastLeft != 0) {
					fmt.Fprintf(w, "  %s left in the window of stage %d\n", left, v.Step+1)
					lastLeft = left
				}
			}
			switch v.State {
			case store.RolloutSucceeded:
				fmt.Fprintf(w, "rollout %d succeeded: the candidate has %v%% of traffic\n", v.ID, v.StagePercent)
				return cli.ExitOK
			case store.RolloutRolledBack, store.RolloutFailed:
				fmt.Fprintf(w, "rollout %d %s: %s\n", v.ID, v.State, v.Reason)
				return cli.ExitFailure
			}
		}
		select {
		case <-ctx.Done():
			return app.Fail(ctx.Err())
		case <-time.After(interval):
		}
	}
}

func eventLine(v rollout.View, e store.RolloutEvent) string {
	at := e.At.Local().Format("15:04:05")
	stage := ""
	if e.Step >= 0 && e.Step < len(v.Stages) {
		stage = v.Stages[e.Step].Name
	}
	switch e.Kind {
	case "stage_applying":
		return fmt.Sprintf("%s %s: applying (%s)", at, stage, e.Note)
	case "traffic_change":
		return fmt.Sprintf("%s %s: traffic changed: %s -> %s", at, stage, e.Before, e.After)
	case "decision":
		line := fmt.Sprintf("%s %s: gate decision %d: %s", at, stage, e.DecisionID, e.Decision)
		if e.Note != "" {
			line += " (" + e.Note + ")"
		}
		return line
	case "paused":
		return fmt.Sprintf("%s %s: paused: %s (golive rollout resume %d continues, abort %d rolls back)", at, stage, e.Note, v.ID, v.ID)
	}
	line := fmt.Sprintf("%s %s", at, strings.ReplaceAll(e.Kind, "_", " "))
	if stage != "" {
		line += " " + stage
	}
	if e.Note != "" {
		line += ": " + e.Note
	}
	if e.Actor != "" {
		line += " (by " + e.Actor + ")"
	}
	return line
}

type rolloutPrinter struct {
	w    io.Writer
	json bool
}

func (p rolloutPrinter) encode(v any) int {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func (p rolloutPrinter) list(vs []rollout.View) int {
	if p.json {
		return p.encode(vs)
	}
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLAN\tGATE\tSTATE\tSTAGE\tPERCENT\tCREATED\tREASON")
	for _, v := range vs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%v\t%s\t%s\n", v.ID, v.Name, v.Gate, v.State, v.Step+1, len(v.Stages),
			v.StagePercent, v.CreatedAt.Local().Format(time.DateTime), v.Reason)
	}
	if tw.Flush() != nil {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func (p rolloutPrinter) show(v rollout.View) int {
	if p.json {
		return p.encode(v)
	}
	fmt.Fprintf(p.w, "rollout %d  plan %s  gate %s  state %s  candidate %v%%\n", v.ID, v.Name, v.Gate, v.State, v.StagePercent)
	if v.Reason != "" {
		fmt.Fprintf(p.w, "reason: %s\n", v.Reason)
	}
	if v.Request != "" {
		fmt.Fprintf(p.w, "requested: %s\n", v.Request)
	}
	for _, s := range v.Stages {
		line := fmt.Sprintf("  %-22s %-12s observe %s", s.Name, s.Status, model.Duration(s.Observe))
		if s.Index == v.Step && !v.ObserveEndsAt.IsZero() {
			line += fmt.Sprintf(", %s left", max(time.Until(v.ObserveEndsAt), 0).Truncate(time.Second))
		}
		fmt.Fprintln(p.w, line)
	}
	for _, e := range v.Events {
		fmt.Fprintln(p.w, "  "+eventLine(v, e))
	}
	return cli.ExitOK
}

// rolloutID is a rollout ID argument.
type rolloutID int64

func (v *rolloutID) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a rollout ID", s)
	}
	*v = rolloutID(n)
	return nil
}

func (v *rolloutID) String() string { return strconv.FormatInt(int64(*v), 10) }
