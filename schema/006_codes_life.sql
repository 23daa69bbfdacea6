-- 006_codes_life.sql — codes of format 3 and their life after issue (issue 16; docs/codes.md,
-- docs/admin-guide.md "Codes").
--
-- 1. A code's id (cti) is 8 random bytes (format 3, "WR3:"), so that a chip id of 20 digits
--    and a 12-character issuer fit a machine code in QR version 10-Q. Codes of format 2
--    (16-byte ids) can no longer be read by any verifier: they are removed (nothing was
--    deployed; the audit log keeps their history). Check-ins keep the ids they recorded as
--    evidence, of either length.
DELETE FROM codes WHERE octet_length(cti) <> 8;
ALTER TABLE codes DROP CONSTRAINT codes_cti_check,
    ADD CONSTRAINT codes_cti_check CHECK (octet_length(cti) = 8);
ALTER TABLE checkins DROP CONSTRAINT checkins_code_cti_check,
    ADD CONSTRAINT checkins_code_cti_check CHECK (octet_length(code_cti) IN (8, 16));

-- 2. The text of every code the server signs, so that a label can be printed again at any
--    time, identical to the first (codes recorded from an offline issuing station's journal
--    have none). It is public (it is printed on the label) and carries no personal data beyond
--    the masked licence number and name.
ALTER TABLE codes ADD COLUMN text text
    CONSTRAINT codes_text CHECK (text ~ '^WR3:[0-9A-Z $%*+./:-]+$' AND length(text) <= 259);

-- 3. The code a re-issue replaced (the old one is revoked at once or left to expire, as the
--    admin chose), and the listing of codes by expiry.
ALTER TABLE codes ADD COLUMN replaces bytea CONSTRAINT codes_replaces CHECK (octet_length(replaces) = 8);
CREATE INDEX codes_expiring ON codes (expires_at) WHERE revoked_at IS NULL;
