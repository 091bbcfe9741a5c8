package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func newTestApp(args ...string) (*App, *bytes.Buffer, *bytes.Buffer, *model.Duration, *string) {
	var stdout, stderr bytes.Buffer
	app := NewApp(Env{Args: args, Stdout: &stdout, Stderr: &stderr}, "thing", "Does the thing.")
	var d model.Duration
	DurationVar(app.Flag("since", "How far back."), "1h", &d)
	name := app.Flag("name", "A name.").Short('n').Default("x").String()
	return app, &stdout, &stderr, &d, name
}

func TestParseExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		done       bool
		stdout     string
		stderr     string
		wantSince  model.Duration
		wantNameIs string
	}{
		{args: nil, code: 0, wantSince: model.Duration(time.Hour), wantNameIs: "x"},
		{args: []string{"--since=7d", "--name", "y"}, wantSince: model.Duration(7 * 24 * time.Hour), wantNameIs: "y"},
		{args: []string{"--help"}, done: true, code: 0, stdout: "usage: golive thing"},
		{args: []string{"-h"}, done: true, code: 0, stdout: "--since=1h"},
		{args: []string{"--version"}, done: true, code: 0, stdout: "golive, version "},
		{args: []string{"--nope"}, done: true, code: 2, stderr: "golive thing: error: unknown long flag '--nope', try --help"},
		{args: []string{"--since=soon"}, done: true, code: 2, stderr: "--since"},
		{args: []string{"extra"}, done: true, code: 2, stderr: "unexpected extra"},
		{args: []string{"--name", "-"}, wantSince: model.Duration(time.Hour), wantNameIs: "-"},
		{args: []string{"-n", "-"}, wantSince: model.Duration(time.Hour), wantNameIs: "-"},
	} {
		app, stdout, stderr, since, name := newTestApp(tc.args...)
		_, code, done := app.Parse()
		if code != tc.code || done != tc.done {
			t.Errorf("%q: code %d done %v, want %d %v (stderr %q)", tc.args, code, done, tc.code, tc.done, stderr)
		}
		if !strings.Contains(stdout.String(), tc.stdout) || (tc.stdout == "" && stdout.Len() > 0) {
			t.Errorf("%q: stdout %q, want %q", tc.args, stdout, tc.stdout)
		}
		if !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "" && stderr.Len() > 0) {
			t.Errorf("%q: stderr %q, want %q", tc.args, stderr, tc.stderr)
		}
		if !done && (*since != tc.wantSince || *name != tc.wantNameIs) {
			t.Errorf("%q: since %s name %q", tc.args, since, *name)
		}
	}
}

func TestSubcommands(t *testing.T) {
	run := func(args ...string) (string, int, bool, string) {
		var stdout, stderr bytes.Buffer
		app := NewApp(Env{Args: args, Stdout: &stdout, Stderr: &stderr}, "things", "Things.")
		list := app.Command("list", "List things.")
		list.Flag("all", "Every thing.").Bool()
		app.Command("show", "Show a thing.").Arg("id", "Thing ID.").Required().Int()
		sel, code, done := app.Parse()
		return sel, code, done, stdout.String() + stderr.String()
	}
	if sel, _, done, _ := run("list", "--all"); done || sel != "list" {
		t.Errorf("list: selected %q done %v", sel, done)
	}
	if _, code, done, out := run(); !done || code != 2 || !strings.Contains(out, "list") {
		t.Errorf("no subcommand: code %d done %v out %q", code, done, out)
	}
	if _, code, _, out := run("show", "--help"); code != 0 || !strings.Contains(out, "golive things show <id>") {
		t.Errorf("show --help: code %d out %q", code, out)
	}
	if _, code, _, out := run("show"); code != 2 || !strings.Contains(out, "required argument 'id' not provided") {
		t.Errorf("show without id: code %d out %q", code, out)
	}
	if _, code, _, _ := run("show", "x"); code != 2 {
		t.Errorf("show x: code %d", code)
	}
	if _, code, _, _ := run("nope"); code != 2 {
		t.Errorf("nope: code %d", code)
	}
}

func TestGroup(t *testing.T) {
	ran := 0
	g := Group("dashboards", "Manage dashboards.", map[string]Command{"push": {Summary: "Push.", Run: func(_ context.Context, env Env) int {
		ran++
		return len(env.Args)
	}}})
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"push", "a", "b"}, 2}, {nil, 2}, {[]string{"--help"}, 0}, {[]string{"--version"}, 0}, {[]string{"nope"}, 2}} {
		var out bytes.Buffer
		if code := g.Run(context.Background(), Env{Args: tc.args, Stdout: &out, Stderr: &out}); code != tc.code {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, code, tc.code, out.String())
		}
	}
	if ran != 1 {
		t.Errorf("push ran %d times", ran)
	}
}

func TestLoggerShape(t *testing.T) {
	var stdout, stderr, logs bytes.Buffer
	app := NewApp(Env{Args: []string{"--log.level=debug"}, Stdout: &stdout, Stderr: &stderr}, "server", "")
	cfg := AddLogFlags(app)
	if _, _, done := app.Parse(); done {
		t.Fatal(stderr.String())
	}
	Logger(cfg, &logs).Debug("hello", "k", "v")
	line := logs.String()
	for _, want := range []string{"time=", "level=DEBUG", "source=cli_test.go:", `msg=hello`, "k=v"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}

func TestListenRepeatedAddresses(t *testing.T) {
	var stdout, stderr bytes.Buffer
	app := NewApp(Env{Args: []string{"--web.listen-address=127.0.0.1:0", "--web.listen-address=127.0.0.1:0"}, Stdout: &stdout, Stderr: &stderr}, "server", "")
	flags := AddWebFlags(app, ":9999")
	if _, _, done := app.Parse(); done {
		t.Fatal(stderr.String())
	}
	ln, err := Listen(context.Background(), flags)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := ln.(*multiListener)
	if !ok || len(m.listeners) != 2 {
		t.Fatalf("listener %T, want two sockets", ln)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	for _, l := range m.listeners {
		resp, err := client.Get("http://" + l.Addr().String() + "/")
		if err != nil {
			t.Fatalf("%s: %v", l.Addr(), err)
		}
		resp.Body.Close()
	}
}
