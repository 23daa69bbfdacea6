-- 004_inspector.sql — enforcement on site: the violation life cycle and on-site reports of
-- codes that do not verify.
--
-- A violation starts `open` (recorded by the platform, or by the inspector whose on-site report
-- raised it) and moves forward only: open -> acknowledged -> resolved, or open/acknowledged ->
-- dismissed. Each step after `open` is a row of violation_events (who, when, note), written in
-- the same transaction as the status; resolved and dismissed are final.

CREATE FUNCTION violations_status_flow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'open' AND NEW.status IN ('acknowledged', 'resolved', 'dismissed'))
        OR (OLD.status = 'acknowledged' AND NEW.status IN ('resolved', 'dismissed'))) THEN
        RAISE EXCEPTION 'violation % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER violations_status_flow BEFORE UPDATE OF status ON violations
    FOR EACH ROW EXECUTE FUNCTION violations_status_flow();

-- New violations, whoever recorded them (a server's writer, an inspector's report, another
-- server): running servers tell the observers of /v1/violations/live. One notification per
-- statement that inserted rows; those of one transaction are folded into one.
CREATE FUNCTION violations_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('weldreg_violations', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER violations_notify AFTER INSERT ON violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION violations_notify();

-- Live alerts and catch-up read violations in id order within an inspector's communities.
CREATE INDEX violations_community_id ON violations (community_id, id);

-- An inspector scanned a code that did not verify (forged, tampered, expired, revoked, or
-- unreadable): the report keeps the text and the failed check in details.
ALTER TABLE onsite_reports DROP CONSTRAINT onsite_reports_kind_check;
ALTER TABLE onsite_reports ADD CONSTRAINT onsite_reports_kind_check
    CHECK (kind IN ('machine_without_chip', 'code_invalid', 'lead_confirmed', 'lead_rejected',
                    'inspection', 'other'));

-- A welder's name as inspectors see it on a card or a violation: the first character and one
-- star for each of the others (张三丰 -> 张**), so that a photographed screen leaks little.
CREATE FUNCTION weldreg_mask_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT left(name, 1) || repeat('*', greatest(char_length(name) - 1, 1))
$$;

-- The state of a licence on the China calendar day of @at, by the rules of core/licence.c
-- (licence_check): valid through the end of valid_until; the review must be recorded by the
-- end of review_due; "expiring" when it ends within 90 days.
CREATE FUNCTION weldreg_licence_state(licence_status text, valid_until date, review_due date,
                                      at timestamptz) RETURNS text
-- (not STRICT: the planner then inlines it into the counts query, 4 x faster)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN licence_status <> 'active' THEN 'revoked'
        WHEN (at AT TIME ZONE 'Asia/Shanghai')::date > valid_until THEN 'expired'
        WHEN (at AT TIME ZONE 'Asia/Shanghai')::date > review_due THEN 'review_overdue'
        WHEN valid_until < (at AT TIME ZONE 'Asia/Shanghai')::date + 90 THEN 'expiring'
        ELSE 'valid'
    END
$$;

-- Registering a machine links its principal (machines_link_principal): without this index
-- each registration scanned every principal, so enrolling 1 M machines took hours.
CREATE INDEX principals_machine ON principals (machine_id) WHERE machine_id IS NOT NULL;
