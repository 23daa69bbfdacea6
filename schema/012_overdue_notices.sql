-- 012_overdue_notices.sql — a notice to the enterprise's responsible head when a violation's
-- rectification deadline (violations.rectify_by, 007_enforcement.sql) passes while it is still
-- open or acknowledged: kind violation_overdue, at most one per violation.
--
-- Time passing is no database event, so no trigger can write it: `weldreg-server notices` runs
-- weldreg_queue_overdue_notices() before each look at the outbox (docs/architecture.md,
-- "notices/"). The unique index makes the notice once-only whoever runs the statement and
-- however often: of two deliverers that find the same violation, the second waits for the
-- first's insert and then inserts nothing.

CREATE UNIQUE INDEX notices_overdue_once ON notices (violation_id)
    WHERE kind = 'violation_overdue';

-- The bodies of 010, with the deadline in the violation and, for violation_overdue, in the
-- message.
CREATE OR REPLACE FUNCTION weldreg_notice_bodies(notice_kind text, ids bigint[])
RETURNS TABLE (violation_id bigint, enterprise_id bigint, body jsonb)
LANGUAGE sql STABLE AS $$
    SELECT v.id, e.id, jsonb_build_object(
        'kind', notice_kind,
        'violation', jsonb_build_object('id', v.id, 'kind', v.kind, 'severity', v.severity,
            'status', v.status, 'occurred_at', v.occurred_at, 'machine', m.chip_id,
            'rectify_by', v.rectify_by),
        'enterprise', jsonb_build_object('id', e.id, 'uscc', e.uscc, 'name', e.name,
            'contact_name', e.contact_name, 'contact_phone', e.contact_phone),
        'community', jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name),
        'text', format('【焊接监管】%s：%s %s违规（%s，%s）%s，请主要负责人立即组织整改。',
            e.name, to_char(v.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
            coalesce('焊机 ' || m.chip_id || ' ', ''), v.kind,
            CASE v.severity WHEN 'critical' THEN '严重' WHEN 'warning' THEN '警告' ELSE '提示' END,
            CASE notice_kind WHEN 'violation_escalated' THEN '已升级'
                WHEN 'violation_overdue' THEN '已逾期未整改（整改期限 '
                    || to_char(v.rectify_by AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
                    || '）'
                ELSE '已立案' END))
    FROM violations v JOIN enterprises e ON e.id = v.enterprise_id
    JOIN communities c ON c.id = e.community_id
    LEFT JOIN machines m ON m.id = v.machine_id
    WHERE v.id = ANY (ids)
    ORDER BY v.id
$$;

-- Queues the overdue notices not yet queued; returns how many. The violations are found through
-- violations_overdue (rectify_by, only open and acknowledged rows), the notices already queued
-- through notices_overdue_once.
CREATE FUNCTION weldreg_queue_overdue_notices() RETURNS bigint
LANGUAGE sql AS $$
    WITH queued AS (
        INSERT INTO notices (kind, violation_id, enterprise_id, body)
        SELECT 'violation_overdue', b.violation_id, b.enterprise_id, b.body
        FROM weldreg_notice_bodies('violation_overdue', ARRAY(
            SELECT v.id FROM violations v
            WHERE v.status IN ('open', 'acknowledged') AND v.rectify_by < now()
              AND v.enterprise_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM notices n
                              WHERE n.violation_id = v.id AND n.kind = 'violation_overdue'))) b
        ON CONFLICT (violation_id) WHERE kind = 'violation_overdue' DO NOTHING
        RETURNING 1)
    SELECT count(*) FROM queued
$$;
