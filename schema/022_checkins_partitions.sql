-- 022_checkins_partitions.sql — check-ins partitioned by month of received_at (docs/operations.md,
-- "Data life cycle"), so that a month past retention is archived and dropped whole instead of
-- deleted row by row. A populated table is converted in place: every row keeps its id and
-- values, the violations keep pointing at their check-ins.
--
-- PostgreSQL 15 allows a unique index on a partitioned table only if it holds the partition key,
-- so "one check-in per (chip, seq)" can no longer be an index of checkins. checkin_keys, not
-- partitioned, holds that key for every stored check-in (a statement trigger writes it in the
-- inserting statement, so every writer keeps it: the server, tests, tools). A duplicate fails
-- there, and the writer reads a resent check-in through it (one index probe and a pruned look
-- into one partition). It is also the target of violations.checkin_id (a foreign key to a
-- partitioned table would need received_at in violations too): the key of a check-in that a
-- violation refers to cannot be deleted, which is what keeps the evidence when its month goes.
--
-- Months are those of Beijing time (Asia/Shanghai), like the counts' rollups (010).

-- The first instant of the month that holds @at, Beijing time.
CREATE FUNCTION weldreg_month_start(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'
$$;

-- The partition of the month that holds @at: made if missing, as a table of its own first with
-- the rows the DEFAULT partition caught for that month moved into it, then attached (a partition
-- cannot be created over rows the DEFAULT partition holds). Returns its name.
CREATE FUNCTION weldreg_checkins_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := weldreg_month_start(at);
    hi timestamptz := weldreg_month_start(weldreg_month_start(at) + interval '32 days');
    name text := 'checkins_' || to_char(lo AT TIME ZONE 'Asia/Shanghai', 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE checkins INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   name);
    IF to_regclass('checkins_default') IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM checkins_default WHERE received_at >= $1'
                       ' AND received_at < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       name) USING lo, hi;
    END IF;
    EXECUTE format('ALTER TABLE checkins ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name,
                   lo, hi);
    RETURN name;
END
$$;

-- The partitions of this month and the @ahead months after it. Returns how many were made.
CREATE FUNCTION weldreg_checkins_partitions_ahead(ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    made int := 0;
    month timestamptz;
BEGIN
    FOR i IN 0 .. ahead LOOP
        month := weldreg_month_start(now()) + make_interval(months => i, days => 14);
        IF to_regclass('checkins_' || to_char(weldreg_month_start(month) AT TIME ZONE
                       'Asia/Shanghai', 'YYYYMM')) IS NULL THEN
            PERFORM weldreg_checkins_partition(month);
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END
$$;

-- ---- the conversion --------------------------------------------------------------------------

ALTER TABLE violations DROP CONSTRAINT violations_checkin_id_fkey;
DROP TRIGGER checkins_rollup ON checkins; -- the rows moved below were counted when they came
ALTER TABLE checkins RENAME TO checkins_unpartitioned;
ALTER SEQUENCE checkins_id_seq OWNED BY NONE;

CREATE TABLE checkins (
    id            bigint NOT NULL DEFAULT nextval('checkins_id_seq'),
    chip_id       text NOT NULL,
    machine_id    bigint CONSTRAINT checkins_machine_id_fkey REFERENCES machines,
    seq           bigint NOT NULL CONSTRAINT checkins_seq_check CHECK (seq >= 0),
    ev            text NOT NULL
                  CONSTRAINT checkins_ev_check CHECK (ev IN ('scan', 'arc', 'hb', 'end', 'tamper')),
    device_ts     timestamptz,
    received_at   timestamptz NOT NULL DEFAULT now(),
    lat           double precision CONSTRAINT checkins_lat_check CHECK (lat BETWEEN -90 AND 90),
    lon           double precision CONSTRAINT checkins_lon_check CHECK (lon BETWEEN -180 AND 180),
    amp           integer CONSTRAINT checkins_amp_check CHECK (amp >= 0),
    code_cti      bytea
                  CONSTRAINT checkins_code_cti_check CHECK (octet_length(code_cti) IN (8, 16)),
    welder_id     bigint CONSTRAINT checkins_welder_id_fkey REFERENCES welders,
    body_hash     bytea NOT NULL
                  CONSTRAINT checkins_body_hash_check CHECK (octet_length(body_hash) = 32),
    ok            boolean NOT NULL DEFAULT false,
    reasons       text[] NOT NULL DEFAULT '{}',
    unlock_until  timestamptz,
    late          boolean NOT NULL DEFAULT false,
    skew_s        integer,
    session_id    bigint CONSTRAINT checkins_session_id_fkey REFERENCES work_sessions,
    CONSTRAINT checkins_position CHECK ((lat IS NULL) = (lon IS NULL))
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE checkins_id_seq OWNED BY checkins.id;
CREATE TABLE checkins_default PARTITION OF checkins DEFAULT;

-- A partition for every month the table holds, from the oldest row to three months ahead (the
-- server's maintain command keeps three ahead from then on).
DO $$
DECLARE
    month timestamptz := weldreg_month_start(coalesce(
        (SELECT min(received_at) FROM checkins_unpartitioned), now()));
BEGIN
    WHILE month < weldreg_month_start(now()) + interval '4 months' LOOP
        PERFORM weldreg_checkins_partition(month);
        month := weldreg_month_start(month + interval '32 days');
    END LOOP;
END
$$;

INSERT INTO checkins (id, chip_id, machine_id, seq, ev, device_ts, received_at, lat, lon, amp,
                      code_cti, welder_id, body_hash, ok, reasons, unlock_until, late, skew_s,
                      session_id)
SELECT id, chip_id, machine_id, seq, ev, device_ts, received_at, lat, lon, amp, code_cti,
       welder_id, body_hash, ok, reasons, unlock_until, late, skew_s, session_id
FROM checkins_unpartitioned ORDER BY id;

CREATE TABLE checkin_keys (
    chip_id      text NOT NULL,
    seq          bigint NOT NULL,
    checkin_id   bigint NOT NULL CONSTRAINT checkin_keys_checkin UNIQUE,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (chip_id, seq)
);
INSERT INTO checkin_keys SELECT chip_id, seq, id, received_at FROM checkins_unpartitioned;
-- the keys of a month are deleted with its partition
CREATE INDEX checkin_keys_received ON checkin_keys USING brin (received_at)
    WITH (autosummarize = on);

DROP TABLE checkins_unpartitioned;

ALTER TABLE checkins ADD PRIMARY KEY (id, received_at);
CREATE INDEX checkins_machine ON checkins (machine_id, received_at DESC);
CREATE INDEX checkins_welder ON checkins (welder_id, received_at DESC) WHERE welder_id IS NOT NULL;
CREATE INDEX checkins_session ON checkins (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX checkins_received ON checkins USING brin (received_at) WITH (autosummarize = on);
CREATE INDEX checkins_machine_position ON checkins (machine_id, received_at DESC)
    WHERE lat IS NOT NULL;

-- Deferred: the writer inserts a check-in and its violations in one statement, and the key is
-- written by the check-ins' statement trigger, which may run after the violations' row checks.
ALTER TABLE violations ADD CONSTRAINT violations_checkin_id_fkey FOREIGN KEY (checkin_id)
    REFERENCES checkin_keys (checkin_id) DEFERRABLE INITIALLY DEFERRED;

-- A statement's check-ins into checkin_keys; a (chip, seq) stored before fails the statement.
CREATE FUNCTION checkins_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO checkin_keys (chip_id, seq, checkin_id, received_at)
    SELECT chip_id, seq, id, received_at FROM new_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER checkins_keys AFTER INSERT ON checkins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION checkins_keys();
CREATE TRIGGER checkins_rollup AFTER INSERT ON checkins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION checkins_rollup();
