#!/usr/bin/env bash
# bench-exporter.sh: what one /metrics scrape costs, end to end.
#
# Builds golive, starts the exporter on this host's PostgreSQL and Redis
# (host collectors on, one HTTP probe of a local endpoint), does SCRAPES
# sequential scrapes the way Prometheus does (with the timeout header), and
# prints exporter CPU per scrape, PostgreSQL backend CPU per scrape, RSS
# afterwards and scrape latency percentiles, each against its target.
# Exits 1 when a target is missed. It also runs scripts/rss-floor (the
# issue's mandated libraries and nothing else, see its comment) the same way
# and prints that program's RSS, so the RSS figure has its floor beside it.
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
pid=""
cleanup() {
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building golive..."
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$work/golive" .)

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

"$work/golive" exporter --config.file="$work/exporter.yml" \
	--web.listen-address="127.0.0.1:$PORT" --log.level=warn 2>"$work/exporter.log" &
pid=$!

url="http://127.0.0.1:$PORT"
for _ in $(seq 50); do
	curl -fs -o /dev/null "$url/-/ready" && break
	sleep 0.1
done
curl -fs -o /dev/null "$url/-/ready" || { echo "exporter did not start:"; cat "$work/exporter.log"; exit 1; }

scrape() {
	curl -fs -o /dev/null -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -w '%{time_total}\n' "$url/metrics"
}
# Warm up: the first scrapes open the PostgreSQL and Redis connections.
for _ in 1 2 3; do scrape >/dev/null; done

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
declare -A pg_before
for p in $(pg_pids); do pg_before[$p]=$(cpu_ticks "$p"); done
exp_before=$(cpu_ticks "$pid")

: >"$work/latency"
for _ in $(seq "$SCRAPES"); do scrape >>"$work/latency"; done

exp_after=$(cpu_ticks "$pid")
pg_ticks=0
for p in $(pg_pids); do
	# A backend opened during the run counts from zero.
	pg_ticks=$((pg_ticks + $(cpu_ticks "$p") - ${pg_before[$p]:-0}))
done
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
# RSS = heap and stacks (anon) + the pages of the binary itself (file).
rss_anon_mib=$(awk '/^RssAnon:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
rss_file_mib=$(awk '/^RssFile:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")

cpu_ms=$(awk -v d=$((exp_after - exp_before)) -v t="$tck" -v n="$SCRAPES" 'BEGIN {printf "%.2f", d * 1000 / t / n}')
pg_ms=$(awk -v d="$pg_ticks" -v t="$tck" -v n="$SCRAPES" 'BEGIN {printf "%.2f", d * 1000 / t / n}')
rss_mib=$(awk -v k="$rss_kib" 'BEGIN {printf "%.1f", k / 1024}')
read -r p50 p95 p99 < <(sort -n "$work/latency" | awk '
	{ v[NR] = $1 * 1000 }
	END {
		i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999); i99 = int(NR * 0.99 + 0.999)
		printf "%.2f %.2f %.2f\n", v[i50], v[i95], v[i99]
	}')

failed=0
check() { # name value unit max
	local verdict=ok
	if awk -v v="$2" -v m="$4" 'BEGIN {exit !(v > m)}'; then verdict=MISSED; failed=1; fi
	printf '%-34s %8s %-4s (target <= %s %s) %s\n' "$1" "$2" "$3" "$4" "$3" "$verdict"
}
echo
echo "golive exporter, $SCRAPES sequential scrapes (CPU tick = $((1000 / tck)) ms)"
check "exporter CPU per scrape" "$cpu_ms" ms "$MAX_CPU_MS"
check "PostgreSQL backend CPU per scrape" "$pg_ms" ms "$MAX_PG_CPU_MS"
check "exporter RSS after" "$rss_mib" MiB "$MAX_RSS_MIB"
printf '%-34s %8s MiB anon + %s MiB file (binary)\n' "  of which" "$rss_anon_mib" "$rss_file_mib"
check "scrape latency p50" "$p50" ms "$MAX_P50_MS"
printf '%-34s %8s ms\n' "scrape latency p95" "$p95" "scrape latency p99" "$p99"

# The floor: same scrapes, same GOGC as the exporter's default, no golive code.
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""
floor_rss=$(
	cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$work/rss-floor" scripts/rss-floor/main.go
	GOGC=${GOGC:-50} "$work/rss-floor" "127.0.0.1:$PORT" "$PG_DSN" "$REDIS_ADDR" 2>"$work/floor.log" &
	fpid=$!
	for _ in $(seq 50); do curl -fs -o /dev/null "$url/-/ready" && break; sleep 0.1; done
	for _ in $(seq $((SCRAPES + 3))); do curl -fs -o /dev/null "$url/metrics" || true; done
	awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$fpid/status"
	kill "$fpid"
	wait "$fpid" 2>/dev/null || true
)
printf '%-34s %8s MiB (scripts/rss-floor: the mandated libraries alone)\n' "  RSS floor" "${floor_rss:-?}"
if [[ -s $work/exporter.log ]]; then
	echo
	echo "exporter warnings:"
	head -20 "$work/exporter.log"
fi
exit $failed
