#!/usr/bin/env bash
# test-counts-rollups.sh — runs tests/integration/counts-rollups.c (the counts from the daily and
# monthly roll-ups equal the counts from the check-ins and violations themselves, as check-ins
# land and violations change) on a migrated database of its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="$WELDREG_BUILD_DIR/tests/counts-rollups"
[[ -x $BIN ]] || wr_fail "$BIN is not built"
wr_db_create counts_rollups
"$BIN" || wr_fail "counts-rollups failed"
wr_ok "the counts from the roll-ups equal the raw counts on $WR_DB_NAME"
