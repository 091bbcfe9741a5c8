package services

import (
	"context"
	"fmt"
	"strings"

	"github.com/coreos/go-systemd/v22/dbus"
	"github.com/prometheus/client_golang/prometheus"
)

// unitClient is the part of *dbus.Conn the collector uses; tests fake it.
type unitClient interface {
	ListUnitsByNamesContext(ctx context.Context, units []string) ([]dbus.UnitStatus, error)
	GetUnitTypePropertyContext(ctx context.Context, unit, unitType, propertyName string) (*dbus.Property, error)
	Close()
}

func dialSystemd(ctx context.Context) (unitClient, error) {
	return dbus.NewSystemConnectionContext(ctx)
}

// systemdMetrics asks systemd for the configured units only (node_exporter
// lists every unit, then filters) and exports node_systemd_unit_state.
func (c *servicesCollector) systemdMetrics(ctx context.Context) ([]prometheus.Metric, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		conn, err := c.dial(ctx)
		if err != nil {
			return nil, fmt.Errorf("connecting to systemd: %w", err)
		}
		c.conn = conn
	}
	ms, err := unitStateMetrics(ctx, c.conn, c.services)
	if err != nil {
		c.conn.Close()
		c.conn = nil
	}
	return ms, err
}

func unitStateMetrics(ctx context.Context, conn unitClient, svcs []Service) ([]prometheus.Metric, error) {
	names := make([]string, len(svcs))
	for i, s := range svcs {
		names[i] = s.Unit
	}
	units, err := conn.ListUnitsByNamesContext(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("listing units: %w", err)
	}
	out := make([]prometheus.Metric, 0, len(units)*len(unitStates))
	for _, u := range units {
		typ, err := unitType(ctx, conn, u.Name)
		if err != nil {
			return nil, err
		}
		for _, state := range unitStates {
			v := 0.0
			if state == u.ActiveState {
				v = 1
			}
			out = append(out, prometheus.MustNewConstMetric(unitStateDesc, prometheus.GaugeValue, v, u.Name, state, typ))
		}
	}
	return out, nil
}

// unitType is node_exporter's type label: the Type property of services
// (simple, forking, notify, ...) and mounts, "" for other units and for
// units systemd does not know.
func unitType(ctx context.Context, conn unitClient, name string) (string, error) {
	var iface string
	switch {
	case strings.HasSuffix(name, ".service"):
		iface = "Service"
	case strings.HasSuffix(name, ".mount"):
		iface = "Mount"
	default:
		return "", nil
	}
	p, err := conn.GetUnitTypePropertyContext(ctx, name, iface, "Type")
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("reading %s Type: %w", name, err)
		}
		return "", nil // a not-found unit has no Type; node_exporter leaves it empty too
	}
	s, _ := p.Value.Value().(string)
	return s, nil
}
