package store

import (
	"context"
	"time"
)

type timeoutKey struct{}

// WithTimeout lets the calls made with ctx take up to d instead of the
// store's own bound, when d is longer: a webhook of 20,000 alerts needs
// more than one of ten. ctx's own deadline still applies.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

// TimeoutFrom is what WithTimeout set.
func TimeoutFrom(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(timeoutKey{}).(time.Duration)
	return d, ok
}
