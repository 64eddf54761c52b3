#!/usr/bin/env bash
# Runs AbandonedCart.Temporal on this machine, starting only what is missing:
#   PostgreSQL  ConnectionStrings__Postgres if set, else a local cluster in .local/pg (installed binaries)
#   Temporal    Temporal__Address if reachable, else `temporal server start-dev`, else the CLI download the SDK uses,
#               else the in-memory stand-in (tests/TemporalStandIn; development only, waits fast-forwarded)
#   Worker      only when a Temporal server is reachable
#   Api         http://127.0.0.1:${API_PORT:-5080} (events, outbox page, health), also without Temporal
# Ctrl-C stops everything this script started (and only that).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
LOGS="$LOCAL/logs"
API_PORT="${API_PORT:-5080}"
API_URL="http://127.0.0.1:$API_PORT"
mkdir -p "$LOGS"

say() { printf '[run] %s\n' "$*"; }
warn() { printf '[run] %s\n' "$*" >&2; }

# What we started, so Ctrl-C stops exactly that.
CHILD_PIDS=()
PG_STARTED_DIR=""
cleanup() {
    trap - INT TERM EXIT
    say "stopping..."
    for pid in "${CHILD_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${CHILD_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$PG_STARTED_DIR" ]]; then
        as_postgres pg_ctl -D "$PG_STARTED_DIR" -m fast -w stop >/dev/null || true
    fi
    say "stopped"
}
trap cleanup INT TERM EXIT

# host:port reachable over TCP?
reachable() {
    local host="${1%:*}" port="${1##*:}"
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

free_port() {
    local port
    for port in $(seq "$1" $(($1 + 200))); do
        if ! reachable "127.0.0.1:$port"; then
            echo "$port"
            return
        fi
    done
    return 1
}

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
as_postgres() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    if [[ -n "${ConnectionStrings__Postgres:-}" ]]; then
        say "PostgreSQL: using ConnectionStrings__Postgres"
        return
    fi
    for tool in initdb pg_ctl psql; do
        command -v "$tool" >/dev/null || { warn "PostgreSQL: '$tool' not found. Install PostgreSQL 15+ or set ConnectionStrings__Postgres."; exit 1; }
    done

    local dir="$LOCAL/pg" data="$LOCAL/pg/data" port
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres "$dir"
    if [[ ! -f "$data/PG_VERSION" ]]; then
        say "PostgreSQL: creating a local cluster in .local/pg"
        as_postgres initdb -D "$data" -U postgres -A trust -E UTF8 >"$LOGS/initdb.log" 2>&1 \
            || { warn "initdb failed, see $LOGS/initdb.log"; exit 1; }
    fi
    if as_postgres pg_ctl -D "$data" status >/dev/null 2>&1; then
        port="$(cat "$dir/port")"
        say "PostgreSQL: local cluster already running on port $port"
    else
        port="$(free_port 5433)"
        echo "$port" >"$dir/port"
        as_postgres pg_ctl -D "$data" -l "$dir/postgres.log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null \
            || { warn "PostgreSQL failed to start, see $dir/postgres.log"; exit 1; }
        PG_STARTED_DIR="$data"
        say "PostgreSQL: local cluster started on port $port"
    fi
    if [[ "$(as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'abandoned_cart'")" != 1 ]]; then
        as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE abandoned_cart" >/dev/null
    fi
    export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$port;Username=postgres;Database=abandoned_cart"
}

# Our custom search attributes (Workflows/SearchAttributes.cs).
SEARCH_ATTRIBUTES=(CustomerId=Keyword Journey=Keyword CartValue=Double JourneyStage=Keyword LastChannel=Keyword)

start_temporal_dev() {
    local cli="$1" args=()
    for attribute in "${SEARCH_ATTRIBUTES[@]}"; do
        args+=(--search-attribute "$attribute")
    done
    say "Temporal: starting '$cli server start-dev' (UI http://127.0.0.1:8233)"
    "$cli" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 --db-filename "$LOCAL/temporal.db" "${args[@]}" \
        >"$LOGS/temporal.log" 2>&1 &
    CHILD_PIDS+=("$!")
    for _ in $(seq 1 60); do
        reachable 127.0.0.1:7233 && return 0
        sleep 0.5
    done
    warn "Temporal dev server did not come up, see $LOGS/temporal.log"
    return 1
}

# The same CLI archive Temporalio's WorkflowEnvironment.StartLocalAsync downloads at first use.
download_temporal_cli() {
    local arch url
    case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
    url="https://temporal.download/cli/archive/latest?platform=linux&arch=$arch"
    command -v curl >/dev/null || return 1
    say "Temporal: trying the CLI download ($url)"
    mkdir -p "$LOCAL/bin"
    curl -fsSL --max-time 60 --connect-timeout 10 "$url" -o "$LOCAL/bin/temporal.tar.gz" 2>>"$LOGS/temporal-download.log" \
        && tar -xzf "$LOCAL/bin/temporal.tar.gz" -C "$LOCAL/bin" temporal 2>>"$LOGS/temporal-download.log" \
        && chmod +x "$LOCAL/bin/temporal"
}

TEMPORAL_OK=0
start_temporal() {
    export Temporal__Address="${Temporal__Address:-localhost:7233}"
    if reachable "$Temporal__Address"; then
        say "Temporal: using $Temporal__Address"
        TEMPORAL_OK=1
        return
    fi
    if [[ "$Temporal__Address" != "localhost:7233" && "$Temporal__Address" != "127.0.0.1:7233" ]]; then
        warn "Temporal: $Temporal__Address is not reachable; starting a local dev server instead."
    fi
    export Temporal__Address="127.0.0.1:7233"
    local cli=""
    if command -v temporal >/dev/null; then
        cli="$(command -v temporal)"
    elif [[ -x "$LOCAL/bin/temporal" ]] || download_temporal_cli; then
        cli="$LOCAL/bin/temporal"
    fi
    if [[ -n "$cli" ]] && start_temporal_dev "$cli"; then
        TEMPORAL_OK=1
        return
    fi
    start_temporal_standin && return
    cat >&2 <<'MSG'
[run] ------------------------------------------------------------------------------------------
[run] No Temporal server could be had and the in-process stand-in did not start (see .local/logs/standin.log).
[run] Journeys will not run until a Temporal server is available. Install the Temporal CLI
[run] (https://docs.temporal.io/cli#install), run `docker compose -f temporal-dev.yml up`, or set Temporal__Address.
[run] Starting the Api anyway: events are stored (pending) and the outbox page works.
[run] ------------------------------------------------------------------------------------------
MSG
}

# No real server and no CLI: the in-memory stand-in from tests/TemporalStandIn (development only).
# FAST_FORWARD=1 (the default) skips every journey wait as soon as nothing else is outstanding.
start_temporal_standin() {
    say "Temporal: building the in-process stand-in (tests/TemporalStandIn)..."
    dotnet build "$ROOT/tests/TemporalStandIn/TemporalStandIn.csproj" >"$LOGS/standin-build.log" 2>&1 || return 1
    local args=(--port 7233)
    [[ "${FAST_FORWARD:-1}" == 1 ]] && args+=(--time-skipping)
    dotnet "$ROOT/tests/TemporalStandIn/bin/Debug/net10.0/AbandonedCart.TemporalStandIn.dll" "${args[@]}" >"$LOGS/standin.log" 2>&1 &
    CHILD_PIDS+=("$!")
    for _ in $(seq 1 60); do
        if reachable 127.0.0.1:7233; then
            warn "------------------------------------------------------------------------------------------"
            warn "Temporal: NO real Temporal server here. Using the IN-MEMORY STAND-IN for development"
            warn "(tests/TemporalStandIn): nothing survives a restart, one node, basic list only, no Web UI."
            [[ "${FAST_FORWARD:-1}" == 1 ]] && warn "Waits are fast-forwarded (time skipping); FAST_FORWARD=0 runs them in real time."
            warn "------------------------------------------------------------------------------------------"
            TEMPORAL_OK=1
            return 0
        fi
        sleep 0.5
    done
    return 1
}

start_postgres
start_temporal

if reachable "127.0.0.1:$API_PORT"; then
    warn "Port $API_PORT is in use; set API_PORT to another port."
    exit 1
fi

say "Building (logs in .local/logs/build.log)..."
dotnet build "$ROOT/Api/Api.csproj" >"$LOGS/build.log" 2>&1 && dotnet build "$ROOT/Worker/Worker.csproj" >>"$LOGS/build.log" 2>&1 \
    || { warn "Build failed, see $LOGS/build.log"; tail -20 "$LOGS/build.log" >&2; exit 1; }

# The built programs are run directly (not through `dotnet run`), so Ctrl-C reaches the processes themselves.
TFM=net10.0
export DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Development}" ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
# Development-only secrets so signed events and admin endpoints work on a laptop; set real ones in production.
# The admin key guards the outbox page (it shows addresses and working links): generated once, kept in .local/.
if [[ -z "${Admin__ApiKey:-}" ]]; then
    if [[ ! -s "$LOCAL/admin-key" ]]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$LOCAL/admin-key")
    fi
    Admin__ApiKey="$(cat "$LOCAL/admin-key")"
fi
# Every channel goes to the development outbox unless a Providers:* section is set; outside Development the hosts
# refuse that without Providers:Outbox=true.
export Webhooks__SigningSecret="${Webhooks__SigningSecret:-dev-signing-secret}" Admin__ApiKey Providers__Outbox="${Providers__Outbox:-true}"

if [[ "$TEMPORAL_OK" == 1 ]]; then
    (cd "$ROOT/Worker" && exec dotnet "bin/Debug/$TFM/AbandonedCart.Worker.dll") >"$LOGS/worker.log" 2>&1 &
    CHILD_PIDS+=("$!")
    say "Worker: started (logs in .local/logs/worker.log)"
fi

(cd "$ROOT/Api" && exec dotnet "bin/Debug/$TFM/AbandonedCart.Api.dll" --urls "$API_URL") >"$LOGS/api.log" 2>&1 &
API_PID=$!
CHILD_PIDS+=("$API_PID")
for _ in $(seq 1 120); do
    if curl -fs "$API_URL/health/live" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$API_PID" 2>/dev/null; then
        warn "Api exited, see $LOGS/api.log"
        tail -20 "$LOGS/api.log" >&2
        exit 1
    fi
    sleep 0.5
done

say "Ready:"
say "  Api          $API_URL   (POST /v1/events signed with Webhooks__SigningSecret, GET /health/ready)"
say "  OpenAPI      $API_URL/openapi   (admin endpoints: Authorization: Bearer \$Admin__ApiKey)"
say "  Outbox       $API_URL/outbox   (browser sign-in: user admin, password below)"
say "  Admin key    $Admin__ApiKey   (kept in .local/admin-key; also the /dashboard password)"
[[ "$TEMPORAL_OK" == 1 ]] && say "  Temporal     $Temporal__Address   (Web UI http://127.0.0.1:8233 when started here)"
say "  PostgreSQL   ${ConnectionStrings__Postgres%%;Username*}"
say "  Logs         .local/logs/"
say "Ctrl-C stops everything started here."
wait "$API_PID"
