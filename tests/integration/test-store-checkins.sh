#!/usr/bin/env bash
# test-store-checkins.sh — runs tests/integration/store-checkins.c (store_write_checkins()
# against a real PostgreSQL: the bulk statement's edge cases, the retry of a failed batch, the
# order of session changes within a batch) on a migrated database of its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="$WELDREG_BUILD_DIR/tests/store-checkins"
[[ -x $BIN ]] || wr_fail "$BIN is not built"
wr_db_create store_checkins
"$BIN" || wr_fail "store-checkins failed"
wr_ok "store_write_checkins against $WR_DB_NAME"
