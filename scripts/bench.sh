#!/usr/bin/env bash
# Load benchmark of the durable inbox: signed single events into POST /v1/events from a second process, beside
# pgbench single-row inserts at the same concurrency on the same PostgreSQL. Durable settings (fsync and
# synchronous_commit on), the relay off (Inbox__RelayEnabled=false) so only acceptance into the inbox is measured.
# Both sides use prepared statements (Npgsql "Max Auto Prepare", pgbench -M prepared).
# Usage: scripts/bench.sh [concurrency=16] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
CONCURRENCY="${1:-16}"
SECONDS_RUN="${2:-20}"
WORK="$(mktemp -d /tmp/acbench-XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
API_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_postgres() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [[ -n "${API_PID:-}" ]] && kill "$API_PID" 2>/dev/null || true
    as_postgres pg_ctl -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[[ "$(id -u)" == 0 ]] && chown postgres "$WORK"

as_postgres initdb -D "$WORK/data" -U postgres -A trust -E UTF8 >/dev/null
as_postgres pg_ctl -D "$WORK/data" -l "$WORK/pg.log" -w -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE abandoned_cart"

dotnet build -c Release bench/LoadBench/LoadBench.csproj >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
(cd Api && exec env ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=abandoned_cart;Maximum Pool Size=64;Max Auto Prepare=20" \
    Webhooks__SigningSecret=bench-secret Inbox__RelayEnabled=false Temporal__Address=127.0.0.1:1 \
    Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Providers__Outbox=true \
    dotnet bin/Release/net10.0/AbandonedCart.Api.dll --urls "http://127.0.0.1:$API_PORT") >"$WORK/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$API_PORT/health/live" >/dev/null && break; sleep 0.5; done

echo "== Api: signed single events, concurrency $CONCURRENCY, ${SECONDS_RUN}s"
dotnet bench/LoadBench/bin/Release/net10.0/AbandonedCart.LoadBench.dll "http://127.0.0.1:$API_PORT" bench-secret "$CONCURRENCY" "$SECONDS_RUN"

echo "== pgbench: single-row inserts (same table shape), concurrency $CONCURRENCY, ${SECONDS_RUN}s"
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d abandoned_cart -qc \
    "CREATE TABLE bench_events (id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, customer_id text NOT NULL, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
cat >"$WORK/insert.sql" <<'SQL'
INSERT INTO bench_events (event_id, customer_id, payload) VALUES (md5(random()::text || clock_timestamp()::text), 'bench', '{"type":"cart_updated","items":[{"sku":"A1","price":19.9}]}');
SQL
(cd "$WORK" && pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c "$CONCURRENCY" -j 2 -T "$SECONDS_RUN" -l -f insert.sql abandoned_cart | grep -E "tps|latency average")
cat "$WORK"/pgbench_log.* | awk '{print $3/1000}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50_ms=%.2f p99_ms=%.2f\n", a[int(NR*0.5)], a[int(NR*0.99)]}'
