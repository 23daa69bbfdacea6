/* provision.c — bench-provision: creates N machine principals with fresh PSKs for a benchmark
 * (through the server's own store_save_principal(), several connections in parallel, because
 * one `weldreg-server provision` process per machine is far too slow for thousands), writes
 * their "identity psk" lines, and can issue one welder code for the load generator's scans. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/secret.h"
#include "server/db/store.h"

#define PROVISION_THREADS_MAX 16

typedef struct provision_options {
    const char *database_url;
    const char *kek_file;
    const char *out_file;
    const char *prefix;
    const char *signing_key;
    const char *code_out;
    unsigned count;
    unsigned threads;
} provision_options;

typedef struct provision_job {
    const provision_options *opt;
    const uint8_t *kek;
    char (*psks)[SECRET_PSK_LEN + 1];
    unsigned from, to;
    int rc;
    char err[256];
} provision_job;

static void provision_identity(const provision_options *opt, unsigned i, char *out, size_t cap)
{
    snprintf(out, cap, "%s%06u", opt->prefix, i + 1);
}

static void *provision_thread(void *arg)
{
    provision_job *job = arg;
    store *st = store_connect(job->opt->database_url, job->err, sizeof(job->err));
    job->rc = st ? 0 : -1;
    for (unsigned i = job->from; i < job->to && job->rc == 0; i++) {
        char id[PRINCIPAL_IDENTITY_MAX + 1];
        provision_identity(job->opt, i, id, sizeof(id));
        if (secret_new_psk(job->psks[i]) != WR_OK) {
            snprintf(job->err, sizeof(job->err), "could not make a PSK");
            job->rc = -1;
        } else {
            job->rc = store_save_principal(st, ROLE_MACHINE, id, job->kek, job->psks[i], false,
                                           job->err, sizeof(job->err));
        }
    }
    store_destroy(st);
    return NULL;
}

static int provision_read_kek(const char *path, uint8_t kek[SECRET_KEK_LEN])
{
    FILE *f = fopen(path, "rb");
    uint8_t extra;
    size_t n = f ? fread(kek, 1, SECRET_KEK_LEN, f) : 0;
    int too_long = f && fread(&extra, 1, 1, f) == 1;
    if (f)
        fclose(f);
    if (n != SECRET_KEK_LEN || too_long) {
        fprintf(stderr, "bench-provision: \"%s\" must hold exactly %d bytes\n", path,
                SECRET_KEK_LEN);
        return -1;
    }
    return 0;
}

static int provision_write(const provision_options *opt, char (*psks)[SECRET_PSK_LEN + 1])
{
    FILE *f = fopen(opt->out_file, "w");
    if (!f) {
        fprintf(stderr, "bench-provision: could not write \"%s\": %s\n", opt->out_file,
                strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < opt->count; i++) {
        char id[PRINCIPAL_IDENTITY_MAX + 1];
        provision_identity(opt, i, id, sizeof(id));
        fprintf(f, "%s %s\n", id, psks[i]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Saves the principals from opt->threads connections at once. */
static int provision_principals(const provision_options *opt, const uint8_t *kek,
                                char (*psks)[SECRET_PSK_LEN + 1])
{
    provision_job jobs[PROVISION_THREADS_MAX];
    pthread_t threads[PROVISION_THREADS_MAX];
    unsigned n = opt->threads, started = 0;
    int rc = 0;
    for (unsigned t = 0; t < n; t++) {
        jobs[t] = (provision_job){.opt = opt, .kek = kek, .psks = psks};
        jobs[t].from = (unsigned)((uint64_t)opt->count * t / n);
        jobs[t].to = (unsigned)((uint64_t)opt->count * (t + 1) / n);
        if (pthread_create(&threads[t], NULL, provision_thread, &jobs[t]) != 0)
            break;
        started++;
    }
    for (unsigned t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        if (jobs[t].rc != 0 && rc == 0) {
            fprintf(stderr, "bench-provision: %s\n", jobs[t].err);
            rc = -1;
        }
    }
    return started == n ? rc : -1;
}

/* Issues a welder code for the scans and prints "cti=HEX" for the registry rows. */
static int provision_code(const provision_options *opt)
{
    FILE *f = fopen(opt->signing_key, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!key) {
        fprintf(stderr, "bench-provision: could not read the signing key \"%s\"\n",
                opt->signing_key);
        return -1;
    }
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_WELDER;
    snprintf(c.iss, sizeof(c.iss), "bench");
    c.iat = (uint64_t)time(NULL) - 60;
    c.exp = c.iat + 180 * 86400u;
    snprintf(c.lic, sizeof(c.lic), "T**************1234");
    c.cats = CODE_CAT_FUSION;
    c.lvu = c.iat + 900 * 86400u;
    snprintf(c.nm, sizeof(c.nm), "\xe5\xbc\xa0*");
    char text[CODE_TEXT_MAX + 1];
    int rc = -1;
    FILE *out = NULL;
    if (code_new_cti(c.cti) == WR_OK && code_issue(&c, key, text, sizeof(text)) == WR_OK &&
        (out = fopen(opt->code_out, "w")) != NULL && fprintf(out, "%s\n", text) > 0)
        rc = 0;
    if (out && fclose(out) != 0)
        rc = -1;
    EVP_PKEY_free(key);
    if (rc != 0) {
        fprintf(stderr, "bench-provision: could not issue a code to \"%s\"\n", opt->code_out);
        return -1;
    }
    printf("cti=");
    for (size_t i = 0; i < CODE_CTI_LEN; i++)
        printf("%02x", c.cti[i]);
    printf("\n");
    return 0;
}

static int provision_parse(int argc, char **argv, provision_options *opt)
{
    static const struct option longs[] = {{"database-url", required_argument, NULL, 'd'},
                                          {"kek", required_argument, NULL, 'k'},
                                          {"out", required_argument, NULL, 'o'},
                                          {"prefix", required_argument, NULL, 'p'},
                                          {"count", required_argument, NULL, 'n'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"signing-key", required_argument, NULL, 's'},
                                          {"code-out", required_argument, NULL, 'c'},
                                          {NULL, 0, NULL, 0}};
    *opt = (provision_options){.prefix = "BENCH-", .threads = 4};
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        char *end = NULL;
        unsigned long v = 0;
        if (c == 'n' || c == 't') {
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || v > 1000000)
                return -1;
        }
        switch (c) {
        case 'd': opt->database_url = optarg; break;
        case 'k': opt->kek_file = optarg; break;
        case 'o': opt->out_file = optarg; break;
        case 'p': opt->prefix = optarg; break;
        case 'n': opt->count = (unsigned)v; break;
        case 't': opt->threads = (unsigned)v; break;
        case 's': opt->signing_key = optarg; break;
        case 'c': opt->code_out = optarg; break;
        default: return -1;
        }
    }
    if (opt->threads < 1 || opt->threads > PROVISION_THREADS_MAX || strlen(opt->prefix) > 50)
        return -1;
    if (!opt->signing_key != !opt->code_out)
        return -1;
    return optind == argc && opt->database_url && opt->kek_file && opt->out_file ? 0 : -1;
}

int main(int argc, char **argv)
{
    provision_options opt;
    if (provision_parse(argc, argv, &opt) != 0) {
        fputs("usage: bench-provision --database-url URL --kek FILE --out FILE --count N\n"
              "                       [--prefix BENCH-] [--threads 4]\n"
              "                       [--signing-key KEY --code-out FILE]\n"
              "Creates machine principals PREFIX000001.. with new PSKs (\"identity psk\" lines\n"
              "in FILE); with --signing-key also issues a welder code and prints its cti.\n",
              stderr);
        return 2;
    }
    uint8_t kek[SECRET_KEK_LEN];
    if (provision_read_kek(opt.kek_file, kek) != 0)
        return 2;
    char(*psks)[SECRET_PSK_LEN + 1] = calloc(opt.count ? opt.count : 1, sizeof(*psks));
    int rc = psks ? 0 : 1;
    if (rc == 0 && opt.count)
        rc = provision_principals(&opt, kek, psks) == 0 && provision_write(&opt, psks) == 0 ? 0 : 1;
    if (rc == 0 && opt.code_out)
        rc = provision_code(&opt) == 0 ? 0 : 1;
    if (psks)
        OPENSSL_cleanse(psks, (opt.count ? opt.count : 1) * sizeof(*psks));
    free(psks);
    OPENSSL_cleanse(kek, sizeof(kek));
    return rc;
}
