//go:build unix

package sqlite

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// checkFree fails when dir's filesystem has less than min bytes free for
// an unprivileged writer: SQLite reuses its WAL's space, so a small test
// write can succeed on a full disk while the next large webhook fails.
func checkFree(dir string, minFree int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize) //nolint:gosec // block counts fit int64
	if free < minFree {
		return fmt.Errorf("%s: %d bytes free, less than the %d one webhook may need", dir, free, minFree)
	}
	return nil
}
