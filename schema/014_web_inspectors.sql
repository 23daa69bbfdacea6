-- 014_web_inspectors.sql — inspectors on the web (weldreg-web, docs/inspector-guide.md): an
-- on-site report is made either by a DTLS principal (weldtag report) or by a web account (the
-- phone page /report), and lands in the same queue. Web inspectors' scope is their
-- account_communities (server/db/store_query.h's QUERY_SCOPE reads both).

ALTER TABLE onsite_reports ALTER COLUMN principal_id DROP NOT NULL;
ALTER TABLE onsite_reports ADD COLUMN account_id bigint REFERENCES accounts;
ALTER TABLE onsite_reports ADD CONSTRAINT onsite_reports_reporter
    CHECK ((principal_id IS NULL) <> (account_id IS NULL));
