/* test-keys.c — the station's files: PEM signing keys (Ed25519, P-256, refused RSA and
 * junk), trust and revocation list files with their errors, and merging revocation deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "tag-reader/keys.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/weldtag-keys.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char command[128];
    snprintf(command, sizeof(command), "rm -rf %s", f->dir);
    assert_int_equal(system(command), 0);
    free(f);
    return 0;
}

static const char *file_in(fixture *f, const char *name, const char *content)
{
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
    if (content) {
        FILE *out = fopen(f->path, "w");
        assert_non_null(out);
        fputs(content, out);
        assert_int_equal(fclose(out), 0);
    }
    return f->path;
}

static void write_pem(const char *path, EVP_PKEY *key)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(out), 0);
}

static void test_signing_keys(void **state)
{
    fixture *f = *state;
    char err[256];
    for (int i = 0; i < 2; i++) {
        EVP_PKEY *key = NULL, *loaded = NULL;
        assert_int_equal(cose_key_generate(i ? COSE_ALG_ES256 : COSE_ALG_EDDSA, &key), WR_OK);
        write_pem(file_in(f, "sign.pem", NULL), key);
        assert_int_equal(keys_load_signing_key(f->path, &loaded, err, sizeof(err)), 0);
        assert_int_equal(EVP_PKEY_eq(key, loaded), 1);
        EVP_PKEY_free(key);
        EVP_PKEY_free(loaded);
    }
    EVP_PKEY *rsa = EVP_RSA_gen(1024), *loaded = NULL;
    assert_non_null(rsa);
    write_pem(file_in(f, "rsa.pem", NULL), rsa);
    EVP_PKEY_free(rsa);
    assert_int_equal(keys_load_signing_key(f->path, &loaded, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "neither Ed25519 nor P-256"));
    file_in(f, "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert_int_equal(keys_load_signing_key(f->path, &loaded, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not an unencrypted PEM private key"));
    assert_int_equal(keys_load_signing_key("/nonexistent/key.pem", &loaded, err, 256), -1);
    assert_non_null(strstr(err, "could not open signing key"));
    assert_null(loaded);
}

static void test_trust_list_file_errors_name_the_line(void **state)
{
    fixture *f = *state;
    char err[256];
    trust_list *list = NULL;
    file_in(f, "trust.list", "# comment\n0011223344556677 rsa 1 2 m AAAA\n");
    assert_int_equal(keys_load_trust_list(f->path, &list, err, sizeof(err)), -1);
    assert_null(list);
    assert_non_null(strstr(err, "line 2"));
    file_in(f, "empty.list", "");
    assert_int_equal(keys_load_trust_list(f->path, &list, err, sizeof(err)), 0);
    assert_int_equal(list->count, 0);
    trust_list_destroy(list);
}

static void test_read_file_limit(void **state)
{
    fixture *f = *state;
    char err[256], *text = NULL;
    size_t len;
    file_in(f, "ten", "0123456789");
    assert_int_equal(keys_read_file(f->path, 10, &text, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 10);
    assert_string_equal(text, "0123456789");
    free(text);
    assert_int_equal(keys_read_file(f->path, 9, &text, &len, err, sizeof(err)), -1);
    assert_null(text);
    file_in(f, "big", NULL);
    FILE *out = fopen(f->path, "w");
    for (int i = 0; i < 10000; i++)
        fputs("0123456789", out);
    fclose(out);
    assert_int_equal(keys_read_file(f->path, 100000, &text, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 100000);
    free(text);
}

static void test_revocations_merge(void **state)
{
    fixture *f = *state;
    char err[256];
    size_t count;
    uint8_t ids[3 * TRUST_CTI_LEN];
    memset(ids, 0xaa, TRUST_CTI_LEN);
    memset(ids + TRUST_CTI_LEN, 0xbb, TRUST_CTI_LEN);
    memset(ids + 2 * TRUST_CTI_LEN, 0xcc, TRUST_CTI_LEN);
    const char *path = file_in(f, "revoked.list", NULL);
    codemsg_revocations first = {.version = 2, .full = true, .ctis = ids, .count = 2};
    assert_int_equal(keys_save_revocations(path, NULL, &first, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 2);
    revocation_list *cached = NULL;
    assert_int_equal(keys_load_revocations(path, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached->version, 2);
    /* a delta repeating 0xbb and adding 0xcc */
    codemsg_revocations delta = {
        .version = 3, .full = false, .ctis = ids + TRUST_CTI_LEN, .count = 2};
    assert_int_equal(keys_save_revocations(path, cached, &delta, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 3);
    trust_revocations_destroy(cached);
    assert_int_equal(keys_load_revocations(path, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached->version, 3);
    assert_int_equal(cached->count, 3);
    assert_true(trust_revocations_contains(cached, ids + 2 * TRUST_CTI_LEN));
    /* a full list replaces what was cached */
    codemsg_revocations full = {
        .version = 4, .full = true, .ctis = ids + 2 * TRUST_CTI_LEN, .count = 1};
    assert_int_equal(keys_save_revocations(path, cached, &full, &count, err, sizeof(err)), 0);
    trust_revocations_destroy(cached);
    assert_int_equal(keys_load_revocations(path, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached->count, 1);
    assert_false(trust_revocations_contains(cached, ids));
    trust_revocations_destroy(cached);
    assert_int_equal(
        keys_save_revocations("/nonexistent/dir/list", NULL, &full, &count, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "could not create"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signing_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_list_file_errors_name_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocations_merge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
