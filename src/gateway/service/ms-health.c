/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-health.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdatomic.h>
#include <sys/stat.h>

/*
 * What /readyz says (ms-gateway-endpoints.c answers it): each route's
 * upstream as far as the gateway knows without asking it (ms-health.h says
 * why), and the state of the configuration. Nothing here blocks: a stat() per
 * Unix socket and a lock per upstream.
 */

/*
 * a success already recorded within this long is left alone: most requests then
 * only load the record, and the workers do not take its cache line from each other
 */
#define MS_HEALTH_REFRESH_USEC G_USEC_PER_SEC

struct _MsHealthRecord {
	char *upstream;
	/* the last exchange: monotonic µs shifted left once, | 1 when it failed; 0: none */
	atomic_llong last;
	GMutex lock; /* guards error, and orders it with the failure stored in last */
	char *error;
};

struct _MsHealth {
	GMutex lock;         /* guards the records table (not the records) and the config state */
	GHashTable *records; /* upstream → MsHealthRecord, kept as long as @self */
	MsUpstreamHealthTable *servers; /* the replicas' passive health (in or out) */
	char *config_state;             /* NULL: "ok" */
	char *config_message;
};

static void
record_free(MsHealthRecord *record)
{
	g_mutex_clear(&record->lock);
	g_free(record->error);
	g_free(record->upstream);
	g_free(record);
}

MsHealth *
ms_health_new(void)
{
	MsHealth *self = g_new0(MsHealth, 1);

	g_mutex_init(&self->lock);
	self->records =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)record_free);
	self->servers = ms_upstream_health_table_new();
	return self;
}

void
ms_health_free(MsHealth *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->records);
	ms_upstream_health_table_free(self->servers);
	g_free(self->config_state);
	g_free(self->config_message);
	g_mutex_clear(&self->lock);
	g_free(self);
}

/**
 * ms_health_get_servers:
 *
 * Returns: (transfer none): whether each replica of a route is in or out,
 *   shared by the workers' balancers and read by /readyz and /metrics
 */
MsUpstreamHealthTable *
ms_health_get_servers(MsHealth *self)
{
	return self->servers;
}

/**
 * ms_health_get_record:
 * @upstream: a route's upstream, as written in the configuration
 *
 * Takes a lock: a worker asks once per upstream and keeps the record.
 *
 * Returns: (transfer none): the record of @upstream's last exchange, valid as
 *   long as @self, made on first use
 */
MsHealthRecord *
ms_health_get_record(MsHealth *self, const char *upstream)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	MsHealthRecord *record = g_hash_table_lookup(self->records, upstream);

	if (record == NULL) {
		record = g_new0(MsHealthRecord, 1);
		record->upstream = g_strdup(upstream);
		g_mutex_init(&record->lock);
		g_hash_table_insert(self->records, record->upstream, record);
	}
	return record;
}

const char *
ms_health_record_get_upstream(MsHealthRecord *record)
{
	return record->upstream;
}

/**
 * ms_health_record_answered:
 *
 * The upstream sent a response head. On every proxied request: no lock, no
 * allocation, at most one atomic store.
 */
void
ms_health_record_answered(MsHealthRecord *record, gint64 now_us)
{
	long long seen = atomic_load_explicit(&record->last, memory_order_relaxed);

	if (seen != 0 && (seen & 1) == 0 && now_us - (seen >> 1) < MS_HEALTH_REFRESH_USEC)
		return;
	atomic_store_explicit(&record->last, (long long)now_us << 1, memory_order_relaxed);
}

/**
 * ms_health_record_failed:
 * @message: what went wrong, for /readyz
 *
 * The upstream could not be reached, timed out or broke the exchange.
 */
void
ms_health_record_failed(MsHealthRecord *record, gint64 now_us, const char *message)
{
	g_mutex_lock(&record->lock);
	g_free(record->error);
	record->error = g_strdup(message);
	atomic_store_explicit(&record->last, ((long long)now_us << 1) | 1, memory_order_relaxed);
	g_mutex_unlock(&record->lock);
}

/* Returns: the time of the last exchange, 0 for none; @error set when it failed */
static gint64
record_read(MsHealth *self, const char *upstream, char **error)
{
	MsHealthRecord *record;
	long long last;

	g_mutex_lock(&self->lock);
	record = g_hash_table_lookup(self->records, upstream);
	g_mutex_unlock(&self->lock);
	if (record == NULL)
		return 0;
	g_mutex_lock(&record->lock);
	last = atomic_load_explicit(&record->last, memory_order_relaxed);
	if (last & 1)
		*error = g_strdup(record->error != NULL ? record->error : "failed");
	g_mutex_unlock(&record->lock);
	return last >> 1;
}

/**
 * ms_health_set_config_state:
 * @state: (nullable): "ok" (or %NULL), or "degraded"
 * @message: (nullable): why, shown in /readyz
 *
 * Anything but "ok" makes /readyz answer 503.
 */
void
ms_health_set_config_state(MsHealth *self, const char *state, const char *message)
{
	g_mutex_lock(&self->lock);
	g_free(self->config_state);
	g_free(self->config_message);
	self->config_state = g_strdup(state);
	self->config_message = g_strdup(message);
	g_mutex_unlock(&self->lock);
}

/**
 * ms_health_dup_config_state:
 * @message: (out) (optional) (transfer full) (nullable): why it is not "ok"
 *
 * Returns: (transfer full): "ok" or the state set last
 */
char *
ms_health_dup_config_state(MsHealth *self, char **message)
{
	char *state;

	g_mutex_lock(&self->lock);
	state = g_strdup(self->config_state != NULL ? self->config_state : "ok");
	if (message != NULL)
		*message = g_strdup(self->config_message);
	g_mutex_unlock(&self->lock);
	return state;
}

/* a stat() starts nothing, where a connect() would start the service */
static gboolean
socket_exists(const char *path, char **error)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		int saved = errno;
		*error = g_strdup_printf("%s: %s", path, g_strerror(saved));
		return FALSE;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*error = g_strdup_printf("%s: not a socket", path);
		return FALSE;
	}
	return TRUE;
}

/* what is known of one server without asking it */
typedef struct {
	const char *state;
	const char *checked;
	gint64 last; /* the last exchange within MS_HEALTH_RECENT_USEC, or 0 */
	char *error;
	MsUpstreamHealth *health; /* a replica's, or NULL */
	gboolean out;             /* a replica taken out */
} ServerView;

static void
server_view_clear(ServerView *view)
{
	g_clear_pointer(&view->error, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ServerView, server_view_clear)

static void
server_view_init(ServerView *view,
		 MsHealth *self,
		 const MsRoute *route,
		 const MsUpstreamServer *server,
		 gint64 now_us)
{
	gboolean is_unix = server->kind == MS_UPSTREAM_KIND_UNIX;

	/* only replicas are taken out: a route's only server gets every request */
	view->health =
		route->n_servers > 1
			? ms_upstream_health_table_lookup(self->servers, route->name, server->text)
			: NULL;
	view->out = view->health != NULL && !ms_upstream_health_is_up(view->health);
	view->checked = "traffic";
	/* a missing socket says more than any earlier exchange: the next connect fails */
	if (is_unix && !socket_exists(server->path, &view->error)) {
		view->state = "missing";
		view->checked = "socket";
	} else {
		view->last = record_read(self, server->text, &view->error);
		if (view->last != 0 && now_us - view->last < MS_HEALTH_RECENT_USEC) {
			view->state = view->error != NULL ? "failing" : "up";
		} else {
			view->last = 0;
			g_clear_pointer(&view->error, g_free);
			view->state = is_unix ? "activatable" : "unknown";
			view->checked = is_unix ? "socket" : "traffic";
		}
	}
	if (view->out)
		view->state = "out";
}

/* Returns: %FALSE when @server would fail its route's next exchange */
static gboolean
add_server(JsonBuilder *builder,
	   MsHealth *self,
	   const MsRoute *route,
	   const MsUpstreamServer *server,
	   gint64 now_us)
{
	g_auto(ServerView) view = { 0 };

	server_view_init(&view, self, route, server, now_us);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "route");
	json_builder_add_string_value(builder, route->name);
	json_builder_set_member_name(builder, "upstream");
	json_builder_add_string_value(builder, route->upstream);
	if (route->n_servers > 1) {
		json_builder_set_member_name(builder, "server");
		json_builder_add_string_value(builder, server->text);
	}
	json_builder_set_member_name(builder, "state");
	json_builder_add_string_value(builder, view.state);
	json_builder_set_member_name(builder, "checked");
	json_builder_add_string_value(builder, view.checked);
	if (view.last != 0) {
		json_builder_set_member_name(builder, "age_ms");
		json_builder_add_int_value(builder, MAX(now_us - view.last, 0) / 1000);
	}
	if (view.out) {
		json_builder_set_member_name(builder, "retry_in_ms");
		json_builder_add_int_value(
			builder,
			MAX(ms_upstream_health_get_retry_at(view.health) - now_us, 0) / 1000);
	}
	if (view.error != NULL) {
		json_builder_set_member_name(builder, "error");
		json_builder_add_string_value(builder, view.error);
	}
	json_builder_end_object(builder);
	return view.error == NULL && !view.out;
}

/*
 * One entry per server. Returns: %FALSE when @route's upstream keeps the
 * gateway from being ready: its only server fails, or every replica does
 */
static gboolean
add_upstream(JsonBuilder *builder, MsHealth *self, const MsRoute *route, gint64 now_us)
{
	guint good = 0;

	for (guint i = 0; i < route->n_servers; i++) {
		if (add_server(builder, self, route, &route->servers[i], now_us))
			good++;
	}
	return good > 0;
}

/* Returns: %FALSE when the configuration's state is not "ok" */
static gboolean
add_config(JsonBuilder *builder, MsHealth *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	const char *state = self->config_state != NULL ? self->config_state : "ok";

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "state");
	json_builder_add_string_value(builder, state);
	if (self->config_message != NULL) {
		json_builder_set_member_name(builder, "message");
		json_builder_add_string_value(builder, self->config_message);
	}
	json_builder_end_object(builder);
	return g_strcmp0(state, "ok") == 0;
}

/**
 * ms_health_readiness:
 * @now_us: the monotonic time
 * @ready: (out): %FALSE when a route's upstream is missing or failing, or the
 *   configuration is not "ok"
 *
 * Returns: (transfer full): the /readyz answer:
 *   `{"config": {"state": ...}, "upstreams": [{"route", "upstream",
 *   "state", "checked"}, ...], "status": "ready"|"degraded"}`; a route with
 *   replicas has an entry per server, with its "server" and, while it is
 *   taken out, "state": "out" and "retry_in_ms"
 */
JsonNode *
ms_health_readiness(MsHealth *self, MsGatewayConfig *config, gint64 now_us, gboolean *ready)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "config");
	*ready = add_config(builder, self);
	json_builder_set_member_name(builder, "upstreams");
	json_builder_begin_array(builder);
	for (guint i = 0; i < ms_gateway_config_get_n_routes(config); i++) {
		const MsRoute *route = ms_gateway_config_get_route(config, i);

		/* an aggregation route has no upstream of its own: its parts are listed */
		if (route->upstream == NULL)
			continue;
		if (!add_upstream(builder, self, route, now_us))
			*ready = FALSE;
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, *ready ? "ready" : "degraded");
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/**
 * ms_health_collect_servers:
 *
 * Returns: (transfer full) (element-type MsMetricsServer): every server of
 *   every route of @config, as /metrics shows them; the strings are @config's
 */
GArray *
ms_health_collect_servers(MsHealth *self, MsGatewayConfig *config, gint64 now_us)
{
	GArray *servers = g_array_new(FALSE, TRUE, sizeof(MsMetricsServer));

	for (guint i = 0; i < ms_gateway_config_get_n_routes(config); i++) {
		const MsRoute *route = ms_gateway_config_get_route(config, i);

		for (guint j = 0; j < route->n_servers; j++) {
			g_auto(ServerView) view = { 0 };
			MsMetricsServer server = { 0 };

			server_view_init(&view, self, route, &route->servers[j], now_us);
			server.route = route->name;
			server.server = route->servers[j].text;
			server.up = view.error == NULL && !view.out;
			if (view.health != NULL) {
				server.counted = TRUE;
				server.requests = ms_upstream_health_get_requests(view.health);
				server.failures = ms_upstream_health_get_failures(view.health);
			}
			g_array_append_val(servers, server);
		}
	}
	return servers;
}
