-- 028_cluster_notices.sql — several weldreg-server processes (docs/architecture.md, "Several
-- servers"): what a scan needs to know of the other servers' machines is announced to every
-- server on the channel weldreg_cluster, from the transaction that commits it (a notification
-- is delivered at commit, never for a transaction that rolls back).
--
-- Payloads, fields separated by one space (a missing position is "-"):
--   s <cti hex> <lat> <lon> <at> <machine_id> <welder_id> <session_id> <chip_id>
--       a welder code's scan, judged and stored: where and when the code was scanned (for
--       code_copied), and the work session it opened (0: none) on that machine
--   o <session_id> <welder_id> <machine_id> <chip_id> <lat> <lon>
--       a work session open again (resumed after the sweep closed it for silence), and where
--       its machine last said it was
--   c <session_id> <welder_id>
--       a work session closed
-- <at> is the event's time as the judge dates it (decision_event_time(): the chip's clock for a
-- late event, else the server's), in Unix seconds; received_at is the transaction's start.

CREATE FUNCTION weldreg_scan_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('weldreg_cluster', concat_ws(' ', 's', encode(NEW.code_cti, 'hex'),
        coalesce(NEW.lat::text, '-'), coalesce(NEW.lon::text, '-'),
        floor(extract(epoch FROM CASE WHEN NEW.late AND NEW.device_ts IS NOT NULL
                                      THEN NEW.device_ts ELSE NEW.received_at END))::bigint,
        coalesce(NEW.machine_id, 0), NEW.welder_id,
        CASE WHEN NEW.ok THEN coalesce(NEW.session_id, 0) ELSE 0 END, NEW.chip_id));
    RETURN NULL;
END
$$;
-- Only the scans of an issued welder code (welder_id is set once the code verified and named a
-- welder), with a position or with the session they opened (an approved scan); the WHEN clause keeps every other
-- check-in from queueing a trigger event.
CREATE TRIGGER checkins_scan_notify AFTER INSERT ON checkins FOR EACH ROW
    WHEN (NEW.ev = 'scan' AND NEW.welder_id IS NOT NULL AND NEW.code_cti IS NOT NULL
          AND (NEW.lat IS NOT NULL OR (NEW.ok AND NEW.session_id IS NOT NULL)))
    EXECUTE FUNCTION weldreg_scan_notify();

CREATE FUNCTION weldreg_session_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    at_lat double precision;
    at_lon double precision;
BEGIN
    IF NEW.closed_at IS NULL THEN
        -- a resume is rare: one index read of the machine's last position (checkins_machine)
        SELECT c.lat, c.lon INTO at_lat, at_lon FROM checkins c
            WHERE c.machine_id = NEW.machine_id AND c.lat IS NOT NULL
            ORDER BY c.received_at DESC LIMIT 1;
        PERFORM pg_notify('weldreg_cluster', concat_ws(' ', 'o', NEW.id, NEW.welder_id,
            NEW.machine_id, (SELECT chip_id FROM machines WHERE id = NEW.machine_id),
            coalesce(at_lat::text, '-'), coalesce(at_lon::text, '-')));
    ELSE
        PERFORM pg_notify('weldreg_cluster', concat_ws(' ', 'c', NEW.id, NEW.welder_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER work_sessions_notify AFTER UPDATE OF closed_at ON work_sessions FOR EACH ROW
    WHEN (OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION weldreg_session_notify();
