/* bench-memory.c — what the server's in-memory views cost per machine: N machine principals
 * (the PSK table of the handshake), the registry's N machines and N machine codes, and the
 * judge's state of N machines that have checked in. Prints the resident-set growth of each, so
 * the memory target (1 M machines registered, 20,000 sessions) can be added up from measured
 * parts. The DTLS sessions are measured by bench/run.sh against the running server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/views/principals.h"
#include "server/views/registry.h"
#include "server/checkin/sessions.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static void report(const char *what, size_t n, long before)
{
    long grown = rss_kib() - before;
    printf("memory part=%s count=%zu rss_mib=%.1f bytes_each=%.0f\n", what, n, grown / 1024.0,
           grown * 1024.0 / (double)n);
}

#define CHIP_LEN 13 /* "WR-", nine digits and a NUL */

static void chip_of(size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "WR-%09zu", i);
}

static principal_table *fill_principals(size_t n)
{
    principal_table *t = principal_table_create(n);
    for (size_t i = 0; t && i < n; i++) {
        char identity[PRINCIPAL_IDENTITY_MAX + 1];
        chip_of(i, identity, sizeof(identity));
        principal p = {.id = (int64_t)i + 1,
                       .role = ROLE_MACHINE,
                       .has_psk = true,
                       .identity = identity,
                       .identity_len = (uint8_t)strlen(identity)};
        memset(p.psk, 'k', sizeof(p.psk));
        if (principal_table_add(t, &p) != 0) {
            principal_table_destroy(t);
            return NULL;
        }
    }
    return t;
}

static registry *fill_registry(size_t n)
{
    registry_parts parts = {0};
    parts.machines = calloc(n, sizeof(*parts.machines));
    parts.codes = calloc(n, sizeof(*parts.codes));
    parts.chip_ids = malloc(n * CHIP_LEN);
    if (!parts.machines || !parts.codes || !parts.chip_ids) {
        registry_parts_free(&parts);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        registry_machine *m = &parts.machines[i];
        char *chip = parts.chip_ids + i * CHIP_LEN;
        chip_of(i, chip, CHIP_LEN);
        m->chip_id = chip;
        m->id = (int64_t)i + 1;
        m->enterprise_id = (int64_t)(i / 100) + 1;
        m->community_id = (int64_t)(i / 20000) + 1;
        registry_code *c = &parts.codes[i];
        for (size_t k = 0; k < sizeof(c->cti); k++)
            c->cti[k] = (uint8_t)((i * 2654435761u) >> (k % 4 * 8)) ^ (uint8_t)k;
        memcpy(c->cti + 8, &i, sizeof(i));
        c->kind = 'm';
        c->subject_id = m->id;
    }
    parts.machine_count = parts.code_count = n;
    return registry_create(&parts);
}

static sessions *fill_sessions(size_t n)
{
    sessions *set = sessions_create();
    for (size_t i = 0; set && i < n; i++) {
        char chip[32];
        chip_of(i, chip, sizeof(chip));
        machine_state *st = sessions_get(set, chip);
        if (!st) {
            sessions_destroy(set);
            return NULL;
        }
        st->machine_id = (int64_t)i + 1;
    }
    return set;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    if (n == 0 || n > 50000000) {
        fprintf(stderr, "usage: bench-memory [MACHINES]   (default 1000000)\n");
        return 2;
    }
    long start = rss_kib(), before = start;
    principal_table *t = fill_principals(n);
    report("principals", n, before);
    before = rss_kib();
    registry *reg = fill_registry(n);
    report("registry_machines_and_codes", n, before);
    before = rss_kib();
    sessions *set = fill_sessions(n);
    report("judge_state", n, before);
    report("all", n, start);
    int ok = t && reg && set;
    principal_table_destroy(t);
    registry_destroy(reg);
    sessions_destroy(set);
    return ok ? 0 : 1;
}
