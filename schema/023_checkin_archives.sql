-- 023_checkin_archives.sql — the months of check-ins archived and dropped past retention
-- (weldreg-server maintain, docs/operations.md "Data life cycle"), and the one transaction that
-- drops a month once its archive is written and read back.

-- One row per month dropped: where its archive is and what it held. Written in the transaction
-- that drops the month, so a month is listed here exactly when its partition is gone.
CREATE TABLE checkin_archives (
    partition       text PRIMARY KEY CHECK (partition ~ '^checkins_[0-9]{6}$'),
    month           date NOT NULL,
    file            text NOT NULL,
    rows            bigint NOT NULL CHECK (rows >= 0),
    sha256          bytea NOT NULL CHECK (octet_length(sha256) = 32),
    -- check-ins of the month kept because a violation refers to them (in checkins_default)
    kept            bigint NOT NULL CHECK (kept >= 0),
    dropped_at      timestamptz NOT NULL DEFAULT now()
);

-- The name of the partition of the month that holds @at.
CREATE FUNCTION weldreg_checkins_partition_name(at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 'checkins_' || to_char(weldreg_month_start(at) AT TIME ZONE 'Asia/Shanghai', 'YYYYMM')
$$;

-- The monthly partitions whose whole month lies before the @months months before this one
-- (this month and @months months before it are kept), oldest first.
CREATE FUNCTION weldreg_checkins_expired(months int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'checkins'::regclass AND c.relname ~ '^checkins_[0-9]{6}$'
      AND c.relname < weldreg_checkins_partition_name(
          weldreg_month_start(now()) - make_interval(months => months) + interval '14 days')
    ORDER BY 1
$$;

-- Drops monthly partition @name after its archive (@file, @sha256 of the file, @rows rows) was
-- verified: refuses if the partition holds another number of rows. The check-ins a violation
-- refers to move to checkins_default first (directly: the partitioned table's statement
-- triggers, keys and roll-ups, must not count them again) and keep their keys; the other keys of
-- the month go. Recorded in checkin_archives and the audit log. Returns the rows kept.
-- The detach waits for the statements reading checkins and holds back the writer's meanwhile:
-- it gives up after 2 s (a long count running), and the next pass tries again.
CREATE FUNCTION weldreg_checkins_drop(name text, file text, sha256 bytea, rows bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    held bigint;
    kept bigint;
BEGIN
    IF name !~ '^checkins_[0-9]{6}$' OR to_regclass(name) IS NULL THEN
        RAISE EXCEPTION 'no partition %', name;
    END IF;
    PERFORM set_config('lock_timeout', '2s', true);
    EXECUTE format('SELECT count(*) FROM %I', name) INTO held;
    IF held <> rows THEN
        RAISE EXCEPTION 'partition % holds % rows, its archive %', name, held, rows;
    END IF;
    EXECUTE format('DELETE FROM checkin_keys k USING %I c WHERE k.checkin_id = c.id'
                   ' AND NOT EXISTS (SELECT 1 FROM violations v WHERE v.checkin_id = c.id)', name);
    EXECUTE format('ALTER TABLE checkins DETACH PARTITION %I', name);
    EXECUTE format('INSERT INTO checkins_default SELECT * FROM %I c'
                   ' WHERE EXISTS (SELECT 1 FROM violations v WHERE v.checkin_id = c.id)', name);
    GET DIAGNOSTICS kept = ROW_COUNT;
    EXECUTE format('DROP TABLE %I', name);
    INSERT INTO checkin_archives (partition, month, file, rows, sha256, kept)
    VALUES (name, to_date(substr(name, 10), 'YYYYMM'), file, rows, sha256, kept);
    INSERT INTO audit_log (actor, action, entity, entity_id, after)
    VALUES ('weldreg-server maintain', 'checkins.archive_drop', 'checkins', name,
            jsonb_build_object('file', file, 'rows', rows, 'sha256', encode(sha256, 'hex'),
                               'kept', kept));
    RETURN kept;
END
$$;
