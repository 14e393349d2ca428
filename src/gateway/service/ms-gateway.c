#include "config.h"

#include "gateway/service/ms-gateway-private.h"
#include "gateway/adapters/config/ms-config-stage.h"
#include "gateway/service/ms-gateway-security.h"
#include "gateway/service/ms-health.h"

/*
 * The gateway object: the running configuration, its security policies
 * (created with it, so that no gateway can serve an auth route without them),
 * the hooks they use (filters, finish funcs, reload funcs, endpoints) and the
 * workers.
 * A request's own flow is in ms-gateway-request.c. The configuration is an
 * immutable snapshot; each request holds a reference to the one it started
 * with, so a reload never changes a request midway.
 */

struct _MsGateway {
	GObject parent_instance;
	GMutex lock; /* guards config: workers take references from their threads */
	MsGatewayConfig *config;
	GPtrArray *workers;    /* MsGatewayWorker */
	GArray *filters;       /* Filter */
	GArray *finish_funcs;  /* FinishFunc */
	GArray *reload_funcs;  /* ReloadFunc */
	gint n_connections;    /* atomic */
	GHashTable *endpoints; /* path → Endpoint */
	MsGatewaySecurity *security;
	MsHealth *health; /* what /readyz reports; locks of its own, apart from config's */
	char *state_dir;  /* where systemd's staged configuration sets are, or NULL */
};

typedef struct {
	MsGatewayFinishFunc func;
	gpointer user_data;
} FinishFunc;

typedef struct {
	MsGatewayReloadFunc func;
	gpointer user_data;
} ReloadFunc;

typedef struct {
	MsGatewayEndpointFunc func;
	gpointer user_data;
} Endpoint;

typedef struct {
	MsGatewayFilterFunc func;
	gpointer user_data;
} Filter;

G_DEFINE_TYPE(MsGateway, ms_gateway, G_TYPE_OBJECT)

static void
worker_free(MsGatewayWorker *worker)
{
	g_hash_table_unref(worker->records);
	ms_upstream_pool_free(worker->pool);
	g_free(worker);
}

static void
ms_gateway_finalize(GObject *object)
{
	MsGateway *self = MS_GATEWAY(object);

	g_ptr_array_unref(self->workers);
	g_clear_object(&self->security);
	g_array_unref(self->filters);
	g_array_unref(self->finish_funcs);
	g_array_unref(self->reload_funcs);
	g_hash_table_unref(self->endpoints);
	/* after the workers: they point at its records */
	ms_health_free(self->health);
	ms_gateway_config_unref(self->config);
	g_free(self->state_dir);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ms_gateway_parent_class)->finalize(object);
}

static void
ms_gateway_class_init(MsGatewayClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_gateway_finalize;
}

static void
ms_gateway_init(MsGateway *self)
{
	g_mutex_init(&self->lock);
	self->workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	self->filters = g_array_new(FALSE, FALSE, sizeof(Filter));
	self->finish_funcs = g_array_new(FALSE, FALSE, sizeof(FinishFunc));
	self->reload_funcs = g_array_new(FALSE, FALSE, sizeof(ReloadFunc));
	self->endpoints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->health = ms_health_new();
}

/**
 * ms_gateway_new:
 * @config: the first configuration
 * @credentials: (nullable): the users and API keys; %NULL for none, so that
 *   every route with auth refuses every request
 *
 * The gateway with its policies (CORS, authentication, rate limits, the
 * cache, metrics and GET /metrics) already in place: they are not a plug-in a
 * caller could forget.
 */
MsGateway *
ms_gateway_new(MsGatewayConfig *config, MsCredentials *credentials)
{
	MsGateway *self = g_object_new(MS_TYPE_GATEWAY, NULL);
	g_autoptr(MsCredentials) none = credentials == NULL ? ms_credentials_new() : NULL;

	self->config = ms_gateway_config_ref(config);
	self->security =
		ms_gateway_security_new(credentials != NULL ? credentials : none,
					ms_gateway_config_get_globals(config)->cache_max_bytes);
	ms_gateway_security_install(self->security, self);
	return self;
}

/**
 * ms_gateway_get_security:
 *
 * Returns: (transfer none): the gateway's policies
 */
MsGatewaySecurity *
ms_gateway_get_security(MsGateway *self)
{
	return self->security;
}

/* Returns: (transfer none): what /readyz reports from */
MsHealth *
ms_gateway_get_health(MsGateway *self)
{
	return self->health;
}

/**
 * ms_gateway_dup_config:
 *
 * Returns: (transfer full): the configuration new requests use
 */
MsGatewayConfig *
ms_gateway_dup_config(MsGateway *self)
{
	MsGatewayConfig *config;

	g_mutex_lock(&self->lock);
	config = ms_gateway_config_ref(self->config);
	g_mutex_unlock(&self->lock);
	return config;
}

void
ms_gateway_set_config(MsGateway *self, MsGatewayConfig *config)
{
	MsGatewayConfig *old;

	g_mutex_lock(&self->lock);
	old = self->config;
	self->config = ms_gateway_config_ref(config);
	g_mutex_unlock(&self->lock);
	/* requests in flight keep their own reference to the old one */
	ms_gateway_config_unref(old);
}

/**
 * ms_gateway_set_state_dir:
 * @state_dir: the directory ms_config_stage() stages sets into
 *
 * From now on every (re)load also reports whether the operator's last set
 * was refused, and says which staged set is in use.
 */
void
ms_gateway_set_state_dir(MsGateway *self, const char *state_dir)
{
	g_free(self->state_dir);
	self->state_dir = g_strdup(state_dir);
}

/**
 * ms_gateway_note_staged:
 * @load_error: (nullable): why the staged set could not be loaded, %NULL when
 *   it was
 *
 * After a (re)load from the state directory: says which set is in use, and
 * whether it is the one the operator wrote.
 */
void
ms_gateway_note_staged(MsGateway *self, const GError *load_error)
{
	gboolean loaded = load_error == NULL;
	g_autofree char *refused = ms_config_stage_get_error(self->state_dir);
	g_autofree char *serial = ms_config_stage_get_serial(self->state_dir);

	if (loaded)
		ms_config_stage_set_loaded(self->state_dir, serial);
	if (!loaded)
		ms_gateway_set_config_state(self, "degraded", load_error->message);
	else if (refused != NULL)
		ms_gateway_set_config_state(self, "degraded", refused);
	else if (serial == NULL)
		ms_gateway_set_config_state(self,
					    "degraded",
					    "no configuration was ever staged: serving none");
	else
		ms_gateway_set_config_state(self, "ok", NULL);
}

static gboolean
reload_config(MsGateway *self, const char *path, GError **error)
{
	g_autoptr(MsGatewayConfig) config = ms_gateway_config_load_file(path, error);

	if (config == NULL)
		return FALSE;
	/* what else a reload re-reads (the security filter: its credentials) */
	for (guint i = 0; i < self->reload_funcs->len; i++) {
		ReloadFunc *reload = &g_array_index(self->reload_funcs, ReloadFunc, i);
		if (!reload->func(self, config, reload->user_data, error))
			return FALSE;
	}
	ms_gateway_set_config(self, config);
	return TRUE;
}

/**
 * ms_gateway_reload:
 *
 * Parses @path and swaps it in; on any error the running configuration stays.
 */
gboolean
ms_gateway_reload(MsGateway *self, const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean loaded = reload_config(self, path, &local);

	if (self->state_dir != NULL)
		ms_gateway_note_staged(self, local);
	if (!loaded)
		g_propagate_error(error, g_steal_pointer(&local));
	return loaded;
}

void
ms_gateway_set_n_connections(MsGateway *self, guint n)
{
	g_atomic_int_set(&self->n_connections, (gint)n);
}

guint
ms_gateway_get_n_connections(MsGateway *self)
{
	return (guint)g_atomic_int_get(&self->n_connections);
}

/**
 * ms_gateway_add_reload_func:
 *
 * @func runs on every ms_gateway_reload() after the new configuration parsed;
 * returning %FALSE refuses the reload.
 */
void
ms_gateway_add_reload_func(MsGateway *self, MsGatewayReloadFunc func, gpointer user_data)
{
	ReloadFunc reload = { func, user_data };

	g_array_append_val(self->reload_funcs, reload);
}

void
ms_gateway_add_filter(MsGateway *self, MsGatewayFilterFunc func, gpointer user_data)
{
	Filter filter = { func, user_data };

	g_array_append_val(self->filters, filter);
}

/**
 * ms_gateway_run_filters:
 *
 * Runs the filters @request has not passed yet.
 *
 * Returns: %FALSE when one of them answered (or suspended) the request
 */
gboolean
ms_gateway_run_filters(MsGateway *self, MsGatewayRequest *request)
{
	while (request->next_filter < self->filters->len) {
		Filter *filter = &g_array_index(self->filters, Filter, request->next_filter++);
		if (!filter->func(request, filter->user_data))
			return FALSE;
	}
	return TRUE;
}

void
ms_gateway_add_finish_func(MsGateway *self, MsGatewayFinishFunc func, gpointer user_data)
{
	FinishFunc finish = { func, user_data };

	g_array_append_val(self->finish_funcs, finish);
}

void
ms_gateway_run_finish_funcs(MsGateway *self, MsGatewayRequest *request, gint64 duration_us)
{
	for (guint i = 0; i < self->finish_funcs->len; i++) {
		FinishFunc *finish = &g_array_index(self->finish_funcs, FinishFunc, i);
		finish->func(request, duration_us, finish->user_data);
	}
}

void
ms_gateway_add_endpoint(MsGateway *self,
			const char *path,
			MsGatewayEndpointFunc func,
			gpointer user_data)
{
	Endpoint *endpoint = g_new0(Endpoint, 1);

	endpoint->func = func;
	endpoint->user_data = user_data;
	g_hash_table_replace(self->endpoints, g_strdup(path), endpoint);
}

/* Returns: %TRUE when @path is an endpoint, which answered @request */
gboolean
ms_gateway_serve_endpoint(MsGateway *self, MsGatewayRequest *request, const char *path)
{
	Endpoint *endpoint = g_hash_table_lookup(self->endpoints, path);

	if (endpoint == NULL)
		return FALSE;
	endpoint->func(request, endpoint->user_data);
	return TRUE;
}

/**
 * ms_gateway_attach_front:
 * @context: the main context the worker's requests run in
 *
 * Returns: (transfer none): the worker a front hands its requests to, with its
 *   own upstream pool; owned by the gateway
 */
MsGatewayWorker *
ms_gateway_attach_front(MsGateway *self, GMainContext *context)
{
	MsGatewayWorker *worker = g_new0(MsGatewayWorker, 1);

	worker->gateway = self;
	worker->pool = ms_upstream_pool_new(context);
	/* keys are the records' own strings, which live as long as the gateway */
	worker->records = g_hash_table_new(g_str_hash, g_str_equal);
	g_mutex_lock(&self->lock);
	g_ptr_array_add(self->workers, worker);
	g_mutex_unlock(&self->lock);
	return worker;
}

/**
 * ms_gateway_detach:
 *
 * Stops using @worker; call from the worker's own thread once its requests
 * are finished. The gateway frees it.
 */
void
ms_gateway_detach(MsGateway *self, MsGatewayWorker *worker)
{
	g_mutex_lock(&self->lock);
	g_ptr_array_remove_fast(self->workers, worker);
	g_mutex_unlock(&self->lock);
}

/*
 * The worker's own map to the shared records: no lock on the request path, and
 * a lookup by the upstream string, so a reload (new routes, same upstreams)
 * keeps what was learnt
 */
static MsHealthRecord *
worker_get_record(MsGatewayWorker *worker, const MsRoute *route)
{
	MsHealthRecord *record = g_hash_table_lookup(worker->records, route->upstream);

	if (record == NULL) {
		record = ms_health_get_record(worker->gateway->health, route->upstream);
		g_hash_table_insert(worker->records,
				    (gpointer)ms_health_record_get_upstream(record),
				    record);
	}
	return record;
}

/**
 * ms_gateway_worker_upstream_answered:
 * @route: a route with an upstream of its own
 *
 * The upstream of @route sent a response head: /readyz says "up" for a while.
 */
void
ms_gateway_worker_upstream_answered(MsGatewayWorker *worker, const MsRoute *route)
{
	ms_health_record_answered(worker_get_record(worker, route), g_get_monotonic_time());
}

/**
 * ms_gateway_worker_upstream_failed:
 * @route: a route with an upstream of its own
 *
 * The upstream of @route refused, timed out or broke an exchange: /readyz says
 * "failing" with @message for a while.
 */
void
ms_gateway_worker_upstream_failed(MsGatewayWorker *worker,
				  const MsRoute *route,
				  const char *message)
{
	ms_health_record_failed(worker_get_record(worker, route), g_get_monotonic_time(), message);
}
