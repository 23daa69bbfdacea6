/* bench-violations.c — the inspectors' violation query and the twelve-month counts on a large
 * history: fills a migrated scratch database with N check-ins and M violations spread over a
 * year across many communities, then times the server's own queries: store_inspect_violations
 * for one community and the last 30 days, as an administrator and as an inspector; and
 * store_counts for the annual summary and twelve months, from the roll-ups and, as the
 * baseline, from the check-ins and violations themselves. Prints p50/p95/max of each. */
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/period.h"
#include "server/db/store_counts.h"
#include "server/db/store_inspect.h"

typedef struct bench_args {
    const char *url;
    long checkins, violations, communities;
    int queries, counts_queries, raw_queries;
    bool fill;
} bench_args;

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_sql(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    PQclear(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return 0;
    fprintf(stderr, "bench-violations: %s\n  in: %.200s\n", PQerrorMessage(conn), sql);
    return -1;
}

/* Communities, 20 enterprises each, 10 machines per enterprise, one inspector per community. */
static int bench_fill_registry(PGconn *conn, long communities)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "INSERT INTO communities (code, name, district) SELECT 'C' || g, '社区' || g, '区'"
             " FROM generate_series(1, %ld) g;"
             "INSERT INTO enterprises (uscc, name, community_id)"
             " SELECT lpad(g::text, 17, '0') || '0', '企业' || g, 1 + (g - 1) / 20"
             " FROM generate_series(1, %ld) g;"
             "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)"
             " SELECT 'BV-' || g, 'fusion', 1 + (g - 1) / 10, '保管员'"
             " FROM generate_series(1, %ld) g;"
             "INSERT INTO principals (identity, role, cert_cn)"
             " SELECT 'bench-insp-' || g, 'inspector', 'bench-insp-' || g"
             " FROM generate_series(1, %ld) g;"
             "INSERT INTO principal_communities (principal_id, community_id)"
             " SELECT p.id, substr(p.identity, 12)::bigint FROM principals p"
             " WHERE p.identity LIKE 'bench-insp-%%';",
             communities, communities * 20, communities * 200, communities);
    return bench_sql(conn, sql);
}

/* p50 and p95 of @p n timings in @p ms (sorted in place). */
static void bench_quantiles(double *ms, int n, double *p50, double *p95);

/* The twelve-month questions of the counts: the annual summary of this calendar year (the
 * history covers the last 365 days), the last twelve whole months and the last 365 days
 * (months and days), for all communities, one community, an inspector's two communities, and
 * per enterprise. */
static int bench_counts_questions(counts_query *qs)
{
    int64_t now = (int64_t)time(NULL);
    period month = period_month_of(now), year_ago = period_month_of(now - 365 * 86400);
    period this_year;
    char year[8], why[PERIOD_WHY_SIZE];
    time_t t = (time_t)(now + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(year, sizeof(year), "%Y", &tm);
    period_calendar_year(year, &this_year, why, sizeof(why));
    period twelve = {year_ago.first_day, month.first_day - 1};
    period days365 = {(now + 8 * 3600) / 86400 - 364, (now + 8 * 3600) / 86400};
    int n = 0;
    qs[n++] = (counts_query){.days = this_year};
    qs[n++] = (counts_query){.days = twelve};
    qs[n++] = (counts_query){.days = days365};
    qs[n++] = (counts_query){.days = twelve, .community_id = 7};
    qs[n++] = (counts_query){.days = twelve, .scope = 1};
    qs[n++] = (counts_query){.days = twelve, .by = COUNTS_BY_ENTERPRISE};
    return n;
}

/* The median of each question's timings (question i took ms[i], ms[i + kinds], ...). */
static void bench_counts_per_question(const double *ms, int queries, int kinds, bool from_raw)
{
    static const char *const names[] = {"annual_summary",          "twelve_months",
                                        "last_365_days",           "twelve_months_one_community",
                                        "twelve_months_inspector", "twelve_months_by_enterprise"};
    double each[64];
    for (int k = 0; k < kinds; k++) {
        int n = 0;
        for (int i = k; i < queries && n < 64; i += kinds)
            each[n++] = ms[i];
        if (n == 0)
            continue;
        double p50, p95;
        bench_quantiles(each, n, &p50, &p95);
        printf("  counts %s source=%s runs=%d p50_ms=%.2f max_ms=%.2f\n", names[k],
               from_raw ? "raw_tables" : "rollups", n, p50, each[n - 1]);
    }
}

/* Times @p queries counts (the questions in turn) from the roll-ups or, as the baseline, from the
 * check-ins and violations themselves, and prints p50/p95/max. */
static int bench_counts(store *st, int queries, bool from_raw)
{
    counts_query qs[8];
    int kinds = bench_counts_questions(qs);
    double *ms = calloc((size_t)queries, sizeof(double));
    if (!ms)
        return -1;
    for (int i = 0; i < queries; i++) {
        counts_query q = qs[i % kinds];
        q.from_raw = from_raw;
        admin_outcome out;
        double t0 = bench_now();
        store_counts(st, &q, "{12,13}", 600000, &out);
        ms[i] = (bench_now() - t0) * 1000;
        if (out.status != STORE_OK) {
            fprintf(stderr, "bench-violations: the counts failed (%s)\n", out.message);
            admin_outcome_deinit(&out);
            free(ms);
            return -1;
        }
        admin_outcome_deinit(&out);
    }
    bench_counts_per_question(ms, queries, kinds, from_raw);
    double p50, p95;
    bench_quantiles(ms, queries, &p50, &p95);
    printf("counts_twelve_months source=%s queries=%d p50_ms=%.2f p95_ms=%.2f max_ms=%.2f\n",
           from_raw ? "raw_tables(baseline)" : "rollups", queries, p50, p95, ms[queries - 1]);
    free(ms);
    return 0;
}

/* Check-ins over the last year in chunks of a million, 40 % of them scans and a quarter of
 * those refused; violations on a regular subset, in every status. */
static int bench_fill_history(PGconn *conn, const bench_args *a)
{
    long machines = a->communities * 200;
    char sql[2048];
    for (long done = 0; done < a->checkins; done += 1000000) {
        long n = a->checkins - done < 1000000 ? a->checkins - done : 1000000;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO checkins (chip_id, machine_id, seq, ev, device_ts, received_at,"
                 " body_hash, ok, reasons) SELECT 'BV-' || (1 + g %% %ld), 1 + g %% %ld, g,"
                 " CASE WHEN g %% 5 < 2 THEN 'scan' ELSE 'hb' END, t, t, sha256(int8send(g)),"
                 " g %% 10 <> 0, CASE WHEN g %% 10 <> 0 THEN '{}'::text[] WHEN g %% 20 = 0"
                 " THEN '{permit_none}' ELSE '{licence_expired,training_missing}' END"
                 " FROM (SELECT g, now() -"
                 " interval '1 second' * ((%ld - g)::float8 * 31536000 / %ld) AS t FROM"
                 " generate_series(%ld, %ld) g) x",
                 machines, machines, a->checkins, a->checkins, done + 1, done + n);
        if (bench_sql(conn, sql) != 0)
            return -1;
        fprintf(stderr, "bench-violations: %ld check-ins\n", done + n);
    }
    snprintf(sql, sizeof(sql),
             "INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
             " checkin_id, occurred_at, detected_at, status)"
             " SELECT (ARRAY['work_outside_platform', 'licence_expired', 'permit_none',"
             " 'heartbeat_lost'])[1 + k.id %% 4], 'critical', e.community_id, e.id, m.id, k.id,"
             " k.received_at, k.received_at, (ARRAY['open', 'acknowledged', 'resolved',"
             " 'dismissed'])[1 + k.id / 7 %% 4] FROM checkins k JOIN machines m ON m.id ="
             " k.machine_id JOIN enterprises e ON e.id = m.enterprise_id"
             " WHERE k.id %% %ld = 0 ORDER BY k.id;"
             "ANALYZE;",
             a->checkins / a->violations > 0 ? a->checkins / a->violations : 1);
    return bench_sql(conn, sql);
}

static int bench_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void bench_quantiles(double *ms, int n, double *p50, double *p95)
{
    qsort(ms, (size_t)n, sizeof(double), bench_cmp);
    *p50 = ms[n / 2];
    *p95 = ms[n * 95 / 100];
}

/* Times @p a->queries first pages (one community, the last 30 days) as an administrator, or as
 * the community's inspector (principal @p inspector_base + community - 1). */
static int bench_queries(store *st, const bench_args *a, bool as_inspector, long inspector_base)
{
    double *ms = calloc((size_t)a->queries, sizeof(double));
    if (!ms)
        return -1;
    time_t now = time(NULL) + 8 * 3600, since = now - 30 * 86400; /* China calendar days */
    struct tm to_tm, from_tm;
    gmtime_r(&now, &to_tm);
    gmtime_r(&since, &from_tm);
    long rows = 0;
    for (int i = 0; i < a->queries; i++) {
        long community = 1 + (long)((unsigned)rand() % (unsigned)a->communities);
        violation_query q = {.community_id = community, .limit = 50};
        q.scope = as_inspector ? inspector_base + community - 1 : 0;
        strftime(q.from, sizeof(q.from), "%Y-%m-%d", &from_tm);
        strftime(q.to, sizeof(q.to), "%Y-%m-%d", &to_tm);
        admin_outcome out;
        double t0 = bench_now();
        store_inspect_violations(st, &q, &out);
        ms[i] = (bench_now() - t0) * 1000;
        if (out.status != STORE_OK) {
            fprintf(stderr, "bench-violations: the query failed (%s)\n", out.message);
            free(ms);
            return -1;
        }
        for (const char *p = out.json; p && (p = strstr(p, "\"kind\"")); p++)
            rows++;
        admin_outcome_deinit(&out);
    }
    double p50, p95;
    bench_quantiles(ms, a->queries, &p50, &p95);
    printf("violations_query scope=%s queries=%d rows_per_page=%.1f p50_ms=%.2f p95_ms=%.2f "
           "max_ms=%.2f\n",
           as_inspector ? "inspector" : "admin", a->queries, (double)rows / a->queries, p50, p95,
           ms[a->queries - 1]);
    free(ms);
    return 0;
}

static int bench_parse(int argc, char **argv, bench_args *a)
{
    static const struct option longs[] = {{"database-url", required_argument, NULL, 'd'},
                                          {"checkins", required_argument, NULL, 'c'},
                                          {"violations", required_argument, NULL, 'v'},
                                          {"communities", required_argument, NULL, 'm'},
                                          {"queries", required_argument, NULL, 'q'},
                                          {"no-fill", no_argument, NULL, 'n'},
                                          {"counts-queries", required_argument, NULL, 'k'},
                                          {"raw-queries", required_argument, NULL, 'r'},
                                          {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'd': a->url = optarg; break;
        case 'c': a->checkins = atol(optarg); break;
        case 'v': a->violations = atol(optarg); break;
        case 'm': a->communities = atol(optarg); break;
        case 'q': a->queries = atoi(optarg); break;
        case 'n': a->fill = false; break;
        case 'k': a->counts_queries = atoi(optarg); break;
        case 'r': a->raw_queries = atoi(optarg); break;
        default: return -1;
        }
    }
    if (!a->url || a->checkins < 1 || a->violations < 1 || a->violations > a->checkins ||
        a->communities < 1 || a->queries < 20 || a->counts_queries < 20 || a->raw_queries < 1) {
        fprintf(stderr, "usage: bench-violations --database-url URL (a migrated, empty scratch "
                        "database) [--checkins N] [--violations M] [--communities C] "
                        "[--queries Q>=20] [--counts-queries Q>=20] [--raw-queries R>=1] "
                        "[--no-fill]\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_args a = {.checkins = 10000000,
                    .violations = 1000000,
                    .communities = 50,
                    .queries = 200,
                    .counts_queries = 120,
                    .raw_queries = 6,
                    .fill = true};
    if (bench_parse(argc, argv, &a) != 0)
        return 2;
    PGconn *conn = PQconnectdb(a.url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "bench-violations: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    double t0 = bench_now();
    int rc = a.fill ? bench_fill_registry(conn, a.communities) : 0;
    if (rc == 0 && a.fill)
        rc = bench_fill_history(conn, &a);
    /* the inspectors were made in community order: their ids are consecutive */
    PGresult *res =
        PQexec(conn, "SELECT min(id) FROM principals WHERE identity LIKE 'bench-insp-%'");
    long inspector_base = PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0)
                              ? atol(PQgetvalue(res, 0, 0))
                              : 0;
    PQclear(res);
    PQfinish(conn);
    if (rc != 0 || inspector_base == 0) {
        fprintf(stderr, "bench-violations: no benchmark history in this database\n");
        return 1;
    }
    if (a.fill)
        printf("filled checkins=%ld violations=%ld communities=%ld in %.0f s\n", a.checkins,
               a.violations, a.communities, bench_now() - t0);
    char err[256];
    store *st = store_connect(a.url, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "bench-violations: %s\n", err);
        return 1;
    }
    srand(7);
    rc = bench_queries(st, &a, false, inspector_base) ||
         bench_queries(st, &a, true, inspector_base) || bench_counts(st, a.counts_queries, false) ||
         bench_counts(st, a.raw_queries, true);
    store_destroy(st);
    return rc ? 1 : 0;
}
