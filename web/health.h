/* health.h — the web's metrics (counted by app.c for every request, written out by
 * pages_health.c at GET /metrics). Counts only: no path, login or address. */
#ifndef WELDREG_WEB_HEALTH_H
#define WELDREG_WEB_HEALTH_H

typedef struct web_metrics web_metrics;

/* NULL when out of memory. */
web_metrics *web_metrics_create(void);

/* Does nothing for NULL. */
void web_metrics_destroy(web_metrics *m);

/* One request answered with @p status after @p seconds. Any thread; NULL does nothing. */
void web_metrics_count(web_metrics *m, unsigned status, double seconds);

#endif
