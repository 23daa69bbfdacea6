/* fuzz-server-config.c — the config-file parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "server/loop/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    server_config cfg;
    char err[256];
    config_init(&cfg);
    config_parse(&cfg, (const char *)data, size, "fuzz", err, sizeof(err));
    return 0;
}
