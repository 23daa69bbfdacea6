/* access.h — the roles of people and machines and what each may do: one decision for the CoAP
 * admin API (server/api/admin.c) and the web (web/), so both read the same role names and apply
 * the same scopes. Pure: the caller looks up the role and the scope's members. */
#ifndef WELDREG_CORE_ACCESS_H
#define WELDREG_CORE_ACCESS_H

#include <stdbool.h>

/* The roles, in the order of server/views/principals.h's principal_role for the first three.
 * Machines authenticate only by DTLS; officers and office staff only on the web. */
typedef enum access_role {
    ACCESS_ROLE_ADMIN,
    ACCESS_ROLE_INSPECTOR,
    ACCESS_ROLE_MACHINE,
    ACCESS_ROLE_OFFICER,  /* an enterprise's safety officer: their own enterprise only */
    ACCESS_ROLE_OFFICE,   /* sub-district office staff: read-only, district-wide */
    ACCESS_ROLE_APPROVER, /* the person an enterprise designates to approve its hot-work permits
                           * (GB 30871 Table B.1): their own enterprise only */
} access_role;

#define ACCESS_ROLE_COUNT 6

/* What a resource or page needs. */
typedef enum access_need {
    ACCESS_READ,       /* read the registry */
    ACCESS_ENFORCE,    /* violation steps, on-site reports */
    ACCESS_WRITE,      /* change the registry */
    ACCESS_ADMIN_ONLY, /* principals, accounts */
    ACCESS_DISTRICT,   /* the district's reports and map: more than one enterprise at once */
    /* an enterprise's own acts on the web, each over its own enterprise only */
    ACCESS_APPLY,   /* apply for a hot-work permit, submit the fix of a violation */
    ACCESS_APPROVE, /* approve or reject the enterprise's permit applications */
} access_need;

#define ACCESS_NEED_COUNT 7

/* The answer: refused, or allowed over everything or over a scope the caller then applies. */
typedef enum access_scope {
    ACCESS_DENIED,
    ACCESS_ALL,
    ACCESS_COMMUNITIES, /* the communities linked to the caller */
    ACCESS_ENTERPRISE,  /* the caller's enterprise */
} access_scope;

/* What @p role may do where @p need is needed. */
access_scope access_decide(access_role role, access_need need);

/* True for a role that belongs to one enterprise (its account names it): officer, approver. */
bool access_role_enterprise(access_role role);

/* "admin", "inspector", "machine", "officer", "office", "approver"; NULL for a value out of
 * range. */
const char *access_role_name(access_role role);

/* "read", "enforce", "write", "admin_only", "district", "apply", "approve"; NULL for a value
 * out of range. */
const char *access_need_name(access_need need);

/* Parses a role name; returns 0, or -1 for anything else. */
int access_role_parse(const char *name, access_role *out);

/* The role as a person reads it in Chinese (e.g. "检查员") and in English ("inspector"). */
const char *access_role_zh(access_role role);
const char *access_role_en(access_role role);

#endif
