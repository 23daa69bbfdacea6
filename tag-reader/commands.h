/* commands.h — weldtag's subcommands, each a <verb>_main() over argc/argv, and the options
 * they share for reaching the server. */
#ifndef WELDREG_TAG_COMMANDS_H
#define WELDREG_TAG_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "tag-reader/client.h"

/* Exit codes that mean something to scripts. */
enum {
    WELDTAG_EXIT_OK = 0,      /* done; for check-ins: unlocked / accepted */
    WELDTAG_EXIT_REFUSED = 1, /* answered, and the answer is no (locked, invalid code) */
    WELDTAG_EXIT_USAGE = 2,   /* bad command line or input file */
    WELDTAG_EXIT_NETWORK = 3, /* no answer, or the DTLS handshake failed */
    WELDTAG_EXIT_SERVER = 4,  /* the server refused the request (4.xx or 5.xx) */
};

typedef struct command {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} command;

int checkin_main(int argc, char **argv);     /* cmd_checkin.c: a machine's chip (device protocol) */
int issue_main(int argc, char **argv);       /* cmd_issue.c */
int labels_main(int argc, char **argv);      /* cmd_labels.c: label sheets of issued codes */
int read_main(int argc, char **argv);        /* cmd_read.c */
int verify_main(int argc, char **argv);      /* cmd_verify.c */
int revocations_main(int argc, char **argv); /* cmd_revocations.c: weldtag revocations pull */
int admin_main(int argc, char **argv);       /* cmd_admin.c: the registry admin API */
int import_main(int argc, char **argv);      /* cmd_import.c: CSV surveys into the registry */
int export_main(int argc, char **argv);      /* cmd_export.c: the registry out as CSV */
int card_main(int argc, char **argv);        /* cmd_card.c: a machine's status card */
int report_main(int argc, char **argv);      /* cmd_report.c: an on-site finding */
int violations_main(int argc, char **argv);  /* cmd_violations.c: list, show, life cycle */
int watch_main(int argc, char **argv);       /* cmd_watch.c: live alerts */
int counts_main(int argc, char **argv);      /* cmd_counts.c: the counts and reports */

/* Connection options every command that talks to the server accepts. */
#define CONN_LONG_OPTIONS                                                                          \
    {"server", required_argument, NULL, 1001}, {"identity", required_argument, NULL, 1002},        \
        {"psk-file", required_argument, NULL, 1003}, {"cert", required_argument, NULL, 1004},      \
        {"key", required_argument, NULL, 1005}, {"ca", required_argument, NULL, 1006},             \
    {                                                                                              \
        "timeout", required_argument, NULL, 1007                                                   \
    }

#define CONN_HELP                                                                                  \
    "connection (or WELDTAG_SERVER, WELDTAG_IDENTITY, WELDTAG_PSK_FILE):\n"                        \
    "  --server URI       coaps://HOST[:PORT] (default coaps://127.0.0.1:5684)\n"                  \
    "  --identity ID      DTLS-PSK identity\n"                                                     \
    "  --psk-file FILE    file holding the PSK\n"                                                  \
    "  --cert, --key, --ca FILE   client certificate instead of a PSK\n"                           \
    "  --timeout SECONDS  give up after this long (default 10)\n"

typedef struct conn_settings {
    client_options opt;
    const char *psk_file;
    char psk[64];
} conn_settings;

/* Defaults from the environment. */
void conn_init(conn_settings *conn);

/* Handles one of the CONN_LONG_OPTIONS; returns 1 if @p opt was one, 0 if not, -1 on error. */
int conn_option(conn_settings *conn, int opt, const char *arg);

/* Reads the PSK file if one was given; -1 with a message on stderr. */
int conn_finish(conn_settings *conn);

/* Wipes the PSK. */
void conn_deinit(conn_settings *conn);

/* Prints "weldtag: " and the message to stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a non-2.xx answer: code and diagnostic payload. Returns WELDTAG_EXIT_SERVER. */
int tool_report_refusal(const client_response *resp);

#endif
