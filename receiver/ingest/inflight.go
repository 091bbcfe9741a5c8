package ingest

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/semaphore"
)

// InFlight is a byte-weighted semaphore over webhook bodies. Decoding and
// storing a webhook costs about seven times its body at the peak (the body,
// the decoded alerts, their JSON columns and bind arguments), so bounding
// the bytes in flight bounds the receiver's memory: with the default 32 MiB,
// one 32 MiB webhook at a time, or any number of small ones.
type InFlight struct {
	max int64
	sem *semaphore.Weighted
}

// NewInFlight allows limit bytes of bodies at once (limit > 0).
func NewInFlight(limit int64) *InFlight {
	return &InFlight{max: limit, sem: semaphore.NewWeighted(limit)}
}

// acquire waits until ctx ends for n bytes; a body larger than the whole
// budget waits for all of it (it then runs alone). A nil InFlight allows
// everything.
func (f *InFlight) acquire(ctx context.Context, n int64) (release func(), err error) {
	if f == nil {
		return func() {}, nil
	}
	n = min(n, f.max)
	if err := f.sem.Acquire(ctx, n); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("busy: other webhooks hold the %d bytes allowed in flight (webhook.max_in_flight_bytes), retry later", f.max)
		}
		return nil, fmt.Errorf("request ended while waiting: %w", err)
	}
	return func() { f.sem.Release(n) }, nil
}
