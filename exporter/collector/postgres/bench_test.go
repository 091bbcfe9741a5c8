package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

// BenchmarkCollect measures one full scrape against the real server. Besides
// Go's time and allocations it reports pg-cpu-ms/op, the CPU the server's
// backend spent per scrape (read from /proc, so only when PostgreSQL runs on
// this machine); the budget is 2 ms.
func BenchmarkCollect(b *testing.B) {
	dsn := testenv.PostgresDSN(b)
	c, err := New(Config{Name: "bench", DSN: secret.Secret(dsn), MaxConns: 1}, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ch := make(chan prometheus.Metric, 4096)
	scrape := func() {
		if err := c.Update(ctx, ch); err != nil {
			b.Fatal(err)
		}
		for len(ch) > 0 {
			<-ch
		}
	}
	scrape() // connect and prepare outside the measurement

	var pid uint32
	if err := c.Pool().AcquireFunc(ctx, func(conn *pgxpool.Conn) error {
		pid = conn.Conn().PgConn().PID()
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	cpuBefore, cpuErr := backendCPU(pid)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		scrape()
	}
	b.StopTimer()

	if cpuErr != nil {
		b.Logf("server CPU not measured: %v", cpuErr)
		return
	}
	cpuAfter, err := backendCPU(pid)
	if err != nil {
		b.Logf("server CPU not measured: %v", err)
		return
	}
	b.ReportMetric(float64((cpuAfter-cpuBefore).Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
}

// backendCPU reads a local backend's user+system CPU time from /proc.
func backendCPU(pid uint32) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
	_, rest, ok := strings.Cut(string(raw), ") ")
	if !ok {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}
