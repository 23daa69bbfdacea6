/* cmd_checkin.c — `weldtag checkin`: act as a machine's chip and report one event. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cbor.h"
#include "core/checkin.h"
#include "core/reason.h"
#include "tag-reader/commands.h"

static void checkin_usage(FILE *out)
{
    fputs("usage: weldtag checkin --ev EVENT --seq N [options]\n"
          "Reports one event as the machine whose identity the connection uses.\n"
          "\n"
          "  --ev EVENT       scan, arc, hb, end or tamper\n"
          "  --seq N          the chip's event counter (required)\n"
          "  --ts SECONDS     when it happened, Unix time (default now)\n"
          "  --lat DEG --lon DEG   position (WGS-84)\n"
          "  --code TEXT      the welder code presented (required for scan)\n"
          "  --amp A          arc current in amperes\n"
          "  --backlog FILE   send the buffered events of FILE over one session instead,\n"
          "                   one \"EV SEQ TS [LAT LON]\" per line, in order\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 unlocked or accepted, 1 locked (reasons printed), 2 usage,\n"
          "            3 no answer or handshake failed, 4 refused by the server\n",
          out);
}

static int checkin_parse_number(const char *name, const char *arg, double lo, double hi,
                                double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !(v >= lo && v <= hi)) {
        tool_error("invalid --%s \"%s\"", name, arg);
        return -1;
    }
    *out = v;
    return 0;
}

typedef struct checkin_flags {
    bool have_ev, have_seq, have_lat, have_lon;
} checkin_flags;

/* Applies one option of the check-in itself; 0 or -1 with a message printed. */
static int checkin_option(int opt, const char *arg, checkin_event *ev, checkin_flags *seen)
{
    double v;
    switch (opt) {
    case 'e':
        if (!checkin_kind_from_name(arg, strlen(arg), &ev->kind)) {
            tool_error("unknown event \"%s\": expected scan, arc, hb, end or tamper", arg);
            return -1;
        }
        seen->have_ev = true;
        return 0;
    case 's':
        if (checkin_parse_number("seq", arg, 0, 9007199254740991.0, &v) != 0)
            return -1;
        ev->seq = (uint64_t)v;
        seen->have_seq = true;
        return 0;
    case 't':
        if (checkin_parse_number("ts", arg, 0, 4102444800.0, &v) != 0)
            return -1;
        ev->ts = (int64_t)v;
        return 0;
    case 'a': seen->have_lat = true; return checkin_parse_number("lat", arg, -90, 90, &ev->lat);
    case 'o': seen->have_lon = true; return checkin_parse_number("lon", arg, -180, 180, &ev->lon);
    case 'c':
        ev->code = arg;
        ev->code_len = strlen(arg);
        return 0;
    case 'm':
        if (checkin_parse_number("amp", arg, 0, 2000, &v) != 0)
            return -1;
        ev->amp = (uint32_t)v;
        ev->has_amp = true;
        return 0;
    default: return -1;
    }
}

static int checkin_parse(int argc, char **argv, checkin_event *ev, conn_settings *conn,
                         const char **backlog)
{
    static const struct option options[] = {{"ev", required_argument, NULL, 'e'},
                                            {"seq", required_argument, NULL, 's'},
                                            {"ts", required_argument, NULL, 't'},
                                            {"lat", required_argument, NULL, 'a'},
                                            {"lon", required_argument, NULL, 'o'},
                                            {"code", required_argument, NULL, 'c'},
                                            {"amp", required_argument, NULL, 'm'},
                                            {"backlog", required_argument, NULL, 'b'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    checkin_flags seen = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            checkin_usage(stdout);
            exit(WELDTAG_EXIT_OK);
        }
        if (opt == 'b') {
            *backlog = optarg;
            continue;
        }
        int handled = conn_option(conn, opt, optarg);
        if (handled < 0 || (handled == 0 && checkin_option(opt, optarg, ev, &seen) != 0))
            return -1;
    }
    if ((!*backlog && (!seen.have_ev || !seen.have_seq)) || seen.have_lat != seen.have_lon ||
        optind != argc) {
        tool_error("checkin needs --ev and --seq (or --backlog), and --lat with --lon "
                   "(see --help)");
        return -1;
    }
    ev->has_position = seen.have_lat;
    return 0;
}

/* Prints the answer {"ok", "reasons", "until", "id"} for a person; returns the exit code. */
static int checkin_print_answer(const uint8_t *body, size_t len)
{
    cbor_reader r;
    size_t pairs;
    bool ok = false;
    uint64_t until = 0, id = 0;
    cbor_reader_init(&r, body, len);
    if (cbor_read_map(&r, &pairs) != WR_OK) {
        tool_error("the server's answer is not a CBOR map");
        return WELDTAG_EXIT_SERVER;
    }
    char reasons[512] = "";
    size_t used = 0;
    reason_list known;
    reason_list_init(&known);
    for (size_t i = 0; i < pairs; i++) {
        const char *key;
        size_t key_len, count;
        if (cbor_read_text(&r, &key, &key_len) != WR_OK)
            return WELDTAG_EXIT_SERVER;
        if (key_len == 2 && memcmp(key, "ok", 2) == 0 && cbor_read_bool(&r, &ok) == WR_OK)
            continue;
        if (key_len == 5 && memcmp(key, "until", 5) == 0 && cbor_read_uint(&r, &until) == WR_OK)
            continue;
        if (key_len == 2 && memcmp(key, "id", 2) == 0 && cbor_read_uint(&r, &id) == WR_OK)
            continue;
        if (key_len == 7 && memcmp(key, "reasons", 7) == 0 &&
            cbor_read_array(&r, &count) == WR_OK) {
            for (size_t k = 0; k < count; k++) {
                const char *name;
                size_t name_len;
                if (cbor_read_text(&r, &name, &name_len) != WR_OK)
                    return WELDTAG_EXIT_SERVER;
                reason_code code;
                if (reason_from_name(name, name_len, &code))
                    reason_list_add(&known, code);
                int n = snprintf(reasons + used, sizeof(reasons) - used, "%s%.*s", k ? ", " : "",
                                 (int)name_len, name);
                if (n > 0 && (size_t)n < sizeof(reasons) - used)
                    used += (size_t)n;
            }
            continue;
        }
        if (cbor_skip(&r) != WR_OK)
            return WELDTAG_EXIT_SERVER;
    }
    if (ok) {
        time_t t = (time_t)until;
        char when[32];
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
        printf("unlocked until %s (check-in %llu)\n", when, (unsigned long long)id);
        return WELDTAG_EXIT_OK;
    }
    printf("locked: %s (check-in %llu)\n", used ? reasons : "no reason given",
           (unsigned long long)id);
    /* The first line stays names for scripts; a person reads each reason, Chinese first. */
    for (size_t k = 0; k < known.count; k++) {
        char text[512];
        printf("  %s\n", reason_describe(known.codes[k], text, sizeof(text)));
    }
    return WELDTAG_EXIT_REFUSED;
}

/* Sends @p ev over the open session @p c and prints the answer; returns the exit code. */
static int checkin_send(client *c, const checkin_event *ev)
{
    uint8_t body[CHECKIN_ENCODED_MAX];
    size_t len;
    char err[256];
    if (checkin_encode(ev, body, sizeof(body), &len) != WR_OK) {
        tool_error("could not encode check-in %llu (is the code too long?)",
                   (unsigned long long)ev->seq);
        return WELDTAG_EXIT_USAGE;
    }
    client_response resp;
    client_status st = client_call(c, CLIENT_POST, "v1/checkins", CLIENT_FORMAT_CBOR, body, len,
                                   &resp, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        return st == CLIENT_ENETWORK ? WELDTAG_EXIT_NETWORK : WELDTAG_EXIT_USAGE;
    }
    int rc = resp.code_class == 2 ? checkin_print_answer(resp.body, resp.body_len)
                                  : tool_report_refusal(&resp);
    client_response_deinit(&resp);
    return rc;
}

/* Splits @p line (modified) at blanks into at most @p max fields; returns how many, or max + 1
 * when there are more. */
static int checkin_split(char *line, char **fields, int max)
{
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == max)
            return max + 1;
        fields[n++] = t;
    }
    return n;
}

/* A whole field as a number of its kind: false for anything else (empty, a sign where none may
 * be, trailing text, out of range). */
static bool checkin_uint(const char *field, unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(field, &end, 10);
    return field[0] >= '0' && field[0] <= '9' && !*end && errno != ERANGE;
}

static bool checkin_double(const char *field, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(field, &end);
    return end != field && !*end && errno != ERANGE;
}

/* Reads "EV SEQ TS [LAT LON]" from one backlog line (TS: Unix seconds, not negative). */
static int checkin_parse_line(const char *line, checkin_event *ev)
{
    char copy[256], *f[5];
    size_t len = strlen(line);
    memset(ev, 0, sizeof(*ev));
    if (len >= sizeof(copy))
        return -1;
    memcpy(copy, line, len + 1);
    int n = checkin_split(copy, f, 5);
    unsigned long long seq, ts;
    double lat = 0, lon = 0;
    if ((n != 3 && n != 5) || !checkin_kind_from_name(f[0], strlen(f[0]), &ev->kind) ||
        ev->kind == CHECKIN_SCAN || !checkin_uint(f[1], &seq) || !checkin_uint(f[2], &ts) ||
        ts > INT64_MAX || (n == 5 && (!checkin_double(f[3], &lat) || !checkin_double(f[4], &lon))))
        return -1;
    ev->seq = seq;
    ev->ts = (int64_t)ts;
    ev->has_position = n == 5;
    ev->lat = lat;
    ev->lon = lon;
    return 0;
}

/* Sends every event of @p path over one session, in order, as a chip empties its buffer after
 * an outage. Stops at the first event that gets no answer. */
static int checkin_send_backlog(client *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tool_error("could not open backlog \"%s\"", path);
        return WELDTAG_EXIT_USAGE;
    }
    char line[256];
    unsigned lineno = 0, sent = 0, refused = 0;
    int rc = WELDTAG_EXIT_OK;
    while (fgets(line, sizeof(line), f)) {
        checkin_event ev;
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (checkin_parse_line(line, &ev) != 0) {
            tool_error("%s:%u: expected \"EV SEQ TS [LAT LON]\" (EV: arc, hb, end, tamper)", path,
                       lineno);
            rc = WELDTAG_EXIT_USAGE;
            break;
        }
        int one = checkin_send(c, &ev);
        sent++;
        if (one == WELDTAG_EXIT_NETWORK || one == WELDTAG_EXIT_USAGE) {
            rc = one;
            break;
        }
        refused += one == WELDTAG_EXIT_SERVER;
    }
    fclose(f);
    printf("backlog: %u sent, %u refused by the server\n", sent, refused);
    return rc != WELDTAG_EXIT_OK ? rc : refused ? WELDTAG_EXIT_SERVER : WELDTAG_EXIT_OK;
}

int checkin_main(int argc, char **argv)
{
    checkin_event ev;
    conn_settings conn;
    memset(&ev, 0, sizeof(ev));
    ev.ts = (int64_t)time(NULL);
    conn_init(&conn);
    int rc = WELDTAG_EXIT_USAGE;
    const char *backlog = NULL;
    client *c = NULL;
    char err[256];
    if (checkin_parse(argc, argv, &ev, &conn, &backlog) != 0 || conn_finish(&conn) != 0)
        goto cleanup;
    client_status st = client_open(&conn.opt, &c, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        goto cleanup;
    }
    rc = backlog ? checkin_send_backlog(c, backlog) : checkin_send(c, &ev);
cleanup:
    client_close(c);
    conn_deinit(&conn);
    return rc;
}
