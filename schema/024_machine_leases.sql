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

-- The batches of a server's writer and the takeovers of its machines are ordered by an advisory
-- lock of the server (class 24, key hashtext(server_id)): each batch holds it shared until it
-- commits, a takeover takes it exclusively (and lets it go at once) before it moves the lease.
-- So a takeover waits for the batches the previous owner has under way, and reads, after it,
-- what they committed; a batch that starts later checks the epochs after the takeover and
-- fails. No row is locked or written per check-in: the fence is one lock and an index read
-- per machine of the batch.

-- Fails (SQLSTATE WRL01) unless server @me holds the lease of every chip of @chips at the
-- epoch of the same position of @epochs. Called first in each batch's transaction.
CREATE FUNCTION weldreg_lease_fence(chips text[], epochs bigint[], me text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lost text;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(24, hashtext(me));
    -- a statement of its own: its snapshot is taken once the lock is held
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

-- Gives the lease of @chip to server @me (its epoch raised by one, expiring in @lease_s
-- seconds) and returns the new epoch; with @only_if_expired, only from an owner that stopped
-- renewing it (NULL otherwise). The previous owner's batches under way finish first; if they
-- do not within 5 s (its connection hangs), the takeover fails (lock_not_available) rather than
-- hold up the other takeovers of the caller, and the machine's next try asks again.
CREATE FUNCTION weldreg_lease_take(chip text, me text, lease_s integer, only_if_expired boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    held machine_leases;
    taken bigint;
BEGIN
    PERFORM set_config('lock_timeout', '5s', true);
    SELECT * INTO held FROM machine_leases WHERE chip_id = chip FOR UPDATE;
    IF FOUND THEN
        IF only_if_expired AND held.expires_at >= now() THEN
            RETURN NULL;
        END IF;
        PERFORM pg_advisory_xact_lock(24, hashtext(held.owner));
    END IF;
    INSERT INTO machine_leases AS l (chip_id, owner, epoch, expires_at)
        VALUES (chip, me, 1, now() + make_interval(secs => lease_s))
        ON CONFLICT (chip_id) DO UPDATE SET owner = me, epoch = l.epoch + 1,
            expires_at = EXCLUDED.expires_at
        RETURNING epoch INTO taken;
    RETURN taken;
END
$$;
