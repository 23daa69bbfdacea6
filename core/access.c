/* access.c — one table of roles: names, words for people, and what each may do. */
#include "core/access.h"

#include <string.h>

typedef struct access_role_row {
    const char *name;
    const char *zh;
    const char *en;
    bool enterprise;                       /* the account names its enterprise */
    access_scope scope[ACCESS_NEED_COUNT]; /* by access_need */
} access_role_row;

/* Applying for and approving permits are the enterprise's own acts (GB 30871: the enterprise
 * issues its permits), so no role outside it has them; the admin API records permits that were
 * approved already. */

/* A need a role's row does not name is ACCESS_DENIED. */
_Static_assert(ACCESS_DENIED == 0, "unnamed needs must be denied");

static const access_role_row access_roles[ACCESS_ROLE_COUNT] = {
    [ACCESS_ROLE_ADMIN] = {"admin",
                           "管理员",
                           "administrator",
                           false,
                           {[ACCESS_READ] = ACCESS_ALL,
                            [ACCESS_ENFORCE] = ACCESS_ALL,
                            [ACCESS_WRITE] = ACCESS_ALL,
                            [ACCESS_ADMIN_ONLY] = ACCESS_ALL,
                            [ACCESS_DISTRICT] = ACCESS_ALL}},
    [ACCESS_ROLE_INSPECTOR] = {"inspector",
                               "检查员",
                               "inspector",
                               false,
                               {[ACCESS_READ] = ACCESS_COMMUNITIES,
                                [ACCESS_ENFORCE] = ACCESS_COMMUNITIES,
                                [ACCESS_DISTRICT] = ACCESS_COMMUNITIES}},
    [ACCESS_ROLE_MACHINE] = {"machine", "焊机", "machine", false, {ACCESS_DENIED}},
    [ACCESS_ROLE_OFFICER] =
        {"officer",
         "企业安全员",
         "enterprise safety officer",
         true,
         {[ACCESS_READ] = ACCESS_ENTERPRISE, [ACCESS_APPLY] = ACCESS_ENTERPRISE}},
    [ACCESS_ROLE_OFFICE] = {"office",
                            "街道办工作人员",
                            "district office staff",
                            false,
                            {[ACCESS_READ] = ACCESS_ALL, [ACCESS_DISTRICT] = ACCESS_ALL}},
    [ACCESS_ROLE_APPROVER] =
        {"approver",
         "动火作业审批人",
         "hot-work permit approver",
         true,
         {[ACCESS_READ] = ACCESS_ENTERPRISE, [ACCESS_APPROVE] = ACCESS_ENTERPRISE}},
};

static const access_role_row *access_row(access_role role)
{
    return (unsigned)role < ACCESS_ROLE_COUNT ? &access_roles[role] : NULL;
}

access_scope access_decide(access_role role, access_need need)
{
    const access_role_row *row = access_row(role);
    if (!row || (unsigned)need >= ACCESS_NEED_COUNT)
        return ACCESS_DENIED;
    return row->scope[need];
}

bool access_role_enterprise(access_role role)
{
    const access_role_row *row = access_row(role);
    return row && row->enterprise;
}

const char *access_role_name(access_role role)
{
    const access_role_row *row = access_row(role);
    return row ? row->name : NULL;
}

const char *access_need_name(access_need need)
{
    static const char *const names[ACCESS_NEED_COUNT] = {
        [ACCESS_READ] = "read",         [ACCESS_ENFORCE] = "enforce",
        [ACCESS_WRITE] = "write",       [ACCESS_ADMIN_ONLY] = "admin_only",
        [ACCESS_DISTRICT] = "district", [ACCESS_APPLY] = "apply",
        [ACCESS_APPROVE] = "approve"};
    return (unsigned)need < ACCESS_NEED_COUNT ? names[need] : NULL;
}

int access_role_parse(const char *name, access_role *out)
{
    for (unsigned i = 0; i < ACCESS_ROLE_COUNT; i++)
        if (strcmp(access_roles[i].name, name) == 0) {
            *out = (access_role)i;
            return 0;
        }
    return -1;
}

const char *access_role_zh(access_role role)
{
    const access_role_row *row = access_row(role);
    return row ? row->zh : "";
}

const char *access_role_en(access_role role)
{
    const access_role_row *row = access_row(role);
    return row ? row->en : "";
}
