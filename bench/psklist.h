/* psklist.h — a file of "identity psk" lines (one DTLS-PSK principal per line) held in memory,
 * sorted for look-up; shared by the load generator and the baseline server. */
#ifndef WELDREG_BENCH_PSKLIST_H
#define WELDREG_BENCH_PSKLIST_H

#include <stddef.h>

#define PSKLIST_IDENTITY_MAX 64
#define PSKLIST_KEY_MAX      64

typedef struct psklist_entry {
    char identity[PSKLIST_IDENTITY_MAX + 1];
    char key[PSKLIST_KEY_MAX + 1];
    size_t identity_len;
    size_t key_len;
} psklist_entry;

/* Entries in file order until psklist_sort() is called. The list owns its array. */
typedef struct psklist {
    psklist_entry *entries;
    size_t count;
} psklist;

/* Parses @p text (@p len bytes): lines "IDENTITY PSK" separated by spaces or tabs; blank lines
 * and lines starting with '#' are skipped. Identities are 1..64 characters of
 * [A-Za-z0-9_.:@-], keys 1..64 printable characters. Returns 0, or -1 with "line N: message"
 * in @p err (the list is then empty). */
int psklist_parse(psklist *list, const char *text, size_t len, char *err, size_t errlen);

/* Reads and parses the file at @p path. Returns 0, or -1 with a message in @p err. */
int psklist_load(psklist *list, const char *path, char *err, size_t errlen);

/* Sorts by identity so that psklist_find() works; -1 if an identity appears twice. */
int psklist_sort(psklist *list, char *err, size_t errlen);

/* The entry for @p identity (@p len bytes) in a sorted list, or NULL. */
const psklist_entry *psklist_find(const psklist *list, const char *identity, size_t len);

/* Wipes the keys and frees the array. Safe on a zeroed list. */
void psklist_deinit(psklist *list);

#endif
