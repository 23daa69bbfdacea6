/* main.c — weldtag: the companion tool; dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "tag-reader/commands.h"

static const command commands[] = {
    {"checkin", checkin_main, "report an event as a machine's chip (device protocol)"},
    {"issue", issue_main, "sign a machine or welder code offline (text, PNG, SVG, terminal)"},
    {"labels", labels_main, "lay out codes as printable A4 label sheets (PDF)"},
    {"read", read_main, "decode a code from its text or a photo, without verifying it"},
    {"verify", verify_main, "check a code offline (trust list) or online (--online)"},
    {"revocations", revocations_main, "pull the revocation list for offline checks"},
    {"admin", admin_main, "manage the registry: communities, enterprises, machines, welders..."},
    {"import", import_main,
     "import a CSV survey of welders, enterprises or machines (validated whole, written at once)"},
    {"export", export_main, "export welders, machines or enterprises as CSV"},
    {"card", card_main, "a machine's status card: its code checked offline, then its record"},
    {"violations", violations_main, "list, show, acknowledge, resolve or dismiss violations"},
    {"report", report_main, "record an on-site finding (no chip, a code that does not verify)"},
    {"watch", watch_main, "watch new violations arrive live (CoAP Observe)"},
    {"counts", counts_main, "the counts per community or enterprise for a period (tables, CSV)"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fputs("usage: weldtag COMMAND [options]   (weldtag COMMAND --help for its options)\n\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nexit codes: 0 ok, 1 refused or invalid, 2 usage, 3 network, 4 server error\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return WELDTAG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("weldtag %s\n", WELDREG_VERSION);
        return WELDTAG_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "weldtag: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return WELDTAG_EXIT_USAGE;
}
