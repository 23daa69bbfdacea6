/* config.h — the server's settings: defaults, then the config file, then the environment,
 * then command-line flags; validated once at start. */
#ifndef WELDREG_SERVER_CONFIG_H
#define WELDREG_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/code.h"
#include "server/loop/log.h"

#define CONFIG_MAX_LISTEN 8
#define CONFIG_PATH_MAX   1024

typedef struct server_config {
    char database_url[CONFIG_PATH_MAX];
    /* a standby for the web's read-only pages of inspectors and the office; empty: database_url */
    char database_read_url[CONFIG_PATH_MAX];
    char listen[CONFIG_MAX_LISTEN][128];
    size_t listen_count;
    char cert_file[CONFIG_PATH_MAX];
    char key_file[CONFIG_PATH_MAX];
    char ca_file[CONFIG_PATH_MAX];
    char crl_file[CONFIG_PATH_MAX]; /* revoked device certificates (PEM CRL by a CA of ca_file) */
    char psk_kek_file[CONFIG_PATH_MAX];
    char psk_kek_previous_file[CONFIG_PATH_MAX]; /* the key before a rotation (docs/keys.md) */
    char trust_list_file[CONFIG_PATH_MAX];
    char signing_key_file[CONFIG_PATH_MAX];
    char
        pii_key_file[CONFIG_PATH_MAX]; /* 32-byte key of the HMACs of ID-card and licence numbers */
    char code_issuer[CODE_ISS_MAX + 1]; /* "iss" of the codes the admin API issues */
    char schema_dir[CONFIG_PATH_MAX];
    log_level log_level;
    unsigned max_sessions;        /* DTLS sessions kept at once */
    unsigned session_idle_s;      /* an idle DTLS session is released after this */
    unsigned max_handshakes;      /* DTLS handshakes under way at once; more are ignored */
    unsigned handshake_timeout_s; /* a handshake that named its identity ends after this */
    unsigned batch_max;           /* check-ins committed in one transaction at most */
    unsigned writer_queue_max;    /* check-ins waiting for the writer at most; more hear 5.03 */
    unsigned retry_after_s;       /* Max-Age sent with 5.03 while the database is away */
    unsigned checkin_rate;        /* check-ins a second one machine may keep up; 0: no limit */
    unsigned checkin_burst;       /* check-ins one machine may send at once above that rate */
    unsigned max_skew_s;          /* a chip clock further ahead than this is flagged */
    unsigned late_s;              /* an event older than this arrives late */
    unsigned heartbeat_timeout_s; /* silence during work that counts as lost */
    unsigned sweep_interval_s;    /* how often open sessions are checked for silence and overrun */
    unsigned max_session_s;       /* one approved scan unlocks for at most this long */
    unsigned shared_code_m;       /* a code used this far from the welder's machine is shared */
    unsigned copied_code_speed_kmh; /* two scans of a code further apart than this speed ... */
    unsigned copied_code_slack_m;   /* ... plus this distance allow are code_copied */
    unsigned code_cache_slots;      /* verified code texts remembered (33 bytes each); 0: none */
    unsigned api_workers; /* threads (each with a connection) that run people's requests */
    /* several servers sharing the machines (docs/architecture.md, "Several servers"): this
     * server's name, unique among them; empty: the only server, no leases */
    char server_id[64];
    unsigned lease_s; /* a server that has not renewed its leases for this long is gone */
    bool reuse_port;  /* SO_REUSEPORT: several servers on one host share the UDP port */
    /* "address:port" of the plain-HTTP listener of /metrics, /healthz and /readyz; empty: none */
    char metrics_listen[128];
    /* the check-ins' data life cycle (weldreg-server maintain, docs/operations.md) */
    unsigned partitions_ahead_months;   /* months after this one that get their partition ahead */
    unsigned checkins_retention_months; /* months before this one kept; older are archived */
    char archive_dir[CONFIG_PATH_MAX];  /* where the archived months go */
    /* notices to enterprises' responsible heads (weldreg-server notices) */
    char notice_webhook_url[CONFIG_PATH_MAX]; /* https:// URL the notices are POSTed to */
    char notice_secret_file[CONFIG_PATH_MAX]; /* the shared secret of the signature header */
    char notice_ca_file[CONFIG_PATH_MAX];     /* CAs the receiver's certificate is checked against;
                                                 empty: the system's */
    unsigned notice_retry_first_s;    /* wait after a failed attempt, doubled after each further */
    unsigned notice_retry_max_s;      /* the longest wait between attempts */
    unsigned notice_timeout_s;        /* one attempt gives up after this */
    char notices_metrics_listen[128]; /* the notices' /metrics (plain HTTP); empty: none */
    /* the web (weldreg-web, web/), which reads the same file */
    char web_listen[128];                /* "address:port" of HTTPS; [v6]:port for IPv6 */
    unsigned web_threads;                /* threads serving connections */
    unsigned web_max_connections;        /* connections at once; more are refused */
    unsigned web_max_per_ip;             /* connections at once from one address */
    unsigned web_timeout_s;              /* a connection silent this long is closed (slowloris) */
    unsigned web_max_body;               /* bytes of a request body; more: 413 */
    unsigned web_session_s;              /* a session ends this long after login */
    unsigned web_lockout_failures;       /* failed logins of an account that lock it ... */
    unsigned web_lockout_window_s;       /* ... within this window, for this long */
    unsigned web_report_per_hour;        /* public reports from one address in an hour ... */
    unsigned web_report_global_per_hour; /* ... and from everyone: more get a 429 */
    unsigned web_max_streams;            /* live-alert streams (GET /events) open at once */
    unsigned web_session_streams;        /* ... of them from one session (one per tab) */
    unsigned web_heartbeat_s; /* a stream with nothing to say sends ": ping" this often */
    char web_map_tiles[256];  /* the map's tile server, "https://host/{z}/{x}/{y}.png";
                                 empty: no tiles, the map draws community outlines */
} server_config;

/* Fills @p cfg with the built-in defaults. */
void config_init(server_config *cfg);

/* Sets option @p key (the config-file name, e.g. "database_url") to @p value. "listen" adds to
 * the list. Returns 0, or -1 with a message for the person in @p err. */
int config_set(server_config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* Reads "key = value" lines ('#' starts a comment) from @p text of @p len bytes; @p origin names
 * the source in messages. Returns 0, or -1 with "origin:line: message" in @p err. */
int config_parse(server_config *cfg, const char *text, size_t len, const char *origin, char *err,
                 size_t errlen);

/* Reads the file at @p path and parses it. */
int config_load_file(server_config *cfg, const char *path, char *err, size_t errlen);

/* Applies DATABASE_URL and WELDREG_<KEY> environment variables. */
int config_load_env(server_config *cfg, char *err, size_t errlen);

/* Checks that the settings make sense together and that the named files can be read. */
int config_validate(const server_config *cfg, char *err, size_t errlen);

/* Checks the notices' settings for `weldreg-server notices`: an https:// URL and a readable
 * secret file. */
int config_validate_notices(const server_config *cfg, char *err, size_t errlen);

/* Checks the web's settings for `weldreg-web serve`: a database, a readable certificate and
 * key (HTTPS only), a listen address. */
int config_validate_web(const server_config *cfg, char *err, size_t errlen);

/* The origin ("https://host[:port]") of tile URL template @p url into @p out (@p cap bytes):
 * 0, or -1 when @p url is not an https:// URL of a plain host name or address and port with
 * {z}, {x} and {y} in its path (an origin that goes into the map page's Content-Security-Policy
 * must be one word). */
int config_tile_origin(const char *url, char *out, size_t cap);

/* Returns true if @p key names an option. */
bool config_has_option(const char *key);

#endif
