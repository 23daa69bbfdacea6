-- 024_machine_leases.sql — several weldreg-server processes serving the same machines
-- (docs/architecture.md, "Several servers").
--
-- A server that runs with server_id set decides a machine's check-ins only while it holds that
-- machine's lease: the server that receives a machine's event takes the lease (epoch + 1) and
-- reads the machine's state from the database before deciding. Every batch the server's writer
-- commits is fenced by weldreg_lease_fence(): a server that lost a lease cannot commit a
-- decision taken on the state it had. A server renews all its leases with one UPDATE every
-- lease_s / 3; a lease that expired belongs to a server that died (or lost the database), and
-- the cluster's sweep leader takes it over to close the machine's silent session once.

CREATE TABLE machine_leases (
    chip_id    text PRIMARY KEY,
    owner      text NOT NULL,   -- server_id of the server that decides this machine
    epoch      bigint NOT NULL, -- raised by every takeover: fences the previous owner's writes
    expires_at timestamptz NOT NULL
);
CREATE INDEX machine_leases_owner ON machine_leases (owner);
CREATE INDEX machine_leases_expires ON machine_leases (expires_at);

-- Fails (SQLSTATE WRL01) unless server @me holds the lease of every chip of @chips at the
-- epoch of the same position of @epochs. The rows are locked FOR SHARE until the batch's
-- transaction ends, so a takeover (an UPDATE of the row) waits for the batch to commit and then
-- reads what it committed: a decision is either committed under the lease it was taken with,
-- or not at all.
CREATE FUNCTION weldreg_lease_fence(chips text[], epochs bigint[], me text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lost text;
BEGIN
    PERFORM 1 FROM machine_leases WHERE chip_id = ANY (chips) ORDER BY chip_id FOR SHARE;
    SELECT k.chip INTO lost FROM unnest(chips, epochs) AS k(chip, epoch)
        WHERE NOT EXISTS (SELECT 1 FROM machine_leases l
                          WHERE l.chip_id = k.chip AND l.owner = me AND l.epoch = k.epoch)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the lease of machine % is held by another server', lost
            USING ERRCODE = 'WRL01';
    END IF;
END
$$;
