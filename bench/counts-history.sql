-- counts-history.sql — a large generated history for timing GET /v1/counts (bench/counts-timing.sh):
-- 40 communities, 2,000 enterprises, 20,000 machines and welders, 10,000 permits, 1,000,000
-- check-ins (400,000 scans) and 100,000 violations over the last year. Run on a scratch database
-- after `weldreg-server migrate`, never on a real one.
INSERT INTO communities (code, name, district)
SELECT 'C' || i, '社区' || i, '新密市' FROM generate_series(1, 40) i;
INSERT INTO enterprises (uscc, name, community_id)
SELECT '9111' || lpad(i::text, 14, '0'), '企业' || i, 1 + i % 40 FROM generate_series(1, 2000) i;
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name, status, scrapped_at, registered_at)
SELECT 'P-' || i, 'fusion', 1 + i % 2000, '王五',
       CASE WHEN i % 50 = 0 THEN 'scrapped' WHEN i % 30 = 0 THEN 'suspended' ELSE 'active' END,
       CASE WHEN i % 50 = 0 THEN now() - (i % 300) * interval '1 day' END,
       now() - interval '2 years'
FROM generate_series(1, 20000) i;
INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
                     licence_categories, licence_issued_on, licence_valid_until, licence_review_due,
                     created_at)
SELECT '焊工' || i, sha256(('id' || i)::bytea), '110***********' || lpad((i % 10000)::text, 4, '0'),
       sha256(('lic' || i)::bytea), 'T110***' || i, '{fusion}',
       d, (d + interval '6 years')::date, (d + interval '3 years')::date, now() - interval '2 years'
FROM (SELECT i, (current_date - (i * 7 % 2500)) AS d FROM generate_series(1, 20000) i) x;
INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
SELECT i, '安全', current_date - (i % 700), 16, '中心' FROM generate_series(1, 20000) i WHERE i % 4 <> 0;
INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon, starts_at,
                     ends_at, approver, fire_watch, status, created_at)
SELECT 'PP-' || i, 'first', 1 + i % 2000, '车间', 34.5, 113.4, s, s + interval '8 hours', '安全科',
       '李四', 'closed', s
FROM (SELECT i, now() - (i % 365) * interval '1 day' AS s FROM generate_series(1, 10000) i) x;
INSERT INTO permit_welders (permit_id, welder_id)
SELECT DISTINCT p, 1 + (p * 7 + k * 13) % 20000 FROM generate_series(1, 10000) p, generate_series(0, 2) k;
-- 1,000,000 check-ins over the last 365 days in arrival order; 40 % scans, 10 % of them refused
INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok, reasons, welder_id)
SELECT 'P-' || m, m, i, ev, now() - interval '365 days' + i * interval '31.536 seconds',
       sha256(('c' || i)::bytea), ok,
       CASE WHEN ok THEN '{}'::text[]
            ELSE (ARRAY[ARRAY['licence_expired', 'training_missing'], ARRAY['permit_none', 'permit_none'],
                        ARRAY['machine_suspended', 'machine_suspended']])[1 + i % 3][1:1 + i % 2] END,
       1 + i % 20000
FROM (SELECT i, 1 + (i * 7919) % 20000 AS m,
             CASE WHEN i % 5 < 2 THEN 'scan' WHEN i % 5 = 2 THEN 'arc' ELSE 'hb' END AS ev,
             NOT (i % 5 < 2 AND i % 10 = 0) AS ok
      FROM generate_series(1::bigint, 1000000) i) x;
-- 100,000 violations over the same year
INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at, detected_at, status)
SELECT (ARRAY['licence_expired', 'permit_none', 'heartbeat_lost', 'work_outside_platform', 'tamper'])[1 + i % 5],
       'critical', 1 + ((1 + (i * 7919) % 20000) % 2000) % 40, 1 + (1 + (i * 7919) % 20000) % 2000,
       1 + (i * 7919) % 20000, t, t,
       (ARRAY['open', 'acknowledged', 'resolved', 'dismissed'])[1 + i % 4]
FROM (SELECT i, now() - interval '365 days' + i * interval '315.36 seconds' AS t
      FROM generate_series(1::bigint, 100000) i) x;
ANALYZE;
