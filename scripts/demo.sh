#!/usr/bin/env bash
# demo.sh — the development data `./dev run` adds to an empty registry, so that a new user has
# something to look at and scan: two communities, an enterprise, a machine with its signed code
# (recorded like an issued code) and that code's printable label, var/demo/label.pdf. Run again,
# it changes nothing that exists; the label is written again from the recorded code.
# Sourced by ./dev (needs DEV_ROOT, DEV_VAR, DEV_CONF, DATABASE_URL); defines demo_seed.

DEMO_CHIP=WR-DEMO-01
DEMO_DIR="$DEV_VAR/demo"

demo_psql() {
    psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"
}

# demo_registry adds the communities, the enterprise and the machine (if missing).
demo_registry() {
    demo_psql <<'SQL'
INSERT INTO communities (code, name, district) VALUES
    ('DEMO-DJ', '东街社区', '示例街道'), ('DEMO-XJ', '西街社区', '示例街道')
    ON CONFLICT (code) DO NOTHING;
INSERT INTO enterprises (uscc, name, community_id, address)
    SELECT '91410183MA44DEMW0X', '示例焊接厂', id, '东街 1 号' FROM communities WHERE code = 'DEMO-DJ'
    ON CONFLICT (uscc) DO NOTHING;
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    SELECT 'WR-DEMO-01', 'fusion', id, '王师傅' FROM enterprises WHERE uscc = '91410183MA44DEMW0X'
    ON CONFLICT (chip_id) DO NOTHING;
SQL
}

# demo_code prints the demo machine's live code text, issuing and recording one if it has none.
demo_code() {
    local weldtag="$DEV_ROOT/build/tag-reader/weldtag" text ent cti kid
    text=$(demo_psql -c "SELECT c.text FROM codes c JOIN machines m ON m.id = c.machine_id
        WHERE m.chip_id = '$DEMO_CHIP' AND c.revoked_at IS NULL AND c.expires_at > now()
          AND c.text IS NOT NULL ORDER BY c.issued_at DESC LIMIT 1")
    if [[ -z $text ]]; then
        ent=$(demo_psql -c "SELECT enterprise_id FROM machines WHERE chip_id = '$DEMO_CHIP'")
        text=$("$weldtag" issue machine --chip "$DEMO_CHIP" --ent "$ent" --cat fusion \
            --signing-key "$DEV_ROOT/certs/out/signing.key" --iss dev 2>/dev/null) ||
            dev_die "could not issue the demo machine's code"
        read -r cti kid < <("$weldtag" read "$text" |
            awk '/^code id:/ {c = $3} /^key id:/ {k = $3} END {print c, k}')
        demo_psql -c "INSERT INTO codes (cti, kind, machine_id, kid, expires_at, text)
            SELECT decode('$cti', 'hex'), 'machine', id, decode('$kid', 'hex'),
                   now() + interval '365 days', '$text' FROM machines WHERE chip_id = '$DEMO_CHIP'" ||
            dev_die "could not record the demo machine's code"
    fi
    printf '%s\n' "$text"
}

# demo_seed adds what is missing and writes var/demo/label.pdf.
demo_seed() {
    local text
    demo_registry || dev_die "could not add the demo registry"
    text=$(demo_code)
    mkdir -p "$DEMO_DIR"
    printf '%s\tChip %s\n' "$text" "$DEMO_CHIP" >"$DEMO_DIR/labels.txt"
    "$DEV_ROOT/build/tag-reader/weldtag" labels "$DEMO_DIR/labels.txt" \
        --out "$DEMO_DIR/label.pdf" >/dev/null || dev_die "could not write the demo label"
}

# demo_enterprise_id prints the id of the demo enterprise, the development officer's and
# approver's.
demo_enterprise_id() {
    demo_psql -c "SELECT id FROM enterprises WHERE uscc = '91410183MA44DEMW0X'"
}

# demo_community_id prints the id of the demo community the development inspector works in.
demo_community_id() {
    demo_psql -c "SELECT id FROM communities WHERE code = 'DEMO-DJ'"
}
