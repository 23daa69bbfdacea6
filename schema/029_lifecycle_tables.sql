-- 029_lifecycle_tables.sql — the life cycle of the tables that grow with time besides checkins
-- (docs/operations.md, "Data life cycle"): the work sessions of a month past retention archived
-- and deleted like the check-ins' months, and the highest seq of each chip whose keys went with a
-- dropped month kept, so that the seq rule still refuses a replay after a restart.

-- ---- the seq floor ---------------------------------------------------------------------------

-- The highest seq of each chip among the check-in keys deleted with a dropped month. weldreg-server
-- reads a chip's last seq at start as the highest of checkin_keys and of this table: a chip silent
-- for longer than the retention keeps its floor, and a replay of an old seq is still a replay.
CREATE TABLE checkin_seq_floors (
    chip_id  text PRIMARY KEY,
    seq      bigint NOT NULL CHECK (seq >= 0)
);

-- Whatever deletes keys (weldreg_checkins_drop, schema/023, when a month goes), the highest seq
-- of each chip among them raises its floor, in the deleting statement.
CREATE FUNCTION checkin_keys_floor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO checkin_seq_floors (chip_id, seq)
    SELECT chip_id, max(seq) FROM old_rows GROUP BY chip_id
    ON CONFLICT (chip_id) DO UPDATE SET seq = greatest(checkin_seq_floors.seq, excluded.seq);
    RETURN NULL;
END
$$;
CREATE TRIGGER checkin_keys_floor AFTER DELETE ON checkin_keys
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION checkin_keys_floor();

-- ---- work sessions ---------------------------------------------------------------------------

-- maintain lists the months of opened_at past retention daily: a BRIN, as on the check-ins.
CREATE INDEX work_sessions_opened ON work_sessions USING brin (opened_at)
    WITH (autosummarize = on);

-- One row per month whose work sessions were archived and deleted, written in the transaction
-- that deletes them: a month is archived once (a month listed here is not listed as expired).
CREATE TABLE work_session_archives (
    archive     text PRIMARY KEY CHECK (archive ~ '^work_sessions_[0-9]{6}$'),
    month       date NOT NULL,
    file        text NOT NULL,
    rows        bigint NOT NULL CHECK (rows >= 0),
    sha256      bytea NOT NULL CHECK (octet_length(sha256) = 32),
    -- sessions of the month left because a check-in still refers to them (the evidence of a
    -- violation, kept in checkins_default, or a check-in of a month still retained)
    kept        bigint NOT NULL CHECK (kept >= 0),
    deleted_at  timestamptz NOT NULL DEFAULT now()
);

-- The first instant of the month of archive @name ("<table>_YYYYMM"), Beijing time.
CREATE FUNCTION weldreg_archive_month_start(name text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_date(right(name, 6), 'YYYYMM')::timestamp AT TIME ZONE 'Asia/Shanghai'
$$;

-- The work sessions of month @name ("work_sessions_YYYYMM", by opened_at) that may leave:
-- closed, and referred to by no check-in (the foreign key of checkins would refuse the others).
CREATE FUNCTION weldreg_work_sessions_month(name text) RETURNS SETOF work_sessions
LANGUAGE sql STABLE AS $$
    SELECT s.* FROM work_sessions s
    WHERE s.opened_at >= weldreg_archive_month_start(name)
      AND s.opened_at < weldreg_month_start(weldreg_archive_month_start(name) + interval '32 days')
      AND s.closed_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.session_id = s.id)
$$;

-- The months of work sessions past retention (this month and the @months months before it are
-- kept) with a closed session and not archived yet, as archive names, oldest first.
CREATE FUNCTION weldreg_work_sessions_expired(months int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT 'work_sessions_'
                    || to_char(weldreg_month_start(s.opened_at) AT TIME ZONE 'Asia/Shanghai',
                               'YYYYMM') AS name
    FROM work_sessions s
    WHERE s.opened_at < weldreg_month_start(now()) - make_interval(months => months)
      AND s.closed_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM work_session_archives a
                      WHERE a.month = weldreg_month_start(s.opened_at) AT TIME ZONE 'Asia/Shanghai')
    ORDER BY 1
$$;

-- Deletes the sessions of month @name after their archive (@file, @sha256 of the file, @rows
-- rows) was verified: refuses if the month now has another number of sessions that may leave.
-- Recorded in work_session_archives and the audit log. Returns the sessions of the month kept.
CREATE FUNCTION weldreg_work_sessions_drop(name text, file text, sha256 bytea, rows bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    held bigint;
    kept bigint;
    lo timestamptz := weldreg_archive_month_start(name);
BEGIN
    IF name !~ '^work_sessions_[0-9]{6}$' THEN
        RAISE EXCEPTION 'no month of work sessions %', name;
    END IF;
    PERFORM set_config('lock_timeout', '2s', true);
    SELECT count(*) INTO held FROM weldreg_work_sessions_month(name);
    IF held <> rows THEN
        RAISE EXCEPTION 'month % has % work sessions to delete, its archive %', name, held, rows;
    END IF;
    DELETE FROM work_sessions s USING weldreg_work_sessions_month(name) m WHERE s.id = m.id;
    SELECT count(*) INTO kept FROM work_sessions s
    WHERE s.opened_at >= lo AND s.opened_at < weldreg_month_start(lo + interval '32 days');
    INSERT INTO work_session_archives (archive, month, file, rows, sha256, kept)
    VALUES (name, lo AT TIME ZONE 'Asia/Shanghai', file, rows, sha256, kept);
    INSERT INTO audit_log (actor, action, entity, entity_id, after)
    VALUES ('weldreg-server maintain', 'work_sessions.archive_delete', 'work_sessions', name,
            jsonb_build_object('file', file, 'rows', rows, 'sha256', encode(sha256, 'hex'),
                               'kept', kept));
    RETURN kept;
END
$$;
