package receiver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/notify"
)

// NotifyTestCommand is `golive notify test`: it sends a test message
// through every configured channel (or the named ones) now, bypassing the
// outbox, and reports each result. It proves the runbook's readiness item
// "notification channel tested" and exits 1 if any channel failed.
func NotifyTestCommand(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("notify test", env)
	configFile := fs.String("config.file", "receiver.yml", "receiver configuration file")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for each channel")
	if err := fs.Parse(env.Args); err != nil {
		return 2
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	channels, err := notify.Build(cfg.Notify.Channels)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	names := fs.Args()
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
	failed := 0
	for _, name := range names {
		ch, ok := channels[name]
		if !ok {
			fmt.Fprintf(env.Stdout, "%-20s FAILED: no such channel (have %v)\n", name, slices.Sorted(maps.Keys(channels)))
			failed++
			continue
		}
		if err := sendTest(ctx, ch, cfg.ExternalURL, *timeout); err != nil {
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
