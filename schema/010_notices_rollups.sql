-- 010_notices_rollups.sql — daily and monthly roll-ups of scans and violations, so that a year's
-- counts (GET /v1/counts, server/db/store_counts.c) read thousands of rows instead of millions
-- of check-ins; and the outbox of notices to enterprises' responsible heads.
--
-- Roll-ups. Each row counts the events of one China calendar day (grain 'day', starts = that
-- day) or one calendar month (grain 'month', starts = its first day). Triggers keep them
-- current in the transaction that writes the check-ins or changes the violations, once per
-- statement (a writer's batch is one statement). A period is answered from its whole months'
-- rows and the days before and after them. Scans count for the enterprise that owned the machine
-- when the scan was received; violations for their own community and enterprise (0 for none)
-- and by their status now.

CREATE TABLE scan_rollups (
    grain          text NOT NULL CHECK (grain IN ('day', 'month')),
    starts         date NOT NULL,
    enterprise_id  bigint NOT NULL,
    scans          bigint NOT NULL,
    approvals      bigint NOT NULL,
    denials        bigint NOT NULL,
    PRIMARY KEY (grain, starts, enterprise_id)
);
CREATE TABLE denial_rollups (
    grain          text NOT NULL CHECK (grain IN ('day', 'month')),
    starts         date NOT NULL,
    enterprise_id  bigint NOT NULL,
    reason         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (grain, starts, enterprise_id, reason)
);
CREATE TABLE violation_rollups (
    grain          text NOT NULL CHECK (grain IN ('day', 'month')),
    starts         date NOT NULL,
    community_id   bigint NOT NULL,
    enterprise_id  bigint NOT NULL,
    kind           text NOT NULL,
    open           bigint NOT NULL,
    acknowledged   bigint NOT NULL,
    resolved       bigint NOT NULL,
    dismissed      bigint NOT NULL,
    PRIMARY KEY (grain, starts, community_id, enterprise_id, kind)
);

-- The day and month rows an event at @at is counted in.
CREATE FUNCTION weldreg_rollup_grains(at timestamptz)
RETURNS TABLE (grain text, starts date)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'day', (at AT TIME ZONE 'Asia/Shanghai')::date
    UNION ALL SELECT 'month', date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date
$$;

-- The statement that adds the violations of @src to the roll-ups: @src yields violations'
-- columns and d, +1 for a row that counts and -1 for one that no longer does (the old version
-- of an updated or deleted row). Run by the triggers on their transition tables, and once below
-- on the existing rows. Rows are upserted in key order, so that two writers never wait for each
-- other in a cycle.
CREATE FUNCTION weldreg_violation_rollups_sql(src text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'INSERT INTO violation_rollups AS r (grain, starts, community_id, enterprise_id, kind,'
        ' open, acknowledged, resolved, dismissed)'
        ' SELECT g.grain, g.starts, coalesce(v.community_id, 0), coalesce(v.enterprise_id, 0),'
        ' v.kind, coalesce(sum(v.d) FILTER (WHERE v.status = ''open''), 0),'
        ' coalesce(sum(v.d) FILTER (WHERE v.status = ''acknowledged''), 0),'
        ' coalesce(sum(v.d) FILTER (WHERE v.status = ''resolved''), 0),'
        ' coalesce(sum(v.d) FILTER (WHERE v.status = ''dismissed''), 0)'
        ' FROM (%s) v, weldreg_rollup_grains(v.occurred_at) g GROUP BY 1, 2, 3, 4, 5'
        ' ORDER BY 1, 2, 3, 4, 5'
        ' ON CONFLICT (grain, starts, community_id, enterprise_id, kind) DO UPDATE SET'
        ' open = r.open + EXCLUDED.open, acknowledged = r.acknowledged + EXCLUDED.acknowledged,'
        ' resolved = r.resolved + EXCLUDED.resolved, dismissed = r.dismissed + EXCLUDED.dismissed',
        src)
$$;

-- The scans of a batch of check-ins (static statements: their plans are kept, where a dynamic
-- statement was planned at every batch and cost twice as much). A batch without scans (the
-- heartbeats) costs one look at its rows.
CREATE FUNCTION checkins_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE ev = 'scan') THEN
        RETURN NULL;
    END IF;
    INSERT INTO scan_rollups AS r (grain, starts, enterprise_id, scans, approvals, denials)
    SELECT g.grain, g.starts, m.enterprise_id, count(*), count(*) FILTER (WHERE c.ok),
           count(*) FILTER (WHERE NOT c.ok)
    FROM new_rows c JOIN machines m ON m.id = c.machine_id, weldreg_rollup_grains(c.received_at) g
    WHERE c.ev = 'scan' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (grain, starts, enterprise_id) DO UPDATE SET scans = r.scans + EXCLUDED.scans,
        approvals = r.approvals + EXCLUDED.approvals, denials = r.denials + EXCLUDED.denials;
    INSERT INTO denial_rollups AS r (grain, starts, enterprise_id, reason, n)
    SELECT g.grain, g.starts, m.enterprise_id, x.reason, count(*)
    FROM new_rows c JOIN machines m ON m.id = c.machine_id, weldreg_rollup_grains(c.received_at) g,
         unnest(c.reasons) x(reason)
    WHERE c.ev = 'scan' AND NOT c.ok GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (grain, starts, enterprise_id, reason) DO UPDATE SET n = r.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER checkins_rollup AFTER INSERT ON checkins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION checkins_rollup();

-- Inserted rows count once, deleted ones no longer, updated ones move (status, kind, day).
CREATE FUNCTION violations_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL; -- the writer's statement inserts violations only for some batches
        END IF;
    END IF;
    EXECUTE weldreg_violation_rollups_sql(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS d FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS d FROM old_rows'
        ELSE 'SELECT *, 1 AS d FROM new_rows UNION ALL SELECT *, -1 FROM old_rows' END);
    RETURN NULL;
END
$$;
CREATE TRIGGER violations_rollup_insert AFTER INSERT ON violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION violations_rollup();
CREATE TRIGGER violations_rollup_update AFTER UPDATE ON violations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION violations_rollup();
CREATE TRIGGER violations_rollup_delete AFTER DELETE ON violations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION violations_rollup();

-- What was recorded before this migration: the scans as checkins_rollup() adds them, then the
-- violations.
INSERT INTO scan_rollups (grain, starts, enterprise_id, scans, approvals, denials)
SELECT g.grain, g.starts, m.enterprise_id, count(*), count(*) FILTER (WHERE c.ok),
       count(*) FILTER (WHERE NOT c.ok)
FROM checkins c JOIN machines m ON m.id = c.machine_id, weldreg_rollup_grains(c.received_at) g
WHERE c.ev = 'scan' GROUP BY 1, 2, 3;
INSERT INTO denial_rollups (grain, starts, enterprise_id, reason, n)
SELECT g.grain, g.starts, m.enterprise_id, x.reason, count(*)
FROM checkins c JOIN machines m ON m.id = c.machine_id, weldreg_rollup_grains(c.received_at) g,
     unnest(c.reasons) x(reason)
WHERE c.ev = 'scan' AND NOT c.ok GROUP BY 1, 2, 3, 4;
DO $$
BEGIN
    EXECUTE weldreg_violation_rollups_sql('SELECT *, 1 AS d FROM violations');
END
$$;

-- Notices to an enterprise's responsible head (通知到主要负责人): a row of the outbox is written
-- by the transaction that opens or escalates the violation, and `weldreg-server notices`
-- delivers it to the configured webhook (docs/operator-guide.md, "Notices"), retrying with
-- back-off until the receiver answers 2xx. The idempotency key goes with every attempt, so a
-- receiver that saw an attempt whose answer was lost recognises the retry. Kinds:
-- violation_opened, violation_escalated (its severity rose); more to come (violation_overdue).
CREATE TABLE notices (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,63}$'),
    violation_id     bigint REFERENCES violations ON DELETE CASCADE,
    enterprise_id    bigint NOT NULL REFERENCES enterprises,
    idempotency_key  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    body             jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    delivered_at     timestamptz
);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX notices_violation ON notices (violation_id);

-- What the receiver gets for @notice_kind about each violation of @ids that names an
-- enterprise: the violation, its enterprise with the responsible head's name and phone (for an
-- SMS gateway), and a message in Chinese. One statement for a whole batch of violations. (The
-- parameter is not called kind: in a SQL function a column of that name would win.)
CREATE FUNCTION weldreg_notice_bodies(notice_kind text, ids bigint[])
RETURNS TABLE (violation_id bigint, enterprise_id bigint, body jsonb)
LANGUAGE sql STABLE AS $$
    SELECT v.id, e.id, jsonb_build_object(
        'kind', notice_kind,
        'violation', jsonb_build_object('id', v.id, 'kind', v.kind, 'severity', v.severity,
            'status', v.status, 'occurred_at', v.occurred_at, 'machine', m.chip_id),
        'enterprise', jsonb_build_object('id', e.id, 'uscc', e.uscc, 'name', e.name,
            'contact_name', e.contact_name, 'contact_phone', e.contact_phone),
        'community', jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name),
        'text', format('【焊接监管】%s：%s %s违规（%s，%s）%s，请主要负责人立即组织整改。',
            e.name, to_char(v.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
            coalesce('焊机 ' || m.chip_id || ' ', ''), v.kind,
            CASE v.severity WHEN 'critical' THEN '严重' WHEN 'warning' THEN '警告' ELSE '提示' END,
            CASE notice_kind WHEN 'violation_escalated' THEN '已升级' ELSE '已立案' END))
    FROM violations v JOIN enterprises e ON e.id = v.enterprise_id
    JOIN communities c ON c.id = e.community_id
    LEFT JOIN machines m ON m.id = v.machine_id
    WHERE v.id = ANY (ids)
    ORDER BY v.id
$$;

CREATE FUNCTION violations_notice_opened() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    INSERT INTO notices (kind, violation_id, enterprise_id, body)
    SELECT 'violation_opened', b.violation_id, b.enterprise_id, b.body
    FROM weldreg_notice_bodies('violation_opened',
        ARRAY(SELECT id FROM new_rows WHERE enterprise_id IS NOT NULL)) b;
    RETURN NULL;
END
$$;
CREATE TRIGGER violations_notice_opened AFTER INSERT ON violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION violations_notice_opened();

CREATE FUNCTION weldreg_severity_rank(severity text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_position(ARRAY['info', 'warning', 'critical'], severity)
$$;

CREATE FUNCTION violations_notice_escalated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notices (kind, violation_id, enterprise_id, body)
    SELECT 'violation_escalated', b.violation_id, b.enterprise_id, b.body
    FROM weldreg_notice_bodies('violation_escalated', ARRAY[NEW.id]) b;
    RETURN NULL;
END
$$;
CREATE TRIGGER violations_notice_escalated AFTER UPDATE OF severity ON violations
    FOR EACH ROW WHEN (NEW.enterprise_id IS NOT NULL
        AND weldreg_severity_rank(NEW.severity) > weldreg_severity_rank(OLD.severity))
    EXECUTE FUNCTION violations_notice_escalated();
