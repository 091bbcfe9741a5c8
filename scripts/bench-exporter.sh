#!/usr/bin/env bash
# bench-exporter.sh: what one /metrics scrape costs, end to end.
#
# Builds golive twice: the exporter build (-tags exporteronly, what runs on
# every monitored host) and the default all-in-one build. For each, starts the
# exporter on this host's PostgreSQL and Redis (host collectors on, one HTTP
# probe of a local endpoint), does SCRAPES sequential scrapes the way
# Prometheus does (its Accept header, gzip, the timeout header), and prints exporter CPU per
# scrape, PostgreSQL backend CPU per scrape, RSS afterwards and scrape latency
# percentiles. The targets are checked on the exporter build, and on the
# all-in-one build too except for RSS, whose figure is printed for reference
# (see README, Performance). Exits 1 when a target is missed.
#
# It also runs scripts/rss-floor (the issue's mandated libraries and nothing
# else, see its comment) the same way and prints that program's RSS, so the
# RSS figures have their floor beside them.
#
# Environment: SCRAPES (200), PORT (19469), PG_DSN, REDIS_ADDR, GO (go),
# PSQL (psql; used only to find golive's backends in pg_stat_activity).
set -euo pipefail

SCRAPES=${SCRAPES:-200}
PORT=${PORT:-19469}
PG_DSN=${PG_DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_ADDR=${REDIS_ADDR:-127.0.0.1:6379}
GO=${GO:-go}
PSQL=${PSQL:-psql}

# Targets (see the exporter section of README).
MAX_CPU_MS=8
MAX_PG_CPU_MS=2
MAX_RSS_MIB=25
MAX_P50_MS=12

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
url="http://127.0.0.1:$PORT"
pid=""
stop() {
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=""
	fi
}
cleanup() {
	stop
	rm -rf "$work"
}
trap cleanup EXIT

echo "building golive (exporter build and all-in-one)..."
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -tags exporteronly -o "$work/golive-exporter" .)
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$work/golive" .)
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$work/rss-floor" scripts/rss-floor/main.go)

cat >"$work/exporter.yml" <<EOF
host:
  enabled: true
postgres:
  - name: primary
    dsn: "$PG_DSN"
redis:
  - name: main
    address: "$REDIS_ADDR"
modules:
  http_2xx:
    prober: http
    timeout: 5s
probes:
  - module: http_2xx
    targets: ["http://127.0.0.1:$PORT/-/healthy"]
EOF

tck=$(getconf CLK_TCK)
# cpu_ticks PID: utime+stime (fields 14 and 15 of /proc/PID/stat; the
# command name in field 2 may hold spaces, so count from after its ')').
cpu_ticks() {
	local stat rest f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	rest=${stat##*) }
	read -r -a f <<<"$rest"
	echo $((f[11] + f[12]))
}
pg_pids() {
	"$PSQL" "$PG_DSN" -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'golive'" 2>/dev/null || true
}
wait_ready() {
	for _ in $(seq 50); do
		curl -fs -o /dev/null "$url/-/ready" && return 0
		sleep 0.1
	done
	curl -fs -o /dev/null "$url/-/ready"
}
# A scrape as Prometheus 2.x makes it: its Accept list (OpenMetrics first;
# golive answers text/plain; version=0.0.4 all the same), gzip, and the
# timeout header.
accept='application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
scrape() {
	curl -fs -o /dev/null -H "Accept: $accept" -H 'Accept-Encoding: gzip' \
		-H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -w '%{time_total}\n' "$url/metrics"
}

# measure BINARY: runs its exporter for SCRAPES scrapes and sets cpu_ms,
# pg_ms, rss_mib, rss_anon_mib, rss_file_mib, p50, p95 and p99.
measure() {
	"$1" exporter --config.file="$work/exporter.yml" \
		--web.listen-address="127.0.0.1:$PORT" --log.level=warn 2>"$work/exporter.log" &
	pid=$!
	wait_ready || { echo "exporter did not start:"; cat "$work/exporter.log"; exit 1; }
	# Warm up: the first scrapes open the PostgreSQL and Redis connections.
	for _ in 1 2 3; do scrape >/dev/null; done

	local -A pg_before=()
	local p exp_before exp_after pg_ticks=0
	for p in $(pg_pids); do pg_before[$p]=$(cpu_ticks "$p"); done
	exp_before=$(cpu_ticks "$pid")
	: >"$work/latency"
	for _ in $(seq "$SCRAPES"); do scrape >>"$work/latency"; done
	exp_after=$(cpu_ticks "$pid")
	for p in $(pg_pids); do
		# A backend opened during the run counts from zero.
		pg_ticks=$((pg_ticks + $(cpu_ticks "$p") - ${pg_before[$p]:-0}))
	done
	# RSS = heap and stacks (anon) + the pages of the binary itself (file).
	rss_mib=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
	rss_anon_mib=$(awk '/^RssAnon:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
	rss_file_mib=$(awk '/^RssFile:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
	cpu_ms=$(awk -v d=$((exp_after - exp_before)) -v t="$tck" -v n="$SCRAPES" 'BEGIN {printf "%.2f", d * 1000 / t / n}')
	pg_ms=$(awk -v d="$pg_ticks" -v t="$tck" -v n="$SCRAPES" 'BEGIN {printf "%.2f", d * 1000 / t / n}')
	read -r p50 p95 p99 < <(sort -n "$work/latency" | awk '
		{ v[NR] = $1 * 1000 }
		END {
			i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999); i99 = int(NR * 0.99 + 0.999)
			printf "%.2f %.2f %.2f\n", v[i50], v[i95], v[i99]
		}')
	if [[ -s $work/exporter.log ]]; then
		echo "exporter warnings ($1):"
		head -20 "$work/exporter.log"
	fi
	stop
}

failed=0
check() { # name value unit max
	local verdict=ok
	if awk -v v="$2" -v m="$4" 'BEGIN {exit !(v > m)}'; then verdict=MISSED; failed=1; fi
	printf '%-34s %8s %-4s (target <= %s %s) %s\n' "$1" "$2" "$3" "$4" "$3" "$verdict"
}
report() { # title check-rss
	echo
	echo "$1, $SCRAPES sequential scrapes (CPU tick = $((1000 / tck)) ms)"
	check "exporter CPU per scrape" "$cpu_ms" ms "$MAX_CPU_MS"
	check "PostgreSQL backend CPU per scrape" "$pg_ms" ms "$MAX_PG_CPU_MS"
	if [[ $2 == yes ]]; then
		check "exporter RSS after" "$rss_mib" MiB "$MAX_RSS_MIB"
	else
		printf '%-34s %8s MiB  (for reference: the target is the exporter build'"'"'s)\n' "exporter RSS after" "$rss_mib"
	fi
	printf '%-34s %8s MiB anon + %s MiB file (binary)\n' "  of which" "$rss_anon_mib" "$rss_file_mib"
	check "scrape latency p50" "$p50" ms "$MAX_P50_MS"
	printf '%-34s %8s ms\n' "scrape latency p95" "$p95" "scrape latency p99" "$p99"
}

measure "$work/golive-exporter"
report "golive exporter build (-tags exporteronly)" yes
measure "$work/golive"
report "golive all-in-one build" no

# The floor: same scrapes, same GOGC and GOMAXPROCS defaults as the exporter,
# no golive code.
GOGC=${GOGC:-50} GOMAXPROCS=${GOMAXPROCS:-1} "$work/rss-floor" "127.0.0.1:$PORT" "$PG_DSN" "$REDIS_ADDR" 2>"$work/floor.log" &
pid=$!
wait_ready || { echo "rss-floor did not start:"; cat "$work/floor.log"; exit 1; }
for _ in $(seq $((SCRAPES + 3))); do scrape >/dev/null; done
floor_rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
stop
echo
printf '%-34s %8s MiB (scripts/rss-floor: the mandated libraries alone)\n' "RSS floor" "$floor_rss"
exit $failed
