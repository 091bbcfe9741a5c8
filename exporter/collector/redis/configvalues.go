package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// redis_exporter reads redis_config_maxclients and redis_config_maxmemory
// with CONFIG GET. INFO reports the same values (maxmemory since Redis 4,
// maxclients since 7), so golive takes them from INFO and asks CONFIG only
// for what INFO lacks; a server that forbids CONFIG (managed Redis, or
// rename-command CONFIG "") then simply has no such metric.
var (
	mConfigMaxclients = gauge("config_maxclients", "config_maxclients metric")
	mConfigMaxmemory  = gauge("config_maxmemory", "config_maxmemory metric")
)

// configFields maps the INFO field, which is also the CONFIG parameter, to
// its metric.
var configFields = []struct {
	field string
	def   *metricDef
}{{"maxclients", mConfigMaxclients}, {"maxmemory", mConfigMaxmemory}}

// configValues records which redis_config_* values a scrape has emitted.
type configValues struct{ maxclients, maxmemory bool }

// found marks field as emitted and returns its metric, if it is one of
// configFields.
func (v *configValues) found(field string) (*metricDef, bool) {
	switch field {
	case "maxclients":
		v.maxclients = true
		return mConfigMaxclients, true
	case "maxmemory":
		v.maxmemory = true
		return mConfigMaxmemory, true
	}
	return nil, false
}

func (v configValues) complete() bool { return v.maxclients && v.maxmemory }

// configPattern matches maxclients and maxmemory in one CONFIG GET that
// every Redis version accepts (several patterns need Redis 7, whose INFO has
// both values anyway).
const configPattern = "max*"

// configState says whether a scrape must ask CONFIG for what INFO lacks.
type configState int32

const (
	configUnknown     configState = iota // no scrape yet
	configNeeded                         // INFO lacks a value; CONFIG answers
	configNotNeeded                      // INFO has both values
	configUnavailable                    // CONFIG is forbidden or renamed
)

type configMode struct{ v atomic.Int32 }

func (m *configMode) get() configState  { return configState(m.v.Load()) }
func (m *configMode) set(s configState) { m.v.Store(int32(s)) }

// emitConfig sends the values of a CONFIG GET reply that INFO did not have.
func emitConfig(params map[string]string, have configValues, out sink) {
	for _, f := range configFields {
		if (f.field == "maxclients" && have.maxclients) || (f.field == "maxmemory" && have.maxmemory) {
			continue
		}
		raw, ok := params[f.field]
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(raw, 64); err == nil {
			out.metric(f.def, v)
		}
	}
}

// configGet asks CONFIG for the values. ok is false when the server refuses
// the command (a Redis error reply): that is not a scrape failure.
func (c *Collector) configGet(ctx context.Context) (params map[string]string, ok bool, err error) {
	params, err = c.client.ConfigGet(ctx, configPattern).Result()
	return configResult(params, err)
}

func configResult(params map[string]string, err error) (map[string]string, bool, error) {
	var rerr goredis.Error
	switch {
	case err == nil:
		return params, true, nil
	case errors.As(err, &rerr):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("CONFIG GET: %w", err)
	}
}
