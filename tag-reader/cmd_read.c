/* cmd_read.c — `weldtag read`: decode a code from its text or a photo, without verifying it,
 * and print its fields for a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"
#include "core/codemsg.h"
#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"

static void read_usage(FILE *out)
{
    fputs("usage: weldtag read TEXT | --image FILE\n"
          "Decodes a weldreg code and prints its fields. It does NOT check the signature: use\n"
          "weldtag verify for that.\n"
          "\n"
          "  --image FILE   read the code from a PNG or JPEG picture (a photo of a label works)\n"
          "\n"
          "exit codes: 0 decoded, 1 not a weldreg code, 2 usage or unreadable image\n",
          out);
}

int read_main(int argc, char **argv)
{
    static const struct option options[] = {{"image", required_argument, NULL, 'i'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *image = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            read_usage(stdout);
            return WELDTAG_EXIT_OK;
        }
        if (opt != 'i')
            return WELDTAG_EXIT_USAGE;
        image = optarg;
    }
    const char *text = optind < argc ? argv[optind] : NULL;
    if ((text == NULL) == (image == NULL) || optind + (text != NULL) != argc) {
        tool_error("read needs the code's text or --image FILE, not both (see --help)");
        return WELDTAG_EXIT_USAGE;
    }
    char code[CODE_TEXT_MAX + 1], err[512];
    if (codeview_get_text(text, image, code, sizeof(code), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return text ? WELDTAG_EXIT_REFUSED : WELDTAG_EXIT_USAGE;
    }
    code_parsed parsed;
    if (code_decode(code, strlen(code), &parsed) != WR_OK) {
        tool_error("%s", codemsg_check_text(CODEMSG_MALFORMED));
        return WELDTAG_EXIT_REFUSED;
    }
    codeview_print(stdout, &parsed);
    puts("signature:   not checked (use weldtag verify)");
    return WELDTAG_EXIT_OK;
}
