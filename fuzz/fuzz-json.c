/* fuzz-json.c — the JSON parser over arbitrary bytes; what parses is decoded, converted to CBOR
 * and back, and must survive the round trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsoncbor.h"
#include "core/registry_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_token tokens[512];

static void decode_strings(const json_doc *doc)
{
    char buf[256];
    for (size_t i = 0; i < doc->count; i++) {
        size_t len = 0;
        if (doc->tokens[i].type == JSON_STRING &&
            json_string(doc, i, buf, sizeof(buf), &len) == WR_OK && len >= sizeof(buf))
            abort();
    }
}

static void roundtrip(const json_doc *doc)
{
    static uint8_t cbor[1 << 16];
    static char back[1 << 17];
    cbor_writer cw;
    cbor_writer_init(&cw, cbor, sizeof(cbor));
    if (jsoncbor_to_cbor(doc, 0, &cw) != WR_OK)
        return;
    json_writer jw;
    json_writer_init(&jw, back, sizeof(back));
    if (jsoncbor_from_cbor(cbor, cw.len, &jw) != WR_OK)
        abort(); /* everything the parser accepts has a CBOR form that converts back */
    json_doc again;
    static json_token more[512];
    if (json_parse(back, jw.len, more, 512, &again, NULL) != WR_OK || again.count != doc->count)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_doc doc;
    json_error err;
    if (json_parse((const char *)data, size, tokens, 512, &doc, &err) != WR_OK) {
        if (err.line == 0 || err.column == 0 || err.message[0] == '\0')
            abort();
        return 0;
    }
    decode_strings(&doc);
    roundtrip(&doc);
    (void)json_find(&doc, 0, "id");
    rules_permit_change change; /* the body of POST v1/permits/change */
    char why[RULES_WHY_SIZE];
    if (rules_check_permit_change(&doc, 0, &change, why, sizeof(why)) != WR_OK && !why[0])
        abort();                    /* every refusal says why */
    static rules_holidays holidays; /* the body of POST v1/holidays/import */
    if (rules_check_holidays(&doc, 0, &holidays, why, sizeof(why)) != WR_OK && !why[0])
        abort();
    return 0;
}
