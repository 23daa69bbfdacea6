#!/usr/bin/env bash
# test-refresh.sh — a change made while the running server reloads its view is not lost. The
# reload is held on a lock after it has read the principals; a principal added meanwhile sends
# its NOTIFY while the refresher waits for its query, so libpq queues it rather than leaving it
# on the socket. The server must reload again and let the new principal in.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_db_create refresh
wr_provision machine WR-R-0001 >/dev/null
wr_server_start
URI="coaps://127.0.0.1:$WR_PORT/.well-known/core"

# knows IDENTITY PSKFILE: true when the server lets IDENTITY in (a GET it answers).
knows() {
    timeout 10 coap-client-openssl -m get -u "$1" -k "$(cat "$2")" -B 3 "$URI" >"$WR_TMP/err" 2>&1 &&
        grep -q 'v1/checkins' "$WR_TMP/err"
}

loads() { grep -c 'event=registry_loaded' "$WR_SERVER_LOG" || true; }

# 1. Hold the registry's tables for 3 s, so that the next reload stops after the principals.
before=$(loads)
psql -XAtq -d "$DATABASE_URL" -c \
    "BEGIN; LOCK TABLE codes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
sleep 0.5
# 2. A first change starts a reload, which reads the principals and waits for the lock.
wr_provision machine WR-R-0002 >/dev/null
sleep 1
# 3. A second change while that reload waits.
late_psk=$(wr_provision machine WR-R-0003)
wait "$locker"
# 4. The second change must be seen: the server reloads again by itself.
ok=0
for _ in $(seq 50); do
    if knows WR-R-0003 "$late_psk"; then
        ok=1
        break
    fi
    sleep 0.2
done
((ok == 1)) || { tail -20 "$WR_SERVER_LOG"; wr_fail "a principal added during a reload was never loaded"; }
(($(loads) >= before + 2)) || wr_fail "expected two reloads, saw $(($(loads) - before))"
wr_ok "a principal added while the view was being reloaded is let in ($(($(loads) - before)) reloads)"

# 5. Views larger than one chunk of the loader's cursor (10,000 rows): every row is read.
before=$(loads)
psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" >/dev/null <<'SQL'
BEGIN;
INSERT INTO communities (code, name, district) VALUES ('chunks', 'Chunks', 'Lixia');
INSERT INTO enterprises (uscc, name, community_id)
    SELECT '91370100MA3C0CHNKX', 'Chunk Welding Co.', id FROM communities WHERE code = 'chunks';
INSERT INTO principals (identity, role, cert_cn)
    SELECT 'WR-CHUNK-' || g, 'machine', 'WR-CHUNK-' || g FROM generate_series(1, 25001) g;
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    SELECT 'WR-CHUNK-' || g, 'fusion', e.id, 'Keeper'
    FROM generate_series(1, 25001) g, enterprises e WHERE e.uscc = '91370100MA3C0CHNKX';
COMMIT;
SQL
want_p=$(psql -XAtq -d "$DATABASE_URL" -c "SELECT count(*) FROM principals WHERE disabled_at IS NULL")
want_m=$(psql -XAtq -d "$DATABASE_URL" -c "SELECT count(*) FROM machines")
for _ in $(seq 100); do
    grep -q "event=registry_loaded principals=$want_p machines=$want_m " "$WR_SERVER_LOG" && break
    sleep 0.2
done
grep -q "event=registry_loaded principals=$want_p machines=$want_m " "$WR_SERVER_LOG" || {
    grep 'event=registry_loaded' "$WR_SERVER_LOG" | tail -3
    wr_fail "expected a view of $want_p principals and $want_m machines"
}
wr_ok "views of $want_p principals and $want_m machines read in chunks, every row"

# 6. An enterprise moved to another community reloads the view (the machines' community is the
# enterprise's): no other change follows it here.
before=$(loads)
psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" >/dev/null <<'SQL'
INSERT INTO communities (code, name, district) VALUES ('moved', 'Moved', 'Lixia');
UPDATE enterprises SET community_id = (SELECT id FROM communities WHERE code = 'moved')
    WHERE uscc = '91370100MA3C0CHNKX';
SQL
for _ in $(seq 100); do
    (($(loads) > before)) && break
    sleep 0.2
done
(($(loads) > before)) || wr_fail "moving an enterprise to another community did not reload the view"
wr_ok "an enterprise moved to another community reloads the view"

wr_server_stop
echo "test-refresh: all checks passed"
