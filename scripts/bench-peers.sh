#!/usr/bin/env bash
# bench-peers.sh: golive's CPU and RSS per full scrape beside the three
# peers it replaces, measured at the same time so that load on a shared
# machine falls on all of them alike.
#
# Builds the exporter build of this tree (and, with BASE_REV, of that git
# revision too), starts it with host metrics, the local PostgreSQL and
# Redis and one HTTP probe, starts Debian's prometheus-node-exporter (its
# defaults), prometheus-postgres-exporter and prometheus-redis-exporter on
# the same servers, scrapes all of them round-robin SCRAPES times the way
# Prometheus does, and prints CPU per scrape, golive's share of the peers'
# sum, and RSS. See README, Performance.
#
# Environment: SCRAPES (200), BASE_REV (none), PG_DSN, REDIS_ADDR, GO (go).
set -euo pipefail

SCRAPES=${SCRAPES:-200}
PG_DSN=${PG_DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_ADDR=${REDIS_ADDR:-127.0.0.1:6379}
GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "building golive..."
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -tags exporteronly -o "$work/golive" .)
if [[ -n ${BASE_REV:-} ]]; then
	mkdir "$work/base"
	git -C "$root" archive "$BASE_REV" | tar -x -C "$work/base"
	(cd "$work/base" && CGO_ENABLED=0 "$GO" build -trimpath -tags exporteronly -o "$work/golive-base" .)
fi

probe_port=$(free_port)
cat >"$work/exporter.yml" <<EOT
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
    targets: ["http://127.0.0.1:$probe_port/-/healthy"]
EOT

names=() ports=()
start() { # name port argv...
	local name=$1 port=$2
	shift 2
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
	names+=("$name")
	ports+=("$port")
}
p=$probe_port
start golive "$p" "$work/golive" exporter --config.file="$work/exporter.yml" --web.listen-address="127.0.0.1:$p" --log.level=warn
if [[ -x $work/golive-base ]]; then
	p=$(free_port)
	start "golive@$BASE_REV" "$p" "$work/golive-base" exporter --config.file="$work/exporter.yml" --web.listen-address="127.0.0.1:$p" --log.level=warn
fi
p=$(free_port)
start node_exporter "$p" /usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:$p"
p=$(free_port)
start postgres_exporter "$p" env DATA_SOURCE_NAME="$PG_DSN" /usr/bin/prometheus-postgres-exporter --web.listen-address="127.0.0.1:$p"
p=$(free_port)
start redis_exporter "$p" /usr/bin/prometheus-redis-exporter -redis.addr="redis://$REDIS_ADDR" -web.listen-address="127.0.0.1:$p"

accept='application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
scrape() {
	curl -fs -o /dev/null -H "Accept: $accept" -H 'Accept-Encoding: gzip' \
		-H 'X-Prometheus-Scrape-Timeout-Seconds: 10' "http://127.0.0.1:$1/metrics"
}
ticks() { # utime+stime of PID
	local stat f
	stat=$(cat "/proc/$1/stat")
	read -r -a f <<<"${stat##*) }"
	echo $((f[11] + f[12]))
}
for port in "${ports[@]}"; do
	for _ in $(seq 50); do scrape "$port" && break; sleep 0.1; done
	scrape "$port" && scrape "$port" # warm up: connections
done

before=()
for i in "${!pids[@]}"; do before[i]=$(ticks "${pids[i]}"); done
for _ in $(seq "$SCRAPES"); do
	for port in "${ports[@]}"; do scrape "$port"; done
done
tck=$(getconf CLK_TCK)
peers=0
declare -A cpu
for i in "${!pids[@]}"; do
	cpu[${names[i]}]=$(awk -v d=$(($(ticks "${pids[i]}") - before[i])) -v t="$tck" -v n="$SCRAPES" 'BEGIN {printf "%.2f", d * 1000 / t / n}')
	case ${names[i]} in golive*) ;; *) peers=$(awk -v a="$peers" -v b="${cpu[${names[i]}]}" 'BEGIN {print a + b}') ;; esac
done
echo
echo "$SCRAPES scrapes each, round-robin (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for i in "${!pids[@]}"; do
	n=${names[i]}
	rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/${pids[i]}/status")
	share=""
	case $n in golive*) share=$(awk -v a="${cpu[$n]}" -v b="$peers" 'BEGIN {printf "%.2fx of the peers'"'"' sum", a / b}') ;; esac
	printf '%-22s %7s ms CPU per scrape  %6s MiB RSS  %s\n' "$n" "${cpu[$n]}" "$rss" "$share"
done
