#!/usr/bin/env bash
# Runs every test of the solution. PostgreSQL: uses ConnectionStrings__Postgres / ABANDONED_CART_TEST_POSTGRES when
# set, otherwise the tests start a throwaway cluster from the installed initdb/pg_ctl themselves.
# Real-Temporal scenario tests run when TEMPORAL_TEST_SERVER_PATH names a test server (or the SDK can download one)
# and are reported as skipped, with the reason, otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf TestResults
dotnet test AbandonedCart.Temporal.sln \
  --logger "trx;LogFileName=tests.trx" \
  --logger "console;verbosity=normal" \
  --results-directory TestResults "$@"
