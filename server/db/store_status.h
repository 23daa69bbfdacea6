/* store_status.h — how a statement of the store went, for its callers and the records they
 * hand it (checkin/record.h). */
#ifndef WELDREG_SERVER_DB_STORE_STATUS_H
#define WELDREG_SERVER_DB_STORE_STATUS_H

typedef enum store_status {
    STORE_OK = 0,
    STORE_EUNAVAILABLE = -1, /* the connection is lost; try again after store_reconnect() */
    STORE_EFAILED = -2,      /* the statement failed (constraint, bad data): do not retry */
    STORE_ESTALE = -3,       /* another server holds the machine's lease (schema 024): nothing was
                              * written; the machine's state must be read again before deciding */
} store_status;

#endif
