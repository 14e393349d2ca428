/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "gateway/core/ms-metrics.h"

/*
 * The gateway's counters, served at GET /metrics in the Prometheus text
 * format (0.0.4) and summed up in one line for sd_notify STATUS=.
 *
 * Thread-safe and cheap on the hot path: the gateway asks once (per route, at
 * config load) for an MsMetricsRoute handle and then only does relaxed atomic
 * adds on it; no lookup, no lock per request. Handles live as long as the
 * registry, so counters survive reloads and a route removed by a reload keeps
 * its last values.
 */

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
#define N_METHODS (G_N_ELEMENTS(methods) + 1) /* last: any other */
#define N_CLASSES 6                           /* 1xx..5xx, and 0 for anything else */

/* request duration buckets, in microseconds (le= is printed in seconds) */
static const gint64 buckets_us[] = { 1000,   2500,   5000,   10000,   25000,   50000,
				     100000, 250000, 500000, 1000000, 2500000, 10000000 };
#define N_BUCKETS (G_N_ELEMENTS(buckets_us) + 1) /* last: +Inf */

static const char *const class_names[N_CLASSES] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const upstream_error_names[] = { "connect", "timeout", "broken", "other" };
static const char *const auth_failure_names[] = { "missing",
						  "malformed",
						  "wrong",
						  "forbidden",
						  "throttled" };

G_STATIC_ASSERT(G_N_ELEMENTS(upstream_error_names) == MS_UPSTREAM_ERROR_LAST);
G_STATIC_ASSERT(G_N_ELEMENTS(auth_failure_names) == MS_AUTH_FAILURE_LAST);

struct _MsMetricsRoute {
	char *name;
	atomic_ullong requests[N_METHODS][N_CLASSES];
	atomic_ullong duration_buckets[N_BUCKETS]; /* not cumulative; summed on render */
	atomic_ullong duration_sum_us;
	atomic_ullong upstream_errors[MS_UPSTREAM_ERROR_LAST];
	atomic_ullong cache_hits;
	atomic_ullong cache_misses;
	atomic_ullong rate_limited;
};

struct _MsMetrics {
	GMutex mutex;       /* guards routes (the table), not the counters */
	GHashTable *routes; /* name → MsMetricsRoute */
	atomic_ullong auth_failures[MS_AUTH_FAILURE_LAST];
	atomic_llong open_connections;
};

static void
route_free(MsMetricsRoute *route)
{
	g_free(route->name);
	g_free(route);
}

MsMetrics *
ms_metrics_new(void)
{
	MsMetrics *self = g_new0(MsMetrics, 1);

	g_mutex_init(&self->mutex);
	self->routes =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)route_free);
	return self;
}

void
ms_metrics_free(MsMetrics *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->routes);
	g_mutex_clear(&self->mutex);
	g_free(self);
}

/**
 * ms_metrics_get_route:
 * @route: the route name; use "" for requests that matched no route
 *
 * Returns: (transfer none): a handle valid as long as @self
 */
MsMetricsRoute *
ms_metrics_get_route(MsMetrics *self, const char *route)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	MsMetricsRoute *handle = g_hash_table_lookup(self->routes, route);

	if (handle == NULL) {
		handle = g_new0(MsMetricsRoute, 1);
		handle->name = g_strdup(route);
		g_hash_table_insert(self->routes, handle->name, handle);
	}
	return handle;
}

static guint
method_index(const char *method)
{
	for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
		/* libsoup interns method strings, so this is usually a pointer compare */
		if (method == methods[i] || g_strcmp0(method, methods[i]) == 0)
			return i;
	}
	return N_METHODS - 1;
}

static void
inc(atomic_ullong *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static guint64
get(atomic_ullong *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

void
ms_metrics_route_observe(MsMetricsRoute *route,
			 const char *method,
			 guint status,
			 gint64 duration_us)
{
	guint klass = status >= 100 && status < 600 ? status / 100 : 0;
	guint bucket = 0;

	duration_us = MAX(duration_us, 0);
	while (bucket < G_N_ELEMENTS(buckets_us) && duration_us > buckets_us[bucket])
		bucket++;
	inc(&route->requests[method_index(method)][klass]);
	inc(&route->duration_buckets[bucket]);
	atomic_fetch_add_explicit(&route->duration_sum_us,
				  (unsigned long long)duration_us,
				  memory_order_relaxed);
}

void
ms_metrics_route_upstream_error(MsMetricsRoute *route, MsUpstreamErrorKind kind)
{
	g_return_if_fail(kind < MS_UPSTREAM_ERROR_LAST);
	inc(&route->upstream_errors[kind]);
}

void
ms_metrics_route_cache_hit(MsMetricsRoute *route)
{
	inc(&route->cache_hits);
}

void
ms_metrics_route_cache_miss(MsMetricsRoute *route)
{
	inc(&route->cache_misses);
}

void
ms_metrics_route_rate_limited(MsMetricsRoute *route)
{
	inc(&route->rate_limited);
}

void
ms_metrics_auth_failure(MsMetrics *self, MsAuthFailureKind kind)
{
	g_return_if_fail(kind < MS_AUTH_FAILURE_LAST);
	inc(&self->auth_failures[kind]);
}

/* the gauge: the server counts its connections (ms-gateway-limits.c), MsRuntime reads
 * the count and the gateway passes it on here */
void
ms_metrics_set_open_connections(MsMetrics *self, guint n)
{
	atomic_store_explicit(&self->open_connections, (long long)n, memory_order_relaxed);
}

/* label values: backslash, double quote and newline are escaped */
static void
append_label(GString *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			g_string_append_c(out, '\\');
		if (*p == '\n') {
			g_string_append(out, "\\n");
			continue;
		}
		g_string_append_c(out, *p);
	}
}

static gint
compare_routes(gconstpointer a, gconstpointer b)
{
	const MsMetricsRoute *ra = *(const MsMetricsRoute *const *)a;
	const MsMetricsRoute *rb = *(const MsMetricsRoute *const *)b;
	return g_strcmp0(ra->name, rb->name);
}

/* routes never leave the table, so the handles stay valid after the lock */
static GPtrArray *
sorted_routes(MsMetrics *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	GPtrArray *routes = g_ptr_array_sized_new(g_hash_table_size(self->routes));
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->routes);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(routes, value);
	g_ptr_array_sort(routes, compare_routes);
	return routes;
}

/* starts a sample line up to the route label's value; the caller closes it */
static void
open_route_sample(GString *out, const char *metric, MsMetricsRoute *route)
{
	g_string_append_printf(out, "%s{route=\"", metric);
	append_label(out, route->name);
}

static void
render_route_counter(GString *out, const char *metric, MsMetricsRoute *route, guint64 value)
{
	open_route_sample(out, metric, route);
	g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", value);
}

static void
render_requests(GString *out, GPtrArray *routes)
{
	g_string_append(out,
			"# HELP microsoup_gateway_requests_total Requests answered, by route, "
			"method and status class.\n"
			"# TYPE microsoup_gateway_requests_total counter\n");
	for (guint r = 0; r < routes->len; r++) {
		MsMetricsRoute *route = g_ptr_array_index(routes, r);
		for (guint m = 0; m < N_METHODS; m++) {
			for (guint c = 0; c < N_CLASSES; c++) {
				guint64 value = get(&route->requests[m][c]);
				if (value == 0)
					continue;
				open_route_sample(out, "microsoup_gateway_requests_total", route);
				g_string_append_printf(
					out,
					"\",method=\"%s\",status=\"%s\"} %" G_GUINT64_FORMAT "\n",
					m < G_N_ELEMENTS(methods) ? methods[m] : "other",
					class_names[c],
					value);
			}
		}
	}
}

static void
render_durations(GString *out, GPtrArray *routes)
{
	g_string_append(out,
			"# HELP microsoup_gateway_request_duration_seconds Time from request read "
			"to response, by route.\n"
			"# TYPE microsoup_gateway_request_duration_seconds histogram\n");
	for (guint r = 0; r < routes->len; r++) {
		MsMetricsRoute *route = g_ptr_array_index(routes, r);
		guint64 cumulative = 0;
		char le[G_ASCII_DTOSTR_BUF_SIZE];

		for (guint b = 0; b < N_BUCKETS; b++) {
			cumulative += get(&route->duration_buckets[b]);
			if (b < G_N_ELEMENTS(buckets_us))
				g_ascii_formatd(le, sizeof(le), "%g", buckets_us[b] / 1e6);
			else
				g_strlcpy(le, "+Inf", sizeof(le));
			open_route_sample(out,
					  "microsoup_gateway_request_duration_seconds_bucket",
					  route);
			g_string_append_printf(out,
					       "\",le=\"%s\"} %" G_GUINT64_FORMAT "\n",
					       le,
					       cumulative);
		}
		g_ascii_formatd(le, sizeof(le), "%.6f", get(&route->duration_sum_us) / 1e6);
		open_route_sample(out, "microsoup_gateway_request_duration_seconds_sum", route);
		g_string_append_printf(out, "\"} %s\n", le);
		render_route_counter(out,
				     "microsoup_gateway_request_duration_seconds_count",
				     route,
				     cumulative);
	}
}

static void
render_upstream_errors(GString *out, GPtrArray *routes)
{
	g_string_append(out,
			"# HELP microsoup_gateway_upstream_errors_total Upstream failures, by "
			"route and kind.\n"
			"# TYPE microsoup_gateway_upstream_errors_total counter\n");
	for (guint r = 0; r < routes->len; r++) {
		MsMetricsRoute *route = g_ptr_array_index(routes, r);
		for (guint k = 0; k < MS_UPSTREAM_ERROR_LAST; k++) {
			open_route_sample(out, "microsoup_gateway_upstream_errors_total", route);
			g_string_append_printf(out,
					       "\",kind=\"%s\"} %" G_GUINT64_FORMAT "\n",
					       upstream_error_names[k],
					       get(&route->upstream_errors[k]));
		}
	}
}

static void
render_simple(GString *out, GPtrArray *routes, const char *metric, const char *help, gsize offset)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s counter\n", metric, help, metric);
	for (guint r = 0; r < routes->len; r++) {
		MsMetricsRoute *route = g_ptr_array_index(routes, r);
		render_route_counter(out,
				     metric,
				     route,
				     get((atomic_ullong *)((char *)route + offset)));
	}
}

/**
 * ms_metrics_render:
 *
 * Returns: (transfer full): the Prometheus text exposition of every counter
 */
char *
ms_metrics_render(MsMetrics *self)
{
	g_autoptr(GPtrArray) routes = sorted_routes(self);
	GString *out = g_string_sized_new(4096);

	render_requests(out, routes);
	render_durations(out, routes);
	render_upstream_errors(out, routes);
	render_simple(out,
		      routes,
		      "microsoup_gateway_cache_hits_total",
		      "Answers served from the response cache, by route.",
		      G_STRUCT_OFFSET(MsMetricsRoute, cache_hits));
	render_simple(out,
		      routes,
		      "microsoup_gateway_cache_misses_total",
		      "Cacheable requests that went upstream, by route.",
		      G_STRUCT_OFFSET(MsMetricsRoute, cache_misses));
	render_simple(out,
		      routes,
		      "microsoup_gateway_rate_limited_total",
		      "Requests refused with 429 by the route's rate limit.",
		      G_STRUCT_OFFSET(MsMetricsRoute, rate_limited));
	g_string_append(
		out,
		"# HELP microsoup_gateway_auth_failures_total Refused authentications, by reason.\n"
		"# TYPE microsoup_gateway_auth_failures_total counter\n");
	for (guint k = 0; k < MS_AUTH_FAILURE_LAST; k++)
		g_string_append_printf(
			out,
			"microsoup_gateway_auth_failures_total{reason=\"%s\"} %" G_GUINT64_FORMAT
			"\n",
			auth_failure_names[k],
			get(&self->auth_failures[k]));
	g_string_append_printf(
		out,
		"# HELP microsoup_gateway_open_connections Client connections open now.\n"
		"# TYPE microsoup_gateway_open_connections gauge\n"
		"microsoup_gateway_open_connections %lld\n",
		(long long)atomic_load_explicit(&self->open_connections, memory_order_relaxed));
	return g_string_free(out, FALSE);
}

static void
render_server_sample(GString *out, const char *metric, const MsMetricsServer *server)
{
	g_string_append_printf(out, "%s{route=\"", metric);
	append_label(out, server->route);
	g_string_append(out, "\",server=\"");
	append_label(out, server->server);
	g_string_append(out, "\"} ");
}

/* a counter of each replica's: a route's only server has none (see below) */
static void
render_server_counter(GString *out,
		      const char *metric,
		      const char *help,
		      const MsMetricsServer *servers,
		      guint n_servers,
		      glong count_offset)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s counter\n", metric, help, metric);
	for (guint i = 0; i < n_servers; i++) {
		if (!servers[i].counted)
			continue;
		render_server_sample(out, metric, &servers[i]);
		g_string_append_printf(out,
				       "%" G_GUINT64_FORMAT "\n",
				       G_STRUCT_MEMBER(guint64, &servers[i], count_offset));
	}
}

/**
 * ms_metrics_render_servers:
 * @servers: (array length=n_servers): every server of every route, in the
 *   configuration's order
 *
 * Appends the per-server gauges and counters to a ms_metrics_render() text.
 * A route's only server is counted by its route's own counters: it has no
 * per-server counts, which would cost every request of it.
 */
void
ms_metrics_render_servers(GString *out, const MsMetricsServer *servers, guint n_servers)
{
	g_string_append(out,
			"# HELP microsoup_gateway_upstream_up Whether the server takes requests: 0 "
			"while a replica is taken out after failures in a row, or while a route's "
			"only server fails.\n"
			"# TYPE microsoup_gateway_upstream_up gauge\n");
	for (guint i = 0; i < n_servers; i++) {
		render_server_sample(out, "microsoup_gateway_upstream_up", &servers[i]);
		g_string_append(out, servers[i].up ? "1\n" : "0\n");
	}
	render_server_counter(out,
			      "microsoup_gateway_upstream_server_requests_total",
			      "Exchanges sent to each replica of a route.",
			      servers,
			      n_servers,
			      G_STRUCT_OFFSET(MsMetricsServer, requests));
	render_server_counter(out,
			      "microsoup_gateway_upstream_server_failures_total",
			      "Exchanges with each replica of a route that failed (connect, "
			      "timeout, broken).",
			      servers,
			      n_servers,
			      G_STRUCT_OFFSET(MsMetricsServer, failures));
}

/**
 * ms_metrics_summary:
 *
 * Returns: (transfer full): one line for sd_notify("STATUS=...")
 */
char *
ms_metrics_summary(MsMetrics *self)
{
	g_autoptr(GPtrArray) routes = sorted_routes(self);
	guint64 requests = 0, errors = 0, hits = 0, misses = 0, limited = 0, auth = 0;

	for (guint r = 0; r < routes->len; r++) {
		MsMetricsRoute *route = g_ptr_array_index(routes, r);
		for (guint m = 0; m < N_METHODS; m++) {
			for (guint c = 0; c < N_CLASSES; c++)
				requests += get(&route->requests[m][c]);
		}
		for (guint k = 0; k < MS_UPSTREAM_ERROR_LAST; k++)
			errors += get(&route->upstream_errors[k]);
		hits += get(&route->cache_hits);
		misses += get(&route->cache_misses);
		limited += get(&route->rate_limited);
	}
	for (guint k = 0; k < MS_AUTH_FAILURE_LAST; k++)
		auth += get(&self->auth_failures[k]);
	return g_strdup_printf(
		"%" G_GUINT64_FORMAT " requests, %lld open connections, "
		"%" G_GUINT64_FORMAT " upstream errors, %u%% cache hits, "
		"%" G_GUINT64_FORMAT " rate limited, %" G_GUINT64_FORMAT " auth failures",
		requests,
		(long long)atomic_load_explicit(&self->open_connections, memory_order_relaxed),
		errors,
		hits + misses > 0 ? (guint)(hits * 100 / (hits + misses)) : 0,
		limited,
		auth);
}
