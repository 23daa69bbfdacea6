/* store_admin.c — the admin API's SQL: listings built as JSON by PostgreSQL, and changes in one
 * transaction each with their audit_log rows (the chain trigger links them). */
#include "core/json.h"
#include "server/db/store_admin.h"
#include "server/db/store_query.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets weldreg.note for the transfer trigger and the audit rows. */
static bool admin_note(store *st, const char *note, admin_outcome *out)
{
    query_params p = {0};
    qp_text(&p, note ? note : "");
    return query_run(st, "SELECT set_config('weldreg.note', $1, true)", &p, NULL, false, out);
}

/* ---- listings ---- */

/* How one entity is read: the columns of its JSON form and the expressions the filters use.
 * Parameters of every listing: $1 id, $2 chip, $3 community, $4 enterprise, $5 status,
 * $6 after, $7 limit, $8 scope (an inspector's principal id). */
typedef struct admin_view {
    const char *columns;
    const char *from;
    const char *id;
    const char *community; /* the community a record belongs to (scope and filter) */
    const char *enterprise;
    const char *status;
    const char *chip;
} admin_view;

#define ADMIN_TRANSFERS                                                                            \
    "(SELECT coalesce(json_agg(json_build_object('from_enterprise_id', t.from_enterprise_id,"      \
    " 'to_enterprise_id', t.to_enterprise_id, 'at', t.transferred_at, 'by', t.transferred_by,"     \
    " 'note', t.note) ORDER BY t.id), '[]') FROM machine_transfers t"                              \
    " WHERE t.machine_id = m.id) AS transfers"
#define ADMIN_TRAININGS                                                                            \
    "(SELECT coalesce(json_agg(json_build_object('course', t.course, 'completed_on',"              \
    " t.completed_on, 'hours', t.hours, 'provider', t.provider, 'valid_until', t.valid_until)"     \
    " ORDER BY t.completed_on), '[]')"                                                             \
    " FROM welder_trainings t WHERE t.welder_id = w.id) AS trainings"
/* a welder belongs to the communities of the enterprises whose permits name them and of those
 * that employ them (welder_employments, current or not) */
#define ADMIN_WELDER_COMMUNITIES                                                                   \
    "(SELECT pe.community_id FROM permit_welders pw JOIN permits pp ON pp.id = pw.permit_id"       \
    " JOIN enterprises pe ON pe.id = pp.enterprise_id WHERE pw.welder_id = w.id"                   \
    " UNION SELECT ee.community_id FROM welder_employments em"                                     \
    " JOIN enterprises ee ON ee.id = em.enterprise_id WHERE em.welder_id = w.id)"

static const admin_view admin_views[] = {
    [ADMIN_COMMUNITY] = {"c.id, c.code, c.name, c.district, c.created_at", "communities c", "c.id",
                         "c.id", "NULL::bigint", "NULL::text", "NULL::text"},
    [ADMIN_ENTERPRISE] = {"e.id, e.uscc, e.name, e.community_id, e.address, e.contact_name,"
                          " e.contact_phone, e.status, e.industry, e.created_at, e.updated_at",
                          "enterprises e", "e.id", "e.community_id", "e.id", "e.status",
                          "NULL::text"},
    [ADMIN_MACHINE] = {"m.id, m.chip_id, m.serial, m.model, m.process_category,"
                       " m.rated_current_a, m.enterprise_id, e.community_id, m.keeper_name,"
                       " m.keeper_phone, m.status, m.registered_at, m.updated_at, m.scrapped_at,"
                       " " ADMIN_TRANSFERS,
                       "machines m JOIN enterprises e ON e.id = m.enterprise_id", "m.id",
                       "e.community_id", "m.enterprise_id", "m.status", "m.chip_id"},
    [ADMIN_WELDER] = {"w.id, w.name, w.idcard_masked, w.licence_no_masked, w.phone,"
                      " w.licence_categories AS categories, w.licence_issued_on AS issued_on,"
                      " w.licence_valid_until AS valid_until, w.licence_review_due AS review_due,"
                      " w.long_record, w.licence_status, w.status, w.created_at, w.updated_at,"
                      " " ADMIN_TRAININGS,
                      "welders w", "w.id", NULL, "NULL::bigint", "w.status", "NULL::text"},
    [ADMIN_PERMIT] = {"p.id, p.permit_no, p.level, p.enterprise_id, e.community_id,"
                      " p.site_address, p.site_lat, p.site_lon, p.site_radius_m, p.starts_at,"
                      " p.ends_at, p.approver, p.approver_level, p.gas_analysis_at,"
                      " p.fire_watch, p.status,"
                      " p.all_machines, (SELECT coalesce(json_agg(pw.welder_id ORDER BY"
                      " pw.welder_id), '[]') FROM permit_welders pw WHERE pw.permit_id = p.id)"
                      " AS welders, (SELECT coalesce(json_agg(pm.machine_id ORDER BY"
                      " pm.machine_id), '[]') FROM permit_machines pm WHERE pm.permit_id = p.id)"
                      " AS machines, p.created_at",
                      "permits p JOIN enterprises e ON e.id = p.enterprise_id", "p.id",
                      "e.community_id", "p.enterprise_id", "p.status", "NULL::text"},
    [ADMIN_PRINCIPAL] = {"r.id, r.identity, r.role, r.machine_id, r.cert_cn IS NOT NULL AS"
                         " allow_cert, r.psk_ciphertext IS NOT NULL AS has_psk, (SELECT"
                         " coalesce(json_agg(pc.community_id ORDER BY pc.community_id), '[]')"
                         " FROM principal_communities pc WHERE pc.principal_id = r.id) AS"
                         " communities, r.created_at, r.disabled_at",
                         "principals r", "r.id", "NULL::bigint", "NULL::bigint", "r.role",
                         "r.identity"},
    [ADMIN_AUDIT] = {"a.id, a.at, extract(epoch FROM a.at)::text AS at_epoch, a.actor, a.action,"
                     " a.entity, a.entity_id, a.before::text AS before, a.after::text AS after,"
                     " encode(a.prev_hash, 'hex') AS prev_hash, encode(a.hash, 'hex') AS hash",
                     "audit_log a", "a.id", "NULL::bigint", "NULL::bigint", "a.entity",
                     "NULL::text"},
};

/* The WHERE clause of @p v into @p out. */
static void admin_where(const admin_view *v, char *out, size_t cap)
{
    char scope[512];
    if (v->community)
        snprintf(scope, sizeof(scope),
                 "($8 = 0 OR %s IN (SELECT community_id FROM principal_communities"
                 " WHERE principal_id = $8))",
                 v->community);
    else
        snprintf(scope, sizeof(scope),
                 "($8 = 0 OR EXISTS (SELECT 1 FROM principal_communities pc WHERE"
                 " pc.principal_id = $8 AND pc.community_id IN " ADMIN_WELDER_COMMUNITIES "))");
    snprintf(out, cap,
             "($1 = 0 OR %s = $1) AND ($2 = '' OR %s = $2) AND ($3 = 0 OR %s = $3)"
             " AND ($4 = 0 OR %s = $4) AND ($5 = '' OR %s = $5) AND %s > $6 AND %s",
             v->id, v->chip, v->community ? v->community : "NULL::bigint", v->enterprise, v->status,
             v->id, scope);
}

void store_admin_list(store *st, const admin_query *q, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    const admin_view *v = &admin_views[q->entity];
    char where[2048], sql[8192];
    admin_where(v, where, sizeof(where));
    bool one = q->id != 0 || q->chip[0];
    if (one)
        snprintf(sql, sizeof(sql),
                 "SELECT row_to_json(x)::text FROM (SELECT %s FROM %s WHERE %s"
                 " LIMIT $7) x",
                 v->columns, v->from, where);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT json_build_object('items', coalesce(json_agg(x ORDER BY x.id), '[]'),"
                 " 'next', CASE WHEN count(*) = $7 THEN max(x.id) END)::text"
                 " FROM (SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT $7) x",
                 v->columns, v->from, where, v->id);
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8};
    query_params p = {0};
    qp_int(&p, q->id);
    qp_text(&p, q->chip);
    qp_int(&p, q->community_id);
    qp_int(&p, q->enterprise_id);
    qp_text(&p, q->status);
    qp_int(&p, q->after);
    qp_int(&p, one ? 1 : q->limit);
    qp_int(&p, q->scope);
    query_run(st, sql, &p, types, true, out);
}

void store_admin_editable(store *st, admin_entity entity, int64_t id, admin_outcome *out)
{
    static const char *const sql[] = {
        [ADMIN_ENTERPRISE] = "SELECT json_build_object('uscc', uscc, 'name', name, 'community_id',"
                             " community_id, 'address', address, 'contact_name', contact_name,"
                             " 'contact_phone', contact_phone, 'status', status, 'industry',"
                             " industry)::text FROM enterprises WHERE id = $1",
        [ADMIN_MACHINE] = "SELECT json_build_object('chip_id', chip_id, 'serial', serial, 'model',"
                          " model, 'process_category', process_category, 'rated_current_a',"
                          " rated_current_a, 'enterprise_id', enterprise_id, 'keeper_name',"
                          " keeper_name, 'keeper_phone', keeper_phone, 'status', status)::text"
                          " FROM machines WHERE id = $1 AND status <> 'scrapped'",
        [ADMIN_WELDER] = "SELECT json_build_object('name', name, 'phone', phone, 'categories',"
                         " licence_categories, 'issued_on', licence_issued_on, 'valid_until',"
                         " licence_valid_until, 'review_due', licence_review_due, 'long_record',"
                         " long_record, 'status', status, 'licence_status', licence_status)::text"
                         " FROM welders WHERE id = $1",
    };
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, id);
    if (entity >= sizeof(sql) / sizeof(sql[0]) || !sql[entity]) {
        out->status = STORE_EFAILED;
        return;
    }
    query_run(st, sql[entity], &p, NULL, true, out);
}

void store_admin_enterprise_uscc(store *st, int64_t enterprise_id, char uscc[19],
                                 admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, enterprise_id);
    if (query_run(st, "SELECT uscc FROM enterprises WHERE id = $1 AND status = 'active'", &p, NULL,
                  true, out))
        snprintf(uscc, 19, "%s", out->json);
    admin_outcome_deinit(out);
}

/* ---- changes ---- */

/* welders' rows go to the audit log without the keyed hashes */
#define WELDER_JSON(row) "to_jsonb(" row ") - 'idcard_hash' - 'licence_no_hash'"

/* The statement's answer is the id as text: keep it and answer {"id": N}. */
static void admin_take_id(admin_outcome *out)
{
    if (out->status != STORE_OK || out->not_found || !out->json)
        return;
    out->id = strtoll(out->json, NULL, 10);
    admin_outcome_deinit(out);
    char text[48];
    snprintf(text, sizeof(text), "{\"id\":%" PRId64 "}", out->id);
    out->json = strdup(text);
    out->json_len = out->json ? strlen(out->json) : 0;
}

/* Runs @p sql (answering the id) as the whole change. */
static void admin_change(store *st, const char *actor, const char *sql, const query_params *p,
                         admin_outcome *out)
{
    query_begin(st, actor, out);
    query_run(st, sql, p, NULL, true, out);
    admin_take_id(out);
    query_finish(st, out);
}

void store_admin_create_community(store *st, const char *actor, const rules_community *c,
                                  admin_outcome *out)
{
    query_params p = {0};
    qp_text(&p, c->code);
    qp_text(&p, c->name);
    qp_text(&p, c->district);
    admin_change(st, actor,
                 "WITH new AS (INSERT INTO communities (code, name, district) VALUES ($1, $2, $3)"
                 " RETURNING *), a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'community.create',"
                 " 'community', id::text, NULL, to_jsonb(new) FROM new) SELECT id::text FROM new",
                 &p, out);
}

static void admin_enterprise_params(query_params *p, const rules_enterprise *e)
{
    qp_text(p, e->uscc);
    qp_text(p, e->name);
    qp_int(p, e->community_id);
    qp_text(p, e->address);
    qp_opt(p, e->contact_name);
    qp_opt(p, e->contact_phone);
    qp_text(p, e->status);
    qp_opt(p, e->industry);
}

/* The INSERT of an enterprise, audited as @p action ("enterprise.create", ".import"): $9. */
#define ADMIN_INSERT_ENTERPRISE                                                                    \
    "WITH new AS (INSERT INTO enterprises (uscc, name, community_id, address, contact_name,"       \
    " contact_phone, status, industry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *), a"    \
    " AS (" AUDIT_INSERT                                                                           \
    "SELECT weldreg_actor(), $9, 'enterprise', id::text, NULL, to_jsonb(new) FROM"                 \
    " new) SELECT id::text FROM new"

void store_admin_create_enterprise(store *st, const char *actor, const rules_enterprise *e,
                                   admin_outcome *out)
{
    query_params p = {0};
    admin_enterprise_params(&p, e);
    qp_text(&p, "enterprise.create");
    admin_change(st, actor, ADMIN_INSERT_ENTERPRISE, &p, out);
}

void store_admin_update_enterprise(store *st, const char *actor, int64_t id,
                                   const rules_enterprise *e, admin_outcome *out)
{
    query_params p = {0};
    admin_enterprise_params(&p, e);
    qp_int(&p, id);
    admin_change(st, actor,
                 "WITH old AS (SELECT * FROM enterprises WHERE id = $9), new AS (UPDATE"
                 " enterprises x SET uscc = $1, name = $2, community_id = $3, address = $4,"
                 " contact_name = $5, contact_phone = $6, status = $7, industry = $8,"
                 " updated_at = now()"
                 " FROM old WHERE x.id = old.id RETURNING x.*), a AS (" AUDIT_INSERT
                 "SELECT weldreg_actor(), 'enterprise.update', 'enterprise', new.id::text,"
                 " to_jsonb(old), to_jsonb(new) FROM old, new) SELECT id::text FROM new",
                 &p, out);
}

static void admin_machine_params(query_params *p, const rules_machine *m)
{
    qp_text(p, m->chip_id);
    qp_opt(p, m->serial);
    qp_opt(p, m->model);
    qp_text(p, m->process_category);
    qp_opt_int(p, m->rated_current_a);
    qp_int(p, m->enterprise_id);
    qp_text(p, m->keeper_name);
    qp_opt(p, m->keeper_phone);
    qp_text(p, m->status);
}

/* Records an issued code (its text too, when kept) and its audit row. */
static void admin_record_code(store *st, const char *kind, int64_t subject, const admin_code *code,
                              admin_outcome *out)
{
    query_params p = {0};
    qp_bytes(&p, code->cti, sizeof(code->cti));
    qp_text(&p, kind);
    qp_int(&p, subject);
    qp_bytes(&p, code->kid, sizeof(code->kid));
    qp_int(&p, code->expires_at);
    qp_text(&p, code->text);
    query_run(st,
              "WITH c AS (INSERT INTO codes (cti, kind, machine_id, welder_id, kid, expires_at,"
              " text) VALUES ($1, $2, CASE WHEN $2 = 'machine' THEN $3::bigint END, CASE WHEN $2"
              " = 'welder' THEN $3::bigint END, $4, to_timestamp($5), $6) RETURNING *)"
              " " AUDIT_INSERT "SELECT weldreg_actor(), 'code.issue', 'code', encode(cti, 'hex'),"
              " NULL, jsonb_build_object('kind', kind, 'machine_id', machine_id, 'welder_id',"
              " welder_id, 'kid', encode(kid, 'hex'), 'expires_at', expires_at) FROM c",
              &p, NULL, false, out);
}

/* Inserts the machine, its principal and its code in the transaction under way; out->id is
 * the machine's id. */
static void admin_insert_machine(store *st, const rules_machine *m,
                                 const uint8_t kek[SECRET_KEK_LEN], const char *psk,
                                 const admin_code *code, admin_outcome *out)
{
    query_params p = {0};
    admin_machine_params(&p, m);
    query_run(st,
              "WITH new AS (INSERT INTO machines (chip_id, serial, model, process_category,"
              " rated_current_a, enterprise_id, keeper_name, keeper_phone, status) VALUES ($1,"
              " $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *), a AS (" AUDIT_INSERT
              "SELECT weldreg_actor(), 'machine.create', 'machine', id::text, NULL,"
              " to_jsonb(new) FROM new) SELECT id::text FROM new",
              &p, NULL, true, out);
    admin_take_id(out);
    char err[256];
    if (out->status == STORE_OK &&
        store_save_principal(st, ROLE_MACHINE, m->chip_id, kek, psk, false, err, sizeof(err)) != 0)
        query_fail(st, NULL, out);
    query_params q = {0};
    qp_text(&q, m->chip_id);
    query_run(st,
              AUDIT_INSERT "SELECT weldreg_actor(), 'principal.create', 'principal', id::text,"
                           " NULL, jsonb_build_object('identity', identity, 'role', role,"
                           " 'machine_id', machine_id) FROM principals WHERE identity = $1",
              &q, NULL, false, out);
    if (code)
        admin_record_code(st, "machine", out->id, code, out);
}

void store_admin_create_machine(store *st, const char *actor, const rules_machine *m,
                                const uint8_t kek[SECRET_KEK_LEN], const char *psk,
                                const admin_code *code, admin_outcome *out)
{
    query_begin(st, actor, out);
    admin_insert_machine(st, m, kek, psk, code, out);
    query_finish(st, out);
}

/* The UPDATE of every editable field of machine $10, audited as $11 ("machine.update",
 * "machine.transfer"); a change of owner is recorded in machine_transfers by its trigger. */
#define ADMIN_UPDATE_MACHINE                                                                       \
    "WITH old AS (SELECT * FROM machines WHERE id = $10 AND status <> 'scrapped'), new AS"         \
    " (UPDATE machines x SET chip_id = $1, serial = $2, model = $3, process_category = $4,"        \
    " rated_current_a = $5, enterprise_id = $6, keeper_name = $7, keeper_phone = $8, status ="     \
    " $9 FROM old WHERE x.id = old.id RETURNING x.*), a AS (" AUDIT_INSERT "SELECT"                \
    " weldreg_actor(), $11, 'machine', new.id::text, to_jsonb(old), to_jsonb(new) FROM old, new)"  \
    " SELECT id::text FROM new"

void store_admin_update_machine(store *st, const char *actor, int64_t id, const rules_machine *m,
                                admin_outcome *out)
{
    query_params p = {0};
    admin_machine_params(&p, m);
    qp_int(&p, id);
    qp_text(&p, "machine.update");
    admin_change(st, actor, ADMIN_UPDATE_MACHINE, &p, out);
}

/* The licence categories as a text[] literal ("{fusion,brazing}"); fixed words only. */
static void admin_categories(unsigned bits, char out[48])
{
    static const char *const names[] = {"fusion", "pressure", "brazing"};
    size_t n = 0;
    out[n++] = '{';
    for (unsigned i = 0; i < 3; i++) {
        if (!(bits & (1u << i)))
            continue;
        n += (size_t)snprintf(out + n, 48 - n, "%s%s", n > 1 ? "," : "", names[i]);
    }
    snprintf(out + n, 48 - n, "}");
}

void store_admin_create_welder(store *st, const char *actor, const rules_welder *w,
                               const admin_pii *pii, const admin_code *code, admin_outcome *out)
{
    char cats[48];
    admin_categories(w->categories, cats);
    query_params p = {0};
    qp_text(&p, w->name);
    qp_bytes(&p, pii->idcard_hash, 32);
    qp_text(&p, w->idcard_masked);
    qp_opt(&p, w->phone);
    qp_bytes(&p, pii->licence_hash, 32);
    qp_text(&p, w->licence_masked);
    qp_text(&p, cats);
    qp_text(&p, w->issued_on);
    qp_text(&p, w->valid_until);
    qp_text(&p, w->review_due);
    qp_bool(&p, w->long_record);
    qp_text(&p, w->status);
    qp_text(&p, w->licence_status);
    query_begin(st, actor, out);
    query_run(st,
              "WITH new AS (INSERT INTO welders (name, idcard_hash, idcard_masked, phone,"
              " licence_no_hash, licence_no_masked, licence_categories, licence_issued_on,"
              " licence_valid_until, licence_review_due, long_record, status, licence_status)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *),"
              " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'welder.create', 'welder',"
              " id::text, NULL, " WELDER_JSON("new") " FROM new) SELECT id::text FROM new",
              &p, NULL, true, out);
    admin_take_id(out);
    if (code)
        admin_record_code(st, "welder", out->id, code, out);
    query_finish(st, out);
}

void store_admin_update_welder(store *st, const char *actor, int64_t id, const rules_welder *w,
                               const admin_pii *pii, admin_outcome *out)
{
    char cats[48];
    admin_categories(w->categories, cats);
    query_params p = {0};
    qp_text(&p, w->name);
    qp_opt(&p, w->phone);
    qp_text(&p, cats);
    qp_text(&p, w->issued_on);
    qp_text(&p, w->valid_until);
    qp_text(&p, w->review_due);
    qp_bool(&p, w->long_record);
    qp_text(&p, w->status);
    qp_text(&p, w->licence_status);
    qp_int(&p, id);
    /* a new ID-card or licence number replaces the stored hash and masked form */
    if (pii && w->has_idcard) {
        qp_bytes(&p, pii->idcard_hash, 32);
        qp_text(&p, w->idcard_masked);
    } else {
        qp_text(&p, NULL);
        qp_text(&p, NULL);
    }
    if (pii && w->has_licence) {
        qp_bytes(&p, pii->licence_hash, 32);
        qp_text(&p, w->licence_masked);
    } else {
        qp_text(&p, NULL);
        qp_text(&p, NULL);
    }
    admin_change(
        st, actor,
        "WITH old AS (SELECT * FROM welders WHERE id = $10), new AS (UPDATE welders x"
        " SET name = $1, phone = $2, licence_categories = $3, licence_issued_on = $4,"
        " licence_valid_until = $5, licence_review_due = $6, long_record = $7, status ="
        " $8, licence_status = $9, idcard_hash = coalesce($11::bytea, x.idcard_hash),"
        " idcard_masked = coalesce($12, x.idcard_masked), licence_no_hash ="
        " coalesce($13::bytea, x.licence_no_hash), licence_no_masked = coalesce($14,"
        " x.licence_no_masked) FROM old WHERE x.id = old.id RETURNING x.*), a AS (" AUDIT_INSERT
        "SELECT weldreg_actor(), 'welder.update', 'welder', new.id::text, " WELDER_JSON(
            "old") ", " WELDER_JSON("new") " FROM old, new)"
                                           " SELECT id::text FROM new",
        &p, out);
}

/* "{1,2,3}" for a bigint[] parameter. */
static void admin_id_array(const int64_t *ids, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[len++] = '{';
    for (size_t i = 0; i < n && len + 24 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(out + len, cap - len, "}");
}

void store_admin_create_permit(store *st, const char *actor, const rules_permit *r,
                               admin_outcome *out)
{
    char welders[RULES_LIST_MAX * 22 + 4], machines[RULES_LIST_MAX * 22 + 4];
    admin_id_array(r->welders, r->welder_count, welders, sizeof(welders));
    admin_id_array(r->machines, r->machine_count, machines, sizeof(machines));
    query_params p = {0};
    qp_text(&p, r->permit_no);
    qp_text(&p, permit_level_name(r->level));
    qp_int(&p, r->enterprise_id);
    qp_text(&p, r->site_address);
    qp_double(&p, r->site_lat);
    qp_double(&p, r->site_lon);
    qp_int(&p, r->site_radius_m);
    qp_int(&p, r->starts_at);
    qp_int(&p, r->ends_at);
    qp_text(&p, r->approver);
    if (r->has_gas_analysis)
        qp_int(&p, r->gas_analysis_at);
    else
        qp_text(&p, NULL);
    qp_text(&p, r->fire_watch);
    qp_text(&p, r->status);
    qp_bool(&p, r->all_machines);
    qp_text(&p, welders);
    qp_text(&p, machines);
    qp_opt(&p, r->approver_level);
    admin_change(
        st, actor,
        "WITH new AS (INSERT INTO permits (permit_no, level, enterprise_id, site_address,"
        " site_lat, site_lon, site_radius_m, starts_at, ends_at, approver, gas_analysis_at,"
        " fire_watch, status, all_machines, approver_level) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " to_timestamp($8), to_timestamp($9), $10, to_timestamp($11), $12, $13, $14, $17)"
        " RETURNING *),"
        " w AS (INSERT INTO permit_welders (permit_id, welder_id) SELECT new.id, unnest($15::"
        "bigint[]) FROM new), m AS (INSERT INTO permit_machines (permit_id, machine_id) SELECT"
        " new.id, unnest($16::bigint[]) FROM new), a AS (" AUDIT_INSERT "SELECT weldreg_actor(),"
        " 'permit.create', 'permit', id::text, NULL, to_jsonb(new) || jsonb_build_object("
        "'welders', $15::bigint[], 'machines', $16::bigint[]) FROM new) SELECT id::text FROM new",
        &p, out);
}

void store_admin_create_principal(store *st, const char *actor, const char *identity,
                                  const char *role, const int64_t *communities, size_t n,
                                  const uint8_t kek[SECRET_KEK_LEN], const char *psk,
                                  admin_outcome *out)
{
    principal_role r;
    char list[RULES_LIST_MAX * 22 + 4];
    admin_id_array(communities, n, list, sizeof(list));
    query_params p = {0};
    qp_text(&p, identity);
    query_begin(st, actor, out);
    if (query_run(st, "SELECT id::text FROM principals WHERE identity = $1", &p, NULL, true, out)) {
        out->status = STORE_EFAILED; /* exists: the API does not re-key through "create" */
        out->refusal = ADMIN_REFUSAL_UNIQUE;
        out->field = "identity";
    }
    if (out->not_found)
        out->not_found = false; /* the identity is free */
    admin_outcome_deinit(out);
    char err[256];
    if (out->status == STORE_OK &&
        (principal_role_parse(role, &r) != 0 ||
         store_save_principal(st, r, identity, kek, psk, false, err, sizeof(err)) != 0))
        query_fail(st, NULL, out);
    query_params q = {0};
    qp_text(&q, identity);
    qp_text(&q, list);
    query_run(st,
              "WITH c AS (INSERT INTO principal_communities (principal_id, community_id)"
              " SELECT id, unnest($2::bigint[]) FROM principals WHERE identity = $1)"
              " " AUDIT_INSERT "SELECT weldreg_actor(), 'principal.create', 'principal',"
              " id::text, NULL, jsonb_build_object('identity', identity, 'role', role,"
              " 'communities', $2::bigint[]) FROM principals WHERE identity = $1"
              " RETURNING entity_id",
              &q, NULL, true, out);
    admin_take_id(out);
    query_finish(st, out);
}

void store_admin_find_principal(store *st, int64_t id, const char *identity,
                                const int64_t *communities, size_t n, admin_principal *found,
                                admin_outcome *out)
{
    char list[RULES_LIST_MAX * 22 + 4], role[16] = "";
    long long pid = 0, unknown = 0;
    admin_id_array(communities, n, list, sizeof(list));
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, identity);
    qp_text(&p, list);
    memset(out, 0, sizeof(*out));
    memset(found, 0, sizeof(*found));
    /* "<id> <role> <first unknown community or 0> <identity>": none of them holds a space */
    if (!query_run(st,
                   "SELECT r.id || ' ' || r.role || ' ' || coalesce((SELECT u.c FROM unnest($3::"
                   "bigint[]) WITH ORDINALITY u(c, i) WHERE NOT EXISTS (SELECT 1 FROM communities"
                   " WHERE id = u.c) ORDER BY u.i LIMIT 1), 0) || ' ' || r.identity FROM"
                   " principals r WHERE ($1 = 0 OR r.id = $1) AND ($2 = '' OR r.identity = $2)",
                   &p, NULL, true, out))
        return;
    /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
    if (sscanf(out->json, "%lld %15s %lld %64s", &pid, role, &unknown, found->identity) != 4 ||
        principal_role_parse(role, &found->role) != 0) {
        out->status = STORE_EFAILED;
        snprintf(out->message, sizeof(out->message), "unexpected principal row");
    }
    found->id = pid;
    found->unknown_community = unknown;
    admin_outcome_deinit(out);
}

void store_admin_set_communities(store *st, const char *actor, int64_t id,
                                 const int64_t *communities, size_t n, admin_outcome *out)
{
    char list[RULES_LIST_MAX * 22 + 4];
    admin_id_array(communities, n, list, sizeof(list));
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, list);
    /* the statement's parts share one snapshot: "old" is the list before the change, and the
     * rows deleted and inserted are disjoint */
    admin_change(st, actor,
                 "WITH r AS (SELECT id, identity, role FROM principals WHERE id = $1 AND role ="
                 " 'inspector' FOR UPDATE), old AS (SELECT coalesce(jsonb_agg(pc.community_id"
                 " ORDER BY pc.community_id), '[]') AS c FROM principal_communities pc, r WHERE"
                 " pc.principal_id = r.id), gone AS (DELETE FROM principal_communities pc USING r"
                 " WHERE pc.principal_id = r.id AND pc.community_id <> ALL ($2::bigint[])),"
                 " added AS (INSERT INTO principal_communities (principal_id, community_id)"
                 " SELECT r.id, u.c FROM r, unnest($2::bigint[]) u(c) ON CONFLICT DO NOTHING),"
                 " touched AS (UPDATE principals x SET updated_at = now() FROM r WHERE x.id ="
                 " r.id RETURNING x.id), a AS (" AUDIT_INSERT "SELECT weldreg_actor(),"
                 " 'principal.update', 'principal', r.id::text, jsonb_build_object('identity',"
                 " r.identity, 'role', r.role, 'communities', old.c), jsonb_build_object("
                 "'identity', r.identity, 'role', r.role, 'communities', (SELECT jsonb_agg(u.c"
                 " ORDER BY u.c) FROM unnest($2::bigint[]) u(c))) FROM r, old)"
                 " SELECT id::text FROM touched",
                 &p, out);
}

/* ---- actions ---- */

void store_admin_transfer_machine(store *st, const char *actor, int64_t id, int64_t enterprise_id,
                                  const char *note, admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, id);
    qp_int(&p, enterprise_id);
    query_begin(st, actor, out);
    if (admin_note(st, note, out))
        query_run(st,
                  "WITH old AS (SELECT * FROM machines WHERE id = $1 AND status <> 'scrapped'"
                  " AND enterprise_id <> $2), new AS (UPDATE machines x SET enterprise_id = $2"
                  " FROM old WHERE x.id = old.id RETURNING x.*), a AS (" AUDIT_INSERT
                  "SELECT weldreg_actor(), 'machine.transfer', 'machine', new.id::text,"
                  " to_jsonb(old), to_jsonb(new) || jsonb_build_object('note',"
                  " nullif(current_setting('weldreg.note', true), '')) FROM old, new)"
                  " SELECT id::text FROM new",
                  &p, NULL, true, out);
    admin_take_id(out);
    query_finish(st, out);
}

/* Revokes every live code of a machine or welder (@p column names which) with audit rows. */
static void admin_revoke_codes(store *st, const char *column, int64_t id, const char *reason,
                               admin_outcome *out)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "WITH r AS (UPDATE codes SET revoked_at = now(), revoke_reason = $2 WHERE %s = $1"
             " AND revoked_at IS NULL RETURNING *) " AUDIT_INSERT "SELECT weldreg_actor(),"
             " 'code.revoke', 'code', encode(cti, 'hex'), NULL, jsonb_build_object('kind', kind,"
             " 'machine_id', machine_id, 'welder_id', welder_id, 'reason', revoke_reason,"
             " 'revocation_version', revocation_version) FROM r",
             column);
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, reason);
    query_run(st, sql, &p, NULL, false, out);
}

void store_admin_scrap_machine(store *st, const char *actor, int64_t id, const char *note,
                               admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, id);
    query_begin(st, actor, out);
    if (admin_note(st, note, out))
        query_run(st,
                  "WITH old AS (SELECT * FROM machines WHERE id = $1 AND status <> 'scrapped'),"
                  " new AS (UPDATE machines x SET status = 'scrapped', scrapped_at = now() FROM"
                  " old WHERE x.id = old.id RETURNING x.*), a AS (" AUDIT_INSERT
                  "SELECT weldreg_actor(), 'machine.scrap', 'machine', new.id::text,"
                  " to_jsonb(old), to_jsonb(new) || jsonb_build_object('note',"
                  " nullif(current_setting('weldreg.note', true), '')) FROM old, new)"
                  " SELECT id::text FROM new",
                  &p, NULL, true, out);
    admin_take_id(out);
    admin_revoke_codes(st, "machine_id", id, "machine scrapped", out);
    query_run(st,
              "WITH d AS (UPDATE principals SET disabled_at = now() WHERE machine_id = $1 AND"
              " disabled_at IS NULL RETURNING *) " AUDIT_INSERT "SELECT weldreg_actor(),"
              " 'principal.disable', 'principal', id::text, NULL, jsonb_build_object("
              "'identity', identity, 'reason', 'machine scrapped') FROM d",
              &p, NULL, false, out);
    query_finish(st, out);
}

void store_admin_retire_welder(store *st, const char *actor, int64_t id, const char *note,
                               admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, id);
    query_begin(st, actor, out);
    if (admin_note(st, note, out))
        query_run(st,
                  "WITH old AS (SELECT * FROM welders WHERE id = $1 AND status <> 'retired'),"
                  " new AS (UPDATE welders x SET status = 'retired' FROM old WHERE x.id ="
                  " old.id RETURNING x.*), a AS (" AUDIT_INSERT "SELECT weldreg_actor(),"
                  " 'welder.retire', 'welder', new.id::text, " WELDER_JSON("old") ", " WELDER_JSON(
                      "new") " || jsonb_build_object('note', nullif(current_setting("
                             "'weldreg.note', true), '')) FROM old, new) SELECT id::text FROM new",
                  &p, NULL, true, out);
    admin_take_id(out);
    admin_revoke_codes(st, "welder_id", id, "welder retired", out);
    query_finish(st, out);
}

void store_admin_add_training(store *st, const char *actor, int64_t welder_id,
                              const store_training *t, admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, welder_id);
    qp_text(&p, t->course);
    qp_text(&p, t->completed_on);
    qp_text(&p, t->hours);
    qp_text(&p, t->provider);
    qp_text(&p, t->valid_until);
    admin_change(st, actor,
                 "WITH w AS (SELECT id FROM welders WHERE id = $1 AND status <> 'retired'),"
                 " new AS (INSERT INTO welder_trainings (welder_id, course, completed_on, hours,"
                 " provider, valid_until) SELECT w.id, $2, $3::date, $4::numeric, $5,"
                 " nullif($6, '')::date FROM w RETURNING *),"
                 " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'welder.training', 'welder',"
                 " new.welder_id::text, NULL, to_jsonb(new) FROM new)"
                 " SELECT welder_id::text FROM new",
                 &p, out);
}

/* "LEVEL START END" as the statement below writes it. */
static bool admin_parse_window(const char *text, store_permit_window *w)
{
    const char *times = strchr(text, ' ');
    if (!times)
        return false;
    w->level = strncmp(text, "special ", 8) == 0 ? PERMIT_SPECIAL
               : strncmp(text, "first ", 6) == 0 ? PERMIT_FIRST
                                                 : PERMIT_SECOND;
    char *end;
    w->starts_at = strtoll(times + 1, &end, 10);
    if (*end != ' ')
        return false;
    w->ends_at = strtoll(end + 1, &end, 10);
    return *end == '\0';
}

bool store_admin_permit_window(store *st, int64_t id, store_permit_window *w, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, id);
    if (!query_run(st,
                   "SELECT level || ' ' || floor(extract(epoch FROM starts_at))::bigint || ' '"
                   " || floor(extract(epoch FROM ends_at))::bigint FROM permits"
                   " WHERE id = $1 AND status = 'approved'",
                   &p, NULL, true, out))
        return false;
    bool ok = admin_parse_window(out->json, w);
    admin_outcome_deinit(out);
    out->status = ok ? STORE_OK : STORE_EFAILED;
    return ok;
}

/* The optional parameters of a permit change: a time, or NULL. */
static void admin_opt_time(query_params *p, bool has, int64_t t)
{
    if (has)
        qp_int(p, t);
    else
        qp_text(p, NULL);
}

void store_admin_change_permit(store *st, const char *actor, const rules_permit_change *c,
                               int64_t expected_end, admin_outcome *out)
{
    char lists[4][RULES_LIST_MAX * 22 + 4];
    admin_id_array(c->add_welders, c->add_welder_count, lists[0], sizeof(lists[0]));
    admin_id_array(c->remove_welders, c->remove_welder_count, lists[1], sizeof(lists[1]));
    admin_id_array(c->add_machines, c->add_machine_count, lists[2], sizeof(lists[2]));
    admin_id_array(c->remove_machines, c->remove_machine_count, lists[3], sizeof(lists[3]));
    query_params p = {0};
    qp_int(&p, c->id);
    admin_opt_time(&p, c->has_gas_test, c->gas_tested_at);
    qp_double(&p, c->gas_value);
    admin_opt_time(&p, c->has_ends_at, c->ends_at);
    qp_int(&p, expected_end);
    for (size_t i = 0; i < 4; i++)
        qp_text(&p, lists[i]);
    qp_opt(&p, c->note);
    admin_change(
        st, actor,
        "WITH old AS (SELECT * FROM permits WHERE id = $1 AND status = 'approved'"
        "  AND (to_timestamp($4) IS NULL OR floor(extract(epoch FROM ends_at)) = $5) FOR UPDATE),"
        " g AS (INSERT INTO permit_gas_tests (permit_id, tested_at, value)"
        "  SELECT old.id, to_timestamp($2), $3 FROM old WHERE to_timestamp($2) IS NOT NULL"
        "  RETURNING tested_at, value),"
        " new AS (UPDATE permits x SET ends_at = coalesce(to_timestamp($4), x.ends_at),"
        "  gas_analysis_at = greatest(x.gas_analysis_at, to_timestamp($2))"
        "  FROM old WHERE x.id = old.id RETURNING x.*),"
        " aw AS (INSERT INTO permit_welders (permit_id, welder_id)"
        "  SELECT old.id, unnest($6::bigint[]) FROM old ON CONFLICT DO NOTHING RETURNING "
        "welder_id),"
        " rw AS (DELETE FROM permit_welders x USING old WHERE x.permit_id = old.id"
        "  AND x.welder_id = ANY($7::bigint[]) RETURNING x.welder_id),"
        " am AS (INSERT INTO permit_machines (permit_id, machine_id)"
        "  SELECT old.id, unnest($8::bigint[]) FROM old ON CONFLICT DO NOTHING"
        "  RETURNING machine_id),"
        " rm AS (DELETE FROM permit_machines x USING old WHERE x.permit_id = old.id"
        "  AND x.machine_id = ANY($9::bigint[]) RETURNING x.machine_id),"
        " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'permit.change', 'permit', new.id::text,"
        "  to_jsonb(old), to_jsonb(new) || jsonb_build_object("
        "  'gas_test', (SELECT to_jsonb(g) FROM g),"
        "  'welders_added', (SELECT coalesce(jsonb_agg(welder_id), '[]') FROM aw),"
        "  'welders_removed', (SELECT coalesce(jsonb_agg(welder_id), '[]') FROM rw),"
        "  'machines_added', (SELECT coalesce(jsonb_agg(machine_id), '[]') FROM am),"
        "  'machines_removed', (SELECT coalesce(jsonb_agg(machine_id), '[]') FROM rm),"
        "  'note', $10::text) FROM old, new)"
        " SELECT id::text FROM new",
        &p, out);
}

/* The days of @p h as a JSON array of {"day": "YYYY-MM-DD", "rest", "name"}; NULL when it does
 * not fit. The caller frees it. */
static char *admin_holidays_json(const rules_holidays *h)
{
    size_t cap = 64 + h->count * (RULES_NAME_SIZE * 6 + 64);
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    json_writer w;
    json_writer_init(&w, buf, cap);
    json_begin_array(&w);
    for (size_t i = 0; i < h->count; i++) {
        char date[RULES_DATE_SIZE];
        rules_format_date(h->days[i].day, date);
        json_begin_object(&w);
        json_key(&w, "day");
        json_put_cstr(&w, date);
        json_key(&w, "rest");
        json_put_bool(&w, h->days[i].rest);
        json_key(&w, "name");
        json_put_cstr(&w, h->days[i].name);
        json_end_object(&w);
    }
    json_end_array(&w);
    if (json_writer_status(&w) != WR_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

void store_admin_import_holidays(store *st, const char *actor, const rules_holidays *h,
                                 admin_outcome *out)
{
    char *days = admin_holidays_json(h);
    if (!days) {
        memset(out, 0, sizeof(*out));
        out->status = STORE_EFAILED;
        return;
    }
    query_params p = {0};
    qp_int(&p, h->year);
    qp_text(&p, days);
    query_begin(st, actor, out);
    query_run(st,
              AUDIT_INSERT "SELECT weldreg_actor(), 'holidays.import', 'holidays', $1::text,"
                           " (SELECT coalesce(jsonb_agg(jsonb_build_object('day', day, 'rest',"
                           " rest, 'name', name) ORDER BY day), '[]') FROM holidays"
                           " WHERE extract(year FROM day) = $1::int), $2::jsonb",
              &p, NULL, false, out);
    query_run(
        st,
        "WITH old AS (DELETE FROM holidays WHERE extract(year FROM day) = $1::int RETURNING day),"
        " new AS (INSERT INTO holidays (day, rest, name) SELECT d.day, d.rest, d.name"
        "  FROM jsonb_to_recordset($2::jsonb) AS d(day date, rest boolean, name text)"
        "  WHERE (SELECT count(*) FROM old) >= 0 RETURNING day)"
        " SELECT $1::text FROM (SELECT count(*) FROM new) AS n",
        &p, NULL, true, out);
    admin_take_id(out);
    query_finish(st, out);
    free(days);
}

void store_admin_add_employment(store *st, const char *actor, const store_employment *e,
                                admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, e->welder_id);
    qp_int(&p, e->enterprise_id);
    qp_text(&p, e->kind);
    qp_opt(&p, e->agency);
    qp_text(&p, e->since);
    qp_opt(&p, e->until);
    admin_change(st, actor,
                 "WITH w AS (SELECT id FROM welders WHERE id = $1 AND status <> 'retired'),"
                 " new AS (INSERT INTO welder_employments (welder_id, enterprise_id, kind, agency,"
                 " since, until) SELECT w.id, $2, $3, $4, $5::date, $6::date FROM w RETURNING *),"
                 " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'welder.employment', 'welder',"
                 " new.welder_id::text, NULL, to_jsonb(new) FROM new)"
                 " SELECT welder_id::text FROM new",
                 &p, out);
}

void store_admin_end_permit(store *st, const char *actor, int64_t id, const char *status,
                            admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, status);
    admin_change(st, actor,
                 "WITH old AS (SELECT * FROM permits WHERE id = $1 AND status = 'approved'),"
                 " new AS (UPDATE permits x SET status = $2 FROM old WHERE x.id = old.id"
                 " RETURNING x.*), a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'permit.' ||"
                 " $2, 'permit', new.id::text, to_jsonb(old), to_jsonb(new) FROM old, new)"
                 " SELECT id::text FROM new",
                 &p, out);
}

/* ---- codes after issue ---- */

void store_admin_code_subject(store *st, const char *kind, int64_t id, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, id);
    if (strcmp(kind, "machine") == 0)
        query_run(st,
                  "SELECT json_build_object('chip_id', m.chip_id, 'enterprise_id',"
                  " m.enterprise_id, 'process_category', m.process_category)::text FROM machines"
                  " m JOIN enterprises e ON e.id = m.enterprise_id WHERE m.id = $1 AND m.status"
                  " <> 'scrapped' AND e.status = 'active'",
                  &p, NULL, true, out);
    else
        query_run(st,
                  "SELECT json_build_object('name', name, 'licence_no_masked', licence_no_masked,"
                  " 'categories', licence_categories, 'valid_until', licence_valid_until)::text"
                  " FROM welders WHERE id = $1 AND status <> 'retired' AND licence_status ="
                  " 'active'",
                  &p, NULL, true, out);
}

void store_admin_reissue_code(store *st, const char *actor, const char *kind, int64_t id,
                              const admin_code *code, bool revoke_old, const char *reason,
                              admin_outcome *out)
{
    const char *column = strcmp(kind, "machine") == 0 ? "machine_id" : "welder_id";
    char sql[256];
    query_params p = {0};
    qp_int(&p, id);
    query_begin(st, actor, out);
    /* the live codes it replaces, oldest first (the newest is the one it follows) */
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(json_agg(encode(cti, 'hex') ORDER BY issued_at, cti), '[]')::text"
             " FROM codes WHERE %s = $1 AND revoked_at IS NULL AND expires_at > now()",
             column);
    query_run(st, sql, &p, NULL, true, out);
    char *replaced = out->status == STORE_OK && out->json ? strdup(out->json) : NULL;
    admin_outcome_deinit(out);
    if (out->status == STORE_OK && !replaced)
        query_fail(st, NULL, out);
    if (revoke_old)
        admin_revoke_codes(st, column, id, reason, out);
    query_params q = {0};
    qp_bytes(&q, code->cti, sizeof(code->cti));
    qp_text(&q, kind);
    qp_int(&q, id);
    qp_bytes(&q, code->kid, sizeof(code->kid));
    qp_int(&q, code->expires_at);
    qp_text(&q, code->text);
    qp_text(&q, replaced ? replaced : "[]");
    qp_bool(&q, revoke_old);
    qp_text(&q, reason);
    query_run(st,
              "WITH c AS (INSERT INTO codes (cti, kind, machine_id, welder_id, kid, expires_at,"
              " text, replaces) VALUES ($1, $2, CASE WHEN $2 = 'machine' THEN $3::bigint END,"
              " CASE WHEN $2 = 'welder' THEN $3::bigint END, $4, to_timestamp($5), $6,"
              " decode($7::json->>-1, 'hex')) RETURNING *), a AS (" AUDIT_INSERT
              "SELECT weldreg_actor(), 'code.reissue', 'code', encode(cti, 'hex'), NULL,"
              " jsonb_build_object('kind', kind, 'machine_id', machine_id, 'welder_id',"
              " welder_id, 'kid', encode(kid, 'hex'), 'expires_at', expires_at, 'replaces',"
              " $7::jsonb, 'old_revoked', $8::boolean, 'reason', $9::text) FROM c)"
              " SELECT json_build_object('cti', encode(cti, 'hex'), 'kind', kind, 'machine_id',"
              " machine_id, 'welder_id', welder_id, 'issued_at', issued_at, 'expires_at',"
              " expires_at, 'code', text, 'replaced', $7::json, 'old_revoked', $8::boolean)::text"
              " FROM c",
              &q, NULL, true, out);
    free(replaced);
    query_finish(st, out);
}

void store_admin_revoke_code(store *st, const char *actor, const uint8_t cti[TRUST_CTI_LEN],
                             const char *reason, bool *already, admin_outcome *out)
{
    query_params p = {0};
    qp_bytes(&p, cti, TRUST_CTI_LEN);
    qp_text(&p, reason);
    *already = false;
    query_begin(st, actor, out);
    query_run(st,
              "WITH r AS (UPDATE codes SET revoked_at = now(), revoke_reason = $2 WHERE cti = $1"
              " AND revoked_at IS NULL RETURNING *), a AS (" AUDIT_INSERT "SELECT"
              " weldreg_actor(), 'code.revoke', 'code', encode(cti, 'hex'), NULL,"
              " jsonb_build_object('kind', kind, 'machine_id', machine_id, 'welder_id', welder_id,"
              " 'reason', revoke_reason, 'revocation_version', revocation_version) FROM r)"
              " SELECT json_build_object('cti', encode(cti, 'hex'), 'kind', kind, 'machine_id',"
              " machine_id, 'welder_id', welder_id, 'revoked_at', revoked_at, 'reason',"
              " revoke_reason, 'revocation_version', revocation_version)::text FROM r",
              &p, NULL, true, out);
    if (out->status == STORE_OK && out->not_found) {
        admin_outcome seen;
        memset(&seen, 0, sizeof(seen));
        query_params q = {0};
        qp_bytes(&q, cti, TRUST_CTI_LEN);
        *already =
            query_run(st, "SELECT 'revoked' FROM codes WHERE cti = $1", &q, NULL, true, &seen);
        admin_outcome_deinit(&seen);
    }
    query_finish(st, out);
}

/* Columns of a code in a listing (c codes, m machines, e enterprises, w welders). */
#define ADMIN_CODE_COLUMNS                                                                         \
    "encode(c.cti, 'hex') AS cti, c.kind, CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'"       \
    " WHEN c.expires_at <= now() THEN 'expired' ELSE 'active' END AS status, c.machine_id,"        \
    " m.chip_id, c.welder_id, left(w.name, 1) || repeat('*', greatest(char_length(w.name) - 1,"    \
    " 1)) AS welder_name_masked, m.enterprise_id, e.name AS enterprise_name, c.issued_at,"         \
    " c.expires_at, floor(extract(epoch FROM c.expires_at - now()) / 86400)::bigint AS"            \
    " expires_in_days, c.revoked_at, c.revoke_reason, encode(c.replaces, 'hex') AS replaces,"      \
    " encode(c.kid, 'hex') AS kid, c.text"
#define ADMIN_CODE_FROM                                                                            \
    "codes c LEFT JOIN machines m ON m.id = c.machine_id LEFT JOIN enterprises e ON e.id ="        \
    " m.enterprise_id LEFT JOIN welders w ON w.id = c.welder_id"
/* $1 cti, $2 machine, $3 welder, $4 expiring within days (-1 any), $5 status, $8 kid */
#define ADMIN_CODE_WHERE                                                                           \
    "($1::bytea IS NULL OR c.cti = $1) AND ($2 = 0 OR c.machine_id = $2) AND ($3 = 0 OR"           \
    " c.welder_id = $3) AND ($4 < 0 OR (c.revoked_at IS NULL AND c.expires_at > now() AND"         \
    " c.expires_at <= now() + make_interval(days => $4::int))) AND ($5 = '' OR CASE WHEN"          \
    " c.revoked_at IS NOT NULL THEN 'revoked' WHEN c.expires_at <= now() THEN 'expired' ELSE"      \
    " 'active' END = $5) AND ($8::bytea IS NULL OR c.kid = $8)"

void store_admin_list_codes(store *st, const admin_code_query *q, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_BYTEA, QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_TEXT,  QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_BYTEA};
    query_params p = {0};
    if (q->has_cti)
        qp_bytes(&p, q->cti, TRUST_CTI_LEN);
    else
        qp_text(&p, NULL);
    qp_int(&p, q->machine_id);
    qp_int(&p, q->welder_id);
    qp_int(&p, q->expiring_days);
    qp_text(&p, q->status);
    qp_int(&p, q->offset);
    qp_int(&p, q->has_cti ? 1 : q->limit);
    if (q->has_kid)
        qp_bytes(&p, q->kid, sizeof(q->kid));
    else
        qp_text(&p, NULL);
    if (q->has_cti)
        query_run(st,
                  "SELECT row_to_json(x)::text FROM (SELECT " ADMIN_CODE_COLUMNS
                  " FROM " ADMIN_CODE_FROM " WHERE " ADMIN_CODE_WHERE " AND $6 >= 0 LIMIT $7) x",
                  &p, types, true, out);
    else
        query_run(st,
                  "SELECT json_build_object('items', coalesce(json_agg(x ORDER BY x.expires_at,"
                  " x.cti), '[]'), 'next', CASE WHEN count(*) = $7 THEN $6 + $7 END)::text FROM"
                  " (SELECT " ADMIN_CODE_COLUMNS " FROM " ADMIN_CODE_FROM " WHERE " ADMIN_CODE_WHERE
                  " ORDER BY c.expires_at, c.cti OFFSET $6 LIMIT $7) x",
                  &p, types, true, out);
}

/* ---- import ---- */

static void admin_copy(store *st, const char *copy, size_t len, admin_outcome *out)
{
    if (out->status != STORE_OK)
        return;
    PGresult *res = PQexec(st->conn, "COPY welder_import FROM STDIN");
    bool ok = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    while (ok && len > 0) {
        int chunk = len > (1 << 20) ? (1 << 20) : (int)len;
        ok = PQputCopyData(st->conn, copy, chunk) == 1;
        copy += chunk;
        len -= (size_t)chunk;
    }
    if (ok)
        ok = PQputCopyEnd(st->conn, NULL) == 1;
    res = PQgetResult(st->conn);
    if (!ok || PQresultStatus(res) != PGRES_COMMAND_OK)
        query_fail(st, res, out);
    PQclear(res);
    while ((res = PQgetResult(st->conn)) != NULL)
        PQclear(res);
}

/* Finds the lines of the import whose ID-card or licence number a registered welder has (the
 * first @p cap, and how many in all), before the INSERT would fail on the first without saying
 * where. */
static void admin_import_conflicts_find(store *st, admin_import_conflict *found, size_t cap,
                                        size_t *n, size_t *total, admin_outcome *out)
{
    query_params p = {0};
    qp_int(&p, (int64_t)cap);
    long long count = 0, line, id;
    int used = 0;
    if (query_run(st,
                  "WITH c AS (SELECT i.line, 'idcard' AS field, w.id FROM welder_import i JOIN"
                  " welders w ON w.idcard_hash = i.idcard_hash UNION ALL SELECT i.line,"
                  " 'licence_no', w.id FROM welder_import i JOIN welders w ON w.licence_no_hash ="
                  " i.licence_no_hash), f AS (SELECT * FROM c ORDER BY line, field LIMIT $1)"
                  " SELECT (SELECT count(*) FROM c) || ' ' || coalesce((SELECT string_agg(line ||"
                  " ' ' || field || ' ' || id, ' ' ORDER BY line, field) FROM f), '')",
                  &p, NULL, true, out) &&
        /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
        sscanf(out->json, "%lld%n", &count, &used) == 1) {
        const char *s = out->json + used;
        /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
        while (*n < cap && sscanf(s, "%lld %15s %lld%n", &line, found[*n].field, &id, &used) == 3) {
            found[*n].line = (unsigned)line;
            found[(*n)++].welder_id = id;
            s += used;
        }
    }
    *total = (size_t)count;
    if (*n) {
        out->status = STORE_EFAILED; /* what the INSERT would have met */
        out->refusal = ADMIN_REFUSAL_UNIQUE;
        out->field = "idcard";
    }
    out->not_found = false; /* no conflict */
    admin_outcome_deinit(out);
}

void store_admin_import_welders(store *st, const char *actor, const char *copy, size_t len,
                                bool dry_run, admin_import_conflict *conflicts, size_t cap,
                                size_t *n, size_t *total, admin_outcome *out)
{
    *n = *total = 0;
    query_begin(st, actor, out);
    query_run(st,
              "CREATE TEMP TABLE welder_import (line integer, name text, idcard_hash bytea,"
              " idcard_masked text, phone text, licence_no_hash bytea, licence_no_masked text,"
              " licence_categories text[], licence_issued_on date, licence_valid_until date,"
              " licence_review_due date, long_record boolean, code_cti bytea, code_kid bytea,"
              " code_expires bigint, code_text text) ON COMMIT DROP",
              NULL, NULL, false, out);
    admin_copy(st, copy, len, out);
    admin_import_conflicts_find(st, conflicts, cap, n, total, out);
    if (dry_run && out->status == STORE_OK)
        out->not_found = true; /* query_finish() rolls back */
    query_run(st,
              "WITH new AS (INSERT INTO welders (name, idcard_hash, idcard_masked, phone,"
              " licence_no_hash, licence_no_masked, licence_categories, licence_issued_on,"
              " licence_valid_until, licence_review_due, long_record) SELECT name, idcard_hash,"
              " idcard_masked, phone, licence_no_hash, licence_no_masked, licence_categories,"
              " licence_issued_on, licence_valid_until, licence_review_due, long_record FROM"
              " welder_import ORDER BY line RETURNING *), a AS (" AUDIT_INSERT "SELECT"
              " weldreg_actor(), 'welder.import', 'welder', id::text, NULL, " WELDER_JSON(
                  "new") " FROM new ORDER BY id) SELECT json_build_object('imported', count(*),"
                         " 'first_id', min(id), 'last_id', max(id))::text FROM new",
              NULL, NULL, true, out);
    /* each welder's code, signed by the API like any other (the ID-card hash is unique) */
    query_run(st,
              "WITH c AS (INSERT INTO codes (cti, kind, welder_id, kid, expires_at, text) SELECT"
              " i.code_cti, 'welder', w.id, i.code_kid, to_timestamp(i.code_expires), i.code_text"
              " FROM welder_import i JOIN welders w ON w.idcard_hash = i.idcard_hash WHERE"
              " i.code_cti IS NOT NULL ORDER BY i.line RETURNING *) " AUDIT_INSERT "SELECT"
              " weldreg_actor(), 'code.issue', 'code', encode(cti, 'hex'), NULL,"
              " jsonb_build_object('kind', kind, 'machine_id', machine_id, 'welder_id', welder_id,"
              " 'kid', encode(kid, 'hex'), 'expires_at', expires_at) FROM c",
              NULL, NULL, false, out);
    query_finish(st, out);
}

/* ---- the survey ---- */

void store_admin_survey_lookup(store *st, bool machines, const char *keys, const char *own,
                               admin_outcome *out)
{
    static const char *const sql[] = {
        "SELECT json_build_object('keys', (SELECT coalesce(json_object_agg(code, id), '{}')"
        " FROM communities WHERE code IN (SELECT jsonb_array_elements_text($1::jsonb))), 'own',"
        " (SELECT coalesce(json_object_agg(uscc, json_build_array(id, 0, status)), '{}') FROM"
        " enterprises WHERE uscc IN (SELECT jsonb_array_elements_text($2::jsonb))))::text",
        "SELECT json_build_object('keys', (SELECT coalesce(json_object_agg(uscc, id), '{}')"
        " FROM enterprises WHERE status = 'active' AND uscc IN (SELECT"
        " jsonb_array_elements_text($1::jsonb))), 'own', (SELECT coalesce(json_object_agg("
        "chip_id, json_build_array(id, enterprise_id, status)), '{}') FROM machines WHERE"
        " chip_id IN (SELECT jsonb_array_elements_text($2::jsonb))))::text",
    };
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_text(&p, keys);
    qp_text(&p, own);
    query_run(st, sql[machines], &p, NULL, true, out);
}

void store_admin_survey_enterprises(store *st, const char *actor, const rules_enterprise *rows,
                                    size_t n, admin_outcome *out)
{
    query_begin(st, actor, out);
    for (size_t i = 0; i < n && out->status == STORE_OK; i++) {
        query_params p = {0};
        admin_enterprise_params(&p, &rows[i]);
        qp_text(&p, "enterprise.import");
        query_run(st, ADMIN_INSERT_ENTERPRISE, &p, NULL, true, out);
        admin_outcome_deinit(out);
    }
    query_finish(st, out);
}

/* Moves machine @p s->transfer_of to its new owner with the survey's fields; its codes are
 * revoked and the new one (with the new owner's number) recorded. */
static void admin_survey_transfer(store *st, admin_survey_machine *s, admin_outcome *out)
{
    query_params p = {0};
    admin_machine_params(&p, s->m);
    qp_int(&p, s->transfer_of);
    qp_text(&p, "machine.transfer");
    query_run(st, ADMIN_UPDATE_MACHINE, &p, NULL, true, out);
    admin_take_id(out);
    admin_revoke_codes(st, "machine_id", s->transfer_of, "machine transferred", out);
    if (s->code)
        admin_record_code(st, "machine", s->transfer_of, s->code, out);
}

void store_admin_survey_machines(store *st, const char *actor, admin_survey_machine *rows, size_t n,
                                 const uint8_t kek[SECRET_KEK_LEN], admin_outcome *out)
{
    query_begin(st, actor, out);
    if (admin_note(st, "survey", out))
        for (size_t i = 0; i < n && out->status == STORE_OK; i++) {
            if (rows[i].transfer_of)
                admin_survey_transfer(st, &rows[i], out);
            else
                admin_insert_machine(st, rows[i].m, kek, rows[i].psk, rows[i].code, out);
            rows[i].id = out->id;
            admin_outcome_deinit(out);
        }
    query_finish(st, out);
}
