package receiver

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/store"
)

// NotifyTestCommand is `golive notify test`: it sends a test message
// through every configured channel (or the named ones) now, bypassing the
// outbox, and reports each result. It proves the runbook's readiness item
// "notification channel tested" and exits 1 if any channel failed.
func NotifyTestCommand(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "notify test", "Send a test notification through each configured channel (or the named ones) and report each result.")
	configFile := app.Flag("config.file", "Receiver configuration file.").Default("receiver.yml").String()
	var timeout model.Duration
	cli.DurationVar(app.Flag("timeout", "Time limit for each channel."), "30s", &timeout)
	noRecord := app.Flag("no-record", "Do not record the results in the receiver's store (readiness reads them from there).").Bool()
	channelArgs := app.Arg("channel", "Channels to test (default: all).").Strings()
	if _, code, done := app.Parse(); done {
		return code
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		return app.Fail(err)
	}
	channels, err := notify.Build(cfg.Notify.Channels)
	if err != nil {
		return app.Fail(err)
	}
	names := *channelArgs
	if len(names) == 0 {
		for name := range channels {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	if len(names) == 0 {
		fmt.Fprintf(env.Stderr, "%s: no notify.channels configured\n", *configFile)
		return 1
	}
	// The results go into the receiver's own store, where the readiness
	// item "notification channel tested" reads them.
	var rec store.Store
	if !*noRecord {
		secrets, err := cfg.ResolveSecrets()
		if err != nil {
			return app.Fail(err)
		}
		if rec, err = openStore(ctx, cfg, secrets, slog.New(slog.DiscardHandler)); err != nil {
			return app.Fail(fmt.Errorf("opening the receiver's store to record the results (--no-record skips it): %w", err))
		}
		defer rec.Close()
	}
	record := func(name string, err error) error {
		if rec == nil {
			return nil
		}
		t := store.ChannelTest{Channel: name, OK: err == nil, TestedAt: time.Now()}
		if err != nil {
			t.Error = err.Error()
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return rec.InsertChannelTest(rctx, t)
	}
	failed := 0
	for _, name := range names {
		ch, ok := channels[name]
		if !ok {
			fmt.Fprintf(env.Stdout, "%-20s FAILED: no such channel (have %v)\n", name, slices.Sorted(maps.Keys(channels)))
			failed++
			continue
		}
		err := sendTest(ctx, ch, cfg.ExternalURL, time.Duration(timeout))
		if rerr := record(name, err); rerr != nil {
			fmt.Fprintf(env.Stderr, "recording the test of %s: %v\n", name, rerr)
			failed++
		}
		if err != nil {
			fmt.Fprintf(env.Stdout, "%-20s FAILED: %v\n", name, err)
			failed++
			continue
		}
		fmt.Fprintf(env.Stdout, "%-20s ok (%s)\n", name, ch.Kind)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func sendTest(ctx context.Context, ch notify.Channel, externalURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now()
	_, err := ch.Sender.Send(ctx, notify.Message{
		Key:   fmt.Sprintf("test-%s-%d", ch.Name, now.UnixNano()),
		Event: "test", IncidentID: "test", Priority: "P3", State: "new",
		Title:   "golive test notification",
		Summary: "If you can read this, channel " + ch.Name + " delivers golive's incident notifications.",
		URL:     externalURL, StartedAt: now,
	})
	return err
}

// channelNames are the configured channels' names.
func channelNames(chs []notify.ChannelConfig) []string {
	out := make([]string, 0, len(chs))
	for _, c := range chs {
		out = append(out, c.Name)
	}
	return out
}
