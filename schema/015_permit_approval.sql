-- 015_permit_approval.sql — hot-work permits applied for and approved on the web (issue 17): an
-- enterprise's safety officer applies, the person the enterprise designates (GB 30871 Table
-- B.1) approves or rejects. Only an approved permit counts for check-ins: the server reads
-- permits WHERE status = 'approved' (server/db/store_registry.c), so an application, pending or
-- rejected, never unlocks a machine.

-- The approver account role: one enterprise's, like an officer's.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check,
    ADD CONSTRAINT accounts_role_check
        CHECK (role IN ('admin', 'inspector', 'officer', 'office', 'approver')),
    DROP CONSTRAINT accounts_officer_enterprise,
    ADD CONSTRAINT accounts_officer_enterprise
        CHECK ((role IN ('officer', 'approver')) = (enterprise_id IS NOT NULL));

-- 'applied': waiting for the approver; 'rejected': refused, with the reason. The approver's name
-- is known once someone approved.
ALTER TABLE permits DROP CONSTRAINT permits_status_check,
    ADD CONSTRAINT permits_status_check
        CHECK (status IN ('applied', 'approved', 'rejected', 'cancelled', 'closed')),
    ALTER COLUMN approver DROP NOT NULL,
    ADD CONSTRAINT permits_approver_named
        CHECK (approver IS NOT NULL OR status IN ('applied', 'rejected')),
    -- the web accounts that applied and decided (NULL for permits of the admin API)
    ADD COLUMN applied_by bigint REFERENCES accounts,
    ADD COLUMN decided_by bigint REFERENCES accounts,
    ADD COLUMN decided_at timestamptz,
    ADD COLUMN decision_note text CHECK (length(decision_note) BETWEEN 1 AND 500),
    -- nobody approves their own application
    ADD CONSTRAINT permits_not_own_decision CHECK (decided_by <> applied_by),
    ADD CONSTRAINT permits_rejected_reason
        CHECK (status <> 'rejected' OR decision_note IS NOT NULL);
CREATE INDEX permits_applied ON permits (enterprise_id) WHERE status = 'applied';

-- The photos of a violation's events: an enterprise's evidence of a fix, an inspector's photo
-- with a step or a note; the history an inspector reads links them.
CREATE TABLE violation_event_photos (
    event_id  bigint NOT NULL REFERENCES violation_events,
    photo_id  bigint NOT NULL REFERENCES photos,
    PRIMARY KEY (event_id, photo_id)
);
