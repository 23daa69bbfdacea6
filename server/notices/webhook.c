/* webhook.c — one HTTPS POST of a notice with libcurl (webhook.h). */
#include "server/notices/webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/notice.h"

/* The receiver's answer is not read: only its status counts. */
static size_t webhook_discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* The request's headers, or NULL when one could not be added or the body not signed. */
static struct curl_slist *webhook_headers(const webhook *w, const char *key, const char *kind,
                                          const char *body)
{
    char sig[NOTICE_SIGNATURE_SIZE];
    if (notice_signature(w->secret, w->secret_len, (int64_t)time(NULL), body, strlen(body), sig) !=
        WR_OK)
        return NULL;
    const char *fixed[] = {"Content-Type: application/json; charset=utf-8", "Expect:"};
    struct curl_slist *h = NULL;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct curl_slist *next = curl_slist_append(h, fixed[i]);
        if (!next)
            goto fail;
        h = next;
    }
    char lines[3][160];
    snprintf(lines[0], sizeof(lines[0]), "Idempotency-Key: %s", key);
    snprintf(lines[1], sizeof(lines[1]), "X-Weldreg-Notice: %s", kind);
    snprintf(lines[2], sizeof(lines[2]), "X-Weldreg-Signature: %s", sig);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct curl_slist *next = curl_slist_append(h, lines[i]);
        if (!next)
            goto fail;
        h = next;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

static void webhook_options(CURL *c, const webhook *w, const char *body, struct curl_slist *h,
                            char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)w->timeout_s);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (w->ca_file && w->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, w->ca_file);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

int webhook_post(const webhook *w, const char *key, const char *kind, const char *body, char *why,
                 size_t whylen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    struct curl_slist *h = c ? webhook_headers(w, key, kind, body) : NULL;
    if (!h) {
        snprintf(why, whylen, "could not prepare the request");
        curl_easy_cleanup(c);
        return -1;
    }
    webhook_options(c, w, body, h, errbuf);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf(why, whylen, "HTTP %ld", status);
        return -1;
    }
    return 0;
}
