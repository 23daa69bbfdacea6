-- 002_counts.sql — what the counts (GET /v1/counts, server/db/store_counts.c) need to stay fast on a
-- large history. Measured on 1 M check-ins and 100 k violations: docs/inspector-guide.md,
-- "The counts".

-- The counts of all communities read the violations that occurred in the period; without this
-- index that is a scan of every violation ever recorded (the per-community index only helps
-- when one community is asked for).
CREATE INDEX violations_occurred ON violations (occurred_at);

-- A BRIN index only narrows a scan over block ranges it has summarized. New ranges were left
-- to the next VACUUM, so until then a period's check-ins were looked for in most of the table
-- (measured: 13,192 heap blocks read for one month of a year's 1 M check-ins, against 1,672
-- once summarized). With autosummarize, autovacuum summarizes each range soon after it fills.
ALTER INDEX checkins_received SET (autosummarize = on);
