//go:build ignore

// rss-floor is the smallest exporter the mandated libraries allow:
// client_golang with the Go and process collectors, exporter-toolkit's web
// config, a pgx pool, a go-redis client, miekg/dns and pro-bing linked in,
// and per scrape one pg_stat_database query, one Redis INFO and one HTTP GET.
// It has no config file, no host collectors and no receiver. Its RSS is the
// floor under any exporter built from these libraries; scripts/bench-rss-floor.sh
// measures it the way scripts/bench-exporter.sh measures golive.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/miekg/dns"
	probing "github.com/prometheus-community/pro-bing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/redis/go-redis/v9"
)

// Linked in as the real exporter links them (their package inits run).
var (
	_ = new(dns.Msg)
	_ = probing.New
)

func main() {
	listen, pgDSN, redisAddr := os.Args[1], os.Args[2], os.Args[3]
	pool, err := pgxpool.New(context.Background(), pgDSN)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	reg := prometheus.NewRegistry()
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "floor_value", Help: "One value per source."}, []string{"source"})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), up)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	client := &http.Client{Timeout: 5 * time.Second}

	mux := http.NewServeMux()
	mux.HandleFunc("/-/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/-/healthy", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if rows, err := pool.Query(ctx, "SELECT datname, xact_commit FROM pg_stat_database WHERE datname IS NOT NULL"); err == nil {
			for rows.Next() {
				var name string
				var commits int64
				if rows.Scan(&name, &commits) == nil {
					up.WithLabelValues(name).Set(float64(commits))
				}
			}
			rows.Close()
		}
		if info, err := rdb.Info(ctx, "all").Result(); err == nil {
			up.WithLabelValues("redis").Set(float64(len(info)))
		}
		if req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/-/healthy", nil); err == nil {
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				up.WithLabelValues("http").Set(float64(resp.StatusCode))
			}
		}
		metrics.ServeHTTP(w, r)
	})
	noConfig := ""
	flags := &web.FlagConfig{WebListenAddresses: &[]string{listen}, WebConfigFile: &noConfig}
	if err := web.ListenAndServe(&http.Server{Handler: mux}, flags, slog.New(slog.DiscardHandler)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
