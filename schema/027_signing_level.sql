-- 027_signing_level.sql — the level of hot work a web approver may sign for (GB 30871-2022
-- Table B.1: special, the enterprise's senior management; first, the safety department's head;
-- second, the workshop's head). weldreg-web checks it against the application's level raised
-- one step at night and on rest days and holidays (5.1, core/permit.c) before approving, and
-- records it on the permit (permits.approver_level), where the check-in decision checks it
-- again. NULL: none recorded, and such an approver approves nothing.
ALTER TABLE accounts
    ADD COLUMN signing_level text CHECK (signing_level IN ('special', 'first', 'second')),
    ADD CONSTRAINT accounts_signing_level_approver
        CHECK (signing_level IS NULL OR role = 'approver');
