package readiness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/httpclient"
)

// Exit codes of `golive readiness` (the check); usage errors are 2 as
// everywhere, since a bad command line cannot be evaluated either.
const (
	ExitReady          = int(Ready)
	ExitNotReady       = int(NotReady)
	ExitCannotEvaluate = int(CannotEvaluate)
)

type checkOptions struct {
	checklist     string
	output        string
	onlyFailed    bool
	wait          model.Duration
	interval      model.Duration
	failOnWarning bool
	reportTo      string
	httpConfig    *string
}

type signOptions struct {
	item, comment, by, receiver string
	validFor                    model.Duration
	list                        bool
}

// Command is `golive readiness`: evaluate a checklist (the default) or
// sign off a manual item.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "readiness", "Evaluate the go-live readiness checklist, or sign off its manual items.\n\n"+
		"Exit codes: 0 ready, 1 not ready (a required item failed, or a required sign-off is missing or expired), "+
		"2 could not evaluate (bad checklist or usage, a required check errored or timed out).")
	var o checkOptions
	var s signOptions
	app.Flag("checklist", "Checklist file.").Default("readiness.yml").PlaceHolder("FILE").StringVar(&o.checklist)
	o.httpConfig = cli.AddHTTPConfigFlag(app, "the receiver (for --report-to and sign)")

	check := app.Command("check", "Evaluate the checklist (the default).").Default()
	check.Flag("output", "Output format: text, json or junit.").Short('o').Default("text").EnumVar(&o.output, Formats...)
	check.Flag("only-failed", "Leave out the items that pass.").BoolVar(&o.onlyFailed)
	cli.DurationVar(check.Flag("wait", "Re-evaluate until ready or this long has passed (0: once)."), "0s", &o.wait)
	cli.DurationVar(check.Flag("wait.interval", "Pause between evaluations with --wait."), "10s", &o.interval)
	check.Flag("fail-on-warning", "Warnings (a certificate expiring soon) make the checklist not ready.").BoolVar(&o.failOnWarning)
	check.Flag("report-to", "Store the report in this receiver (its base URL).").PlaceHolder("RECEIVER_URL").StringVar(&o.reportTo)

	sign := app.Command("sign", "Sign off a manual item of the checklist in the receiver.")
	sign.Arg("item", "The manual item's name.").Required().StringVar(&s.item)
	sign.Flag("comment", "What was checked, and where the evidence is (required).").Required().StringVar(&s.comment)
	sign.Flag("by", "Who signs (default $USER).").Default(defaultSigner()).StringVar(&s.by)
	cli.DurationVar(sign.Flag("valid-for", "How long the sign-off counts (default: the item's valid_for)."), "0s", &s.validFor)
	sign.Flag("receiver.url", "Receiver base URL (default: the checklist's receiver.url).").PlaceHolder("URL").StringVar(&s.receiver)

	signoffs := app.Command("signoffs", "List the newest sign-off of each manual item.")
	signoffs.Flag("receiver.url", "Receiver base URL (default: the checklist's receiver.url).").PlaceHolder("URL").StringVar(&s.receiver)

	selected, code, done := app.Parse()
	if done {
		return code
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch selected {
	case "sign":
		return runSign(ctx, app, env, o, s)
	case "signoffs":
		s.list = true
		return runSign(ctx, app, env, o, s)
	}
	if o.interval <= 0 {
		return app.Usage(errors.New("--wait.interval must be positive"))
	}
	return runCheck(ctx, env, o, logger)
}

func defaultSigner() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

func cannotEvaluate(env cli.Env, err error) int {
	fmt.Fprintf(env.Stderr, "golive readiness: could not evaluate: %v\n", err)
	return ExitCannotEvaluate
}

func runCheck(ctx context.Context, env cli.Env, o checkOptions, logger *slog.Logger) int {
	c, err := Load(o.checklist)
	if err != nil {
		return cannotEvaluate(env, err)
	}
	e, err := NewEnv(c, logger, nil)
	if err != nil {
		return cannotEvaluate(env, err)
	}
	var report *ReceiverClient
	if o.reportTo != "" {
		hc, err := httpclient.FromFile(*o.httpConfig, "readiness")
		if err != nil {
			return cannotEvaluate(env, err)
		}
		if report, err = NewServerClient(o.reportTo, hc); err != nil {
			return cannotEvaluate(env, fmt.Errorf("--report-to: %w", err))
		}
	}
	deadline := time.Now().Add(time.Duration(o.wait))
	var r *Report
	for {
		r = Run(ctx, c, NewEnvLike(e))
		if r.Outcome(o.failOnWarning) == Ready || time.Now().Add(time.Duration(o.interval)).After(deadline) || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(env.Stderr, "%s; evaluating again in %s\n", r.Summary(), o.interval)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(o.interval)):
		}
	}
	if err := Write(env.Stdout, r, o.output, o.onlyFailed); err != nil {
		return cannotEvaluate(env, err)
	}
	if report != nil {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		id, err := report.PostReport(rctx, r)
		if err != nil {
			fmt.Fprintf(env.Stderr, "golive readiness: storing the report in the receiver: %v\n", err)
			return ExitCannotEvaluate
		}
		fmt.Fprintf(stderrUnlessText(env, o.output), "report stored in the receiver as #%d\n", id)
	}
	return int(r.Outcome(o.failOnWarning))
}

// stderrUnlessText keeps machine output (json, junit) on stdout clean.
func stderrUnlessText(env cli.Env, output string) io.Writer {
	if output == "text" {
		return env.Stdout
	}
	return env.Stderr
}

func runSign(ctx context.Context, app *cli.App, env cli.Env, o checkOptions, s signOptions) int {
	var validFor time.Duration
	receiverURL := s.receiver
	if c, err := Load(o.checklist); err == nil {
		if receiverURL == "" && c.Receiver != nil {
			receiverURL = c.Receiver.URL
		}
		if !s.list {
			it, ok := c.Item(s.item)
			switch {
			case !ok:
				return app.Fail(fmt.Errorf("%s has no item %q", o.checklist, s.item))
			case it.Kind != "manual":
				return app.Fail(fmt.Errorf("%s: item %q is a %s check, not a manual item: it is checked, not signed off", o.checklist, s.item, it.Kind))
			}
			validFor = it.ValidFor()
		}
	} else if !errors.Is(err, os.ErrNotExist) || receiverURL == "" {
		return app.Fail(err)
	}
	if s.validFor > 0 {
		validFor = time.Duration(s.validFor)
	}
	if receiverURL == "" {
		return app.Usage(errors.New("no receiver: give --receiver.url or a checklist with receiver.url"))
	}
	hc, err := httpclient.FromFile(*o.httpConfig, "readiness")
	if err != nil {
		return app.Fail(err)
	}
	client, err := NewServerClient(receiverURL, hc)
	if err != nil {
		return app.Fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if s.list {
		list, err := client.Signoffs(ctx)
		if err != nil {
			return app.Fail(err)
		}
		now := time.Now()
		for _, so := range list {
			state := "valid"
			if so.Expired(now) {
				state = "EXPIRED"
			}
			fmt.Fprintf(env.Stdout, "%-24s %-8s by %s at %s, expires %s: %s\n", so.Item, state, so.By,
				so.SignedAt.Local().Format(time.RFC3339), so.ExpiresAt.Local().Format(time.RFC3339), so.Comment)
		}
		return cli.ExitOK
	}
	if validFor <= 0 {
		validFor = DefaultValidFor
	}
	so, err := client.Sign(ctx, SignRequest{Item: s.item, By: s.by, Comment: s.comment, ValidFor: model.Duration(validFor).String()})
	if err != nil {
		return app.Fail(err)
	}
	fmt.Fprintf(env.Stdout, "%s signed off by %s, valid until %s\n", so.Item, so.By, so.ExpiresAt.Local().Format(time.RFC3339))
	return cli.ExitOK
}
