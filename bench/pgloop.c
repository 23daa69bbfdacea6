/* pgloop.c — bench-pgloop: the naive way to store check-ins, one INSERT + COMMIT per row on
 * one connection (prepared statement, autocommit), into the same checkins table weldreg
 * writes. The benchmark compares weldreg's durable check-ins/s with this. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char PGLOOP_INSERT[] =
    "INSERT INTO checkins (chip_id, seq, ev, device_ts, body_hash, ok, reasons)"
    " VALUES ($1, $2::bigint, 'hb', now(), decode($3, 'hex'), false,"
    " '{work_outside_platform}')";

static double pgloop_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int pgloop_ok(PGconn *conn, PGresult *res, const char *what)
{
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "bench-pgloop: could not %s: %s", what, PQerrorMessage(conn));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Inserts rows one transaction each for @p seconds; returns the count or -1. */
static long pgloop_run(PGconn *conn, double seconds)
{
    if (pgloop_ok(conn, PQprepare(conn, "ins", PGLOOP_INSERT, 3, NULL), "prepare") != 0)
        return -1;
    char chip[32], seq[24], hash[65];
    snprintf(chip, sizeof(chip), "PGLOOP-%ld", (long)time(NULL));
    long rows = 0;
    double start = pgloop_now();
    while (pgloop_now() - start < seconds) {
        snprintf(seq, sizeof(seq), "%ld", rows);
        snprintf(hash, sizeof(hash), "%064lx", rows);
        const char *params[] = {chip, seq, hash};
        if (pgloop_ok(conn, PQexecPrepared(conn, "ins", 3, params, NULL, NULL, 0), "insert") != 0)
            return -1;
        rows++;
    }
    return rows;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"database-url", required_argument, NULL, 'd'},
                                          {"duration", required_argument, NULL, 't'},
                                          {NULL, 0, NULL, 0}};
    const char *url = NULL;
    double seconds = 5;
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        char *end;
        if (c == 'd') {
            url = optarg;
        } else if (c == 't') {
            errno = 0;
            seconds = strtod(optarg, &end);
            bad |= errno || *end || !(seconds > 0) || seconds > 3600;
        } else {
            bad = 1;
        }
    }
    if (bad || !url || optind != argc) {
        fputs("usage: bench-pgloop --database-url URL [--duration S]\n"
              "Inserts check-ins one INSERT + COMMIT each for S seconds (default 5) and prints\n"
              "rows=N elapsed_s=S rps=R.\n",
              stderr);
        return 2;
    }
    PGconn *conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "bench-pgloop: could not connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 3;
    }
    double start = pgloop_now();
    long rows = pgloop_run(conn, seconds);
    double elapsed = pgloop_now() - start;
    PQfinish(conn);
    if (rows < 0)
        return 1;
    printf("rows=%ld elapsed_s=%.3f rps=%.1f\n", rows, elapsed, (double)rows / elapsed);
    return 0;
}
