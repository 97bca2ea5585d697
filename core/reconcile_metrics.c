/*
 * The reconciler's metrics, rendered on demand for the metrics server
 * (core/metrics.c) in the Prometheus text format.
 *
 * The families and labels are those of External Secrets Operator, so that
 * existing dashboards and alerts work unchanged; our own carry the
 * xsecrets_ prefix.  Numbers live in the objects they describe and are read
 * under r->lock, so one scrape is a consistent snapshot.  No label or value
 * is ever secret material: names, namespaces, provider and call names only.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "reconcile_int.h"

static void
family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends label="value" (escaped), with a comma before all but the first. */
static void
label(struct mbuf *b, int first, const char *name, const char *value)
{
	mbuf_printf(b, "%s%s=\"", first ? "" : ",", name);
	mbuf_label(b, value);
	mbuf_printf(b, "\"");
}

static void
es_labels(struct mbuf *b, const char *metric, const struct rc_es *e)
{
	mbuf_printf(b, "%s{", metric);
	label(b, 1, "name", e->name);
	label(b, 0, "namespace", e->ns);
}

/* One counter family over every ExternalSecret: the field at off. */
static void
es_counter(struct mbuf *b, struct reconciler *r, const char *metric,
    const char *help, size_t off)
{
	struct rc_es	*e;
	uint64_t	 v;
	size_t		 i;

	family(b, metric, "counter", help);
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next) {
			memcpy(&v, (const char *)e + off, sizeof(v));
			es_labels(b, metric, e);
			mbuf_printf(b, "} %llu\n", (unsigned long long)v);
		}
}

static void
render_es(struct mbuf *b, struct reconciler *r)
{
	static const char *const st[2] = { "False", "True" };
	struct rc_es	*e;
	size_t		 i;
	int		 k;

	es_counter(b, r, "externalsecret_sync_calls_total",
	    "Total number of the External Secret sync calls",
	    offsetof(struct rc_es, sync_calls));
	es_counter(b, r, "externalsecret_sync_calls_error",
	    "Total number of the External Secret sync errors",
	    offsetof(struct rc_es, sync_errors));
	family(b, "externalsecret_status_condition", "gauge",
	    "The status condition of a specific External Secret");
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			for (k = 1; k >= 0; k--) {
				es_labels(b, "externalsecret_status_condition",
				    e);
				label(b, 0, "condition", "Ready");
				label(b, 0, "status", st[k]);
				mbuf_printf(b, "} %d\n", e->status.ready == k);
			}
	family(b, "externalsecret_reconcile_duration", "gauge",
	    "The duration time to reconcile the External Secret");
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next) {
			es_labels(b, "externalsecret_reconcile_duration", e);
			mbuf_printf(b, "} %.6f\n", e->duration_s);
		}
}

static void
render_stores(struct mbuf *b, struct reconciler *r, int kind)
{
	static const char *const st[2] = { "False", "True" };
	const char	*metric;
	struct rc_store	*g;
	int		 k;

	metric = kind == STORE_CLUSTER ? "clustersecretstore_status_condition"
	    : "secretstore_status_condition";
	family(b, metric, "gauge", kind == STORE_CLUSTER ?
	    "The status condition of a specific cluster secret store" :
	    "The status condition of a specific secret store");
	for (g = r->stores; g != NULL; g = g->next) {
		if (g->st->kind != kind || g->skipped)
			continue;
		for (k = 1; k >= 0; k--) {
			mbuf_printf(b, "%s{", metric);
			label(b, 1, "condition", "Ready");
			label(b, 0, "name", g->st->name);
			if (kind != STORE_CLUSTER)
				label(b, 0, "namespace", g->st->ns);
			label(b, 0, "status", st[k]);
			mbuf_printf(b, "} %d\n", g->status.ready == k);
		}
	}
}

static void
render_calls(struct mbuf *b, struct reconciler *r)
{
	const struct provider_set *ps = r->cfg.providers;
	static const char *const st[2] = { "success", "error" };
	uint64_t	 v;
	size_t		 i;
	int		 c, k;

	family(b, "externalsecret_provider_api_calls_count", "counter",
	    "Number of API calls towards the secret provider");
	for (i = 0; ps != NULL && i < ps->nproviders; i++)
		for (c = 0; c < CALL_N; c++)
			for (k = 0; k < 2; k++) {
				v = __atomic_load_n(&r->api_calls[(i * CALL_N +
				    (size_t)c) * 2 + (size_t)k],
				    __ATOMIC_RELAXED);
				if (v == 0)
					continue;
				mbuf_printf(b,
				    "externalsecret_provider_api_calls_count{");
				label(b, 1, "call", reconcile_call_name(c));
				label(b, 0, "provider",
				    ps->providers[i].desc->name);
				label(b, 0, "status", st[k]);
				mbuf_printf(b, "} %llu\n",
				    (unsigned long long)v);
			}
}

static void
counter(struct mbuf *b, const char *name, const char *help, uint64_t *v)
{
	family(b, name, "counter", help);
	mbuf_printf(b, "%s %llu\n", name, (unsigned long long)
	    __atomic_load_n(v, __ATOMIC_RELAXED));
}

static void
render_own(struct mbuf *b, struct reconciler *r)
{
	int64_t	 next;

	family(b, "xsecrets_queue_depth", "gauge",
	    "ExternalSecrets due and waiting for a worker");
	mbuf_printf(b, "xsecrets_queue_depth %zu\n", r->qlen);
	family(b, "xsecrets_scheduled", "gauge",
	    "ExternalSecrets with a next due time");
	mbuf_printf(b, "xsecrets_scheduled %zu\n", sched_len(r->sched));
	counter(b, "xsecrets_dedup_fetches_total",
	    "Fetches served by an identical provider call", &r->dedup_hits);
	counter(b, "xsecrets_credential_refreshes_total",
	    "Provider auth calls (clients built)", &r->auth_calls);
	counter(b, "xsecrets_ratelimit_waits_total",
	    "Provider calls and requests that waited for the rate limit",
	    &r->rl_waits);
	family(b, "xsecrets_write_queue_depth", "gauge",
	    "Synced data waiting for the target writers");
	mbuf_printf(b, "xsecrets_write_queue_depth %zu\n",
	    __atomic_load_n(&r->wq_len, __ATOMIC_RELAXED));
	counter(b, "xsecrets_target_writes_total",
	    "Target writes the writers made or tried", &r->writes);
	counter(b, "xsecrets_target_write_batches_total",
	    "Batches of target writes made durable together",
	    &r->write_batches);
	family(b, "xsecrets_next_due_seconds", "gauge",
	    "Seconds until the earliest scheduled sync");
	next = sched_next_due(r->sched);
	if (next >= 0) {
		next -= reconcile_mono_ms();
		mbuf_printf(b, "xsecrets_next_due_seconds %.3f\n",
		    next > 0 ? (double)next / 1000.0 : 0.0);
	}
}

/* metrics_ops.render: every family, from the metrics server's thread. */
void
reconcile_metrics_render(struct mbuf *b, void *arg)
{
	struct reconciler	*r = arg;

	pthread_mutex_lock(&r->lock);
	render_es(b, r);
	render_calls(b, r);
	render_stores(b, r, STORE_NAMESPACED);
	render_stores(b, r, STORE_CLUSTER);
	render_own(b, r);
	pthread_mutex_unlock(&r->lock);
}

/* metrics_ops.ready: 1 once every ExternalSecret was attempted once. */
int
reconcile_metrics_ready(void *arg)
{
	struct reconciler	*r = arg;
	int			 ready;

	pthread_mutex_lock(&r->lock);
	ready = r->ready && r->applied;
	pthread_mutex_unlock(&r->lock);
	return ready;
}
