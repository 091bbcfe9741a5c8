package restart

import (
	"context"
	"errors"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

type fakeBus struct {
	job, result string
	restarts    []string
}

func (b *fakeBus) RestartUnitContext(_ context.Context, name, mode string, ch chan<- string) (int, error) {
	b.restarts = append(b.restarts, name+":"+mode)
	ch <- b.job
	return 1, nil
}

func (b *fakeBus) GetUnitPropertyContext(_ context.Context, _, prop string) (*sddbus.Property, error) {
	return &sddbus.Property{Name: prop, Value: dbus.MakeVariant(b.result)}, nil
}

func (b *fakeBus) Close() {}

func TestSystemdRestartAndStartLimit(t *testing.T) {
	c := Config{Unit: "{service}.service", Manager: "systemd",
		Substitutions: action.Substitutions{"service": {Label: "service", Allow: "web|api"}}}
	if err := c.Validate("r"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Plan(action.Trigger{Labels: map[string]string{"service": "web.service; reboot"}}); !errors.Is(err, action.ErrRefused) {
		t.Fatalf("hostile unit: %v", err)
	}
	req, err := a.Plan(action.Trigger{Labels: map[string]string{"service": "web"}})
	if err != nil || req.Detail["unit"] != "web.service" {
		t.Fatalf("plan = %+v, %v", req, err)
	}
	ok := &fakeBus{job: "done", result: "success"}
	if _, _, err := a.WithBus(ok).Run(context.Background(), req); err != nil || ok.restarts[0] != "web.service:replace" {
		t.Fatalf("restart: %v, %v", err, ok.restarts)
	}
	limited := &fakeBus{job: "failed", result: "start-limit-hit"}
	_, retry, err := a.WithBus(limited).Run(context.Background(), req)
	if err == nil || retry || !strings.Contains(err.Error(), "start limit") {
		t.Fatalf("start limit: retry=%v err=%v, want a failure that is not retried", retry, err)
	}
}

func TestCommandBackend(t *testing.T) {
	c := Config{Unit: "redis.service", Manager: "command", Command: []string{"/bin/echo", "restarting", "{unit}"}}
	if err := c.Validate("r"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.Plan(action.Trigger{})
	if err != nil || strings.Join(req.Argv, " ") != "/bin/echo restarting redis.service" {
		t.Fatalf("plan = %+v, %v", req, err)
	}
	rep, _, err := a.Run(context.Background(), req)
	if err != nil || rep.Output != "restarting redis.service\n" {
		t.Fatalf("run = %+v, %v", rep, err)
	}
	for _, bad := range []Config{{Unit: "web"}, {Unit: "web.service", Manager: "command"}, {Unit: "x.service", Manager: "upstart"}} {
		if err := bad.Validate("r"); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
