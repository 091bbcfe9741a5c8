package store

import (
	"context"
	"time"
)

// Queues of the job table. A worker claims from one queue; every queue
// shares the lease, renewal and ordering rules below.
const (
	QueueNotify    = "notify"
	QueueRemediate = "remediate"
)

// Jobs is the durable work queue behind receiver/jobs. The outbox table
// holds every queue; items are enqueued with Tx.Enqueue in the
// transaction that decided the work, and finished with CompleteOutbox or
// RetryOutbox. Safe concurrently across goroutines and replicas, as the
// outbox methods of Store.
type Jobs interface {
	// ClaimJobs claims up to limit due items of queue for owner until
	// now+lease, oldest first, and increments their Attempts. An item with
	// an OrderingKey is not claimable while an older item with the same
	// key is not done: one key's items run one at a time, in order.
	ClaimJobs(ctx context.Context, queue, owner string, limit int, lease time.Duration) ([]OutboxItem, error)
	// RenewJob extends owner's lease on a claimed item to now+lease while
	// the work runs. ErrLeaseLost if owner no longer holds it.
	RenewJob(ctx context.Context, id int64, owner string, lease time.Duration) error
	// ReleaseJob hands a claimed item back untouched (a clean shutdown):
	// the lease ends now and the attempt is not counted. ErrLeaseLost as
	// above.
	ReleaseJob(ctx context.Context, id int64, owner string) error
}
