/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-gateway.h"

#include "gateway/service/ms-gateway-worker.h"

/*
 * The gateway object: the running configuration, the policies' shared state
 * (created with it, so that no gateway can serve an auth route without its
 * authenticator), what /readyz reports and the workers.
 * A request's own flow is in ms-gateway-flow.c; each route's policies are the
 * steps its configuration lists (MsRoute.policy_steps). The configuration is
 * an immutable snapshot; each request holds a reference to the one it started
 * with, so a reload never changes a request midway.
 */

struct _MsGateway {
	GObject parent_instance;
	GMutex lock; /* guards config: workers take references from their threads */
	MsGatewayConfig *config;
	GPtrArray *workers; /* MsGatewayWorker */
	MsPolicyState *policies;
	MsHealth *health; /* what /readyz reports; locks of its own, apart from config's */
};

G_DEFINE_TYPE(MsGateway, ms_gateway, G_TYPE_OBJECT)

static void
ms_gateway_finalize(GObject *object)
{
	MsGateway *self = MS_GATEWAY(object);

	g_ptr_array_unref(self->workers);
	ms_policy_state_free(self->policies);
	/* after the workers: they point at its records */
	ms_health_free(self->health);
	ms_gateway_config_unref(self->config);
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
	self->workers = g_ptr_array_new_with_free_func((GDestroyNotify)ms_gateway_worker_free);
	self->health = ms_health_new();
}

/**
 * ms_gateway_new:
 * @config: the first configuration
 * @credentials: (nullable): the users and API keys; %NULL for none, so that
 *   every route with auth refuses every request
 *
 * The gateway with its policies' state (the authenticator, rate limiters,
 * the response cache, metrics) already in place: every route runs the
 * policies its configuration declares, and no caller can leave them out.
 */
MsGateway *
ms_gateway_new(MsGatewayConfig *config, MsCredentials *credentials)
{
	MsGateway *self = g_object_new(MS_TYPE_GATEWAY, NULL);
	g_autoptr(MsCredentials) none = credentials == NULL ? ms_credentials_new() : NULL;

	self->config = ms_gateway_config_ref(config);
	self->policies =
		ms_policy_state_new(credentials != NULL ? credentials : none,
				    ms_gateway_config_get_globals(config)->cache_max_bytes);
	return self;
}

/**
 * ms_gateway_get_policy_state:
 *
 * Returns: (transfer none): what the policies share across requests and reloads
 */
MsPolicyState *
ms_gateway_get_policy_state(MsGateway *self)
{
	return self->policies;
}

/* Returns: (transfer none): what GET /metrics and systemctl status report */
MsMetrics *
ms_gateway_get_metrics(MsGateway *self)
{
	return ms_policy_state_get_metrics(self->policies);
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
 * ms_gateway_reload:
 *
 * Parses @path and re-reads the users and API keys, and swaps both in; on any
 * error (a bad file refuses both) the running configuration stays.
 */
gboolean
ms_gateway_reload(MsGateway *self, const char *path, GError **error)
{
	g_autoptr(MsGatewayConfig) config = ms_gateway_config_load_file(path, error);
	g_autoptr(MsCredentials) credentials = NULL;

	if (config == NULL)
		return FALSE;
	credentials = ms_credentials_new_from_environment(error);
	if (credentials == NULL)
		return FALSE;
	ms_policy_state_reload(self->policies, credentials);
	ms_gateway_set_config(self, config);
	return TRUE;
}

/**
 * ms_gateway_add_worker:
 * @context: the main context the worker's requests run in
 *
 * Returns: (transfer none): a worker with its own upstream pool, owned by
 *   the gateway until ms_gateway_detach()
 */
MsGatewayWorker *
ms_gateway_add_worker(MsGateway *self, GMainContext *context)
{
	MsGatewayWorker *worker = ms_gateway_worker_new(self, self->health, context);

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

/**
 * ms_gateway_set_config_state:
 * @state: (nullable): "ok" (or %NULL) or "degraded"
 * @message: (nullable): why, for the operator
 *
 * What /readyz reports as "config"; any state but "ok" makes it answer 503
 * "degraded". Callable from any thread.
 */
void
ms_gateway_set_config_state(MsGateway *self, const char *state, const char *message)
{
	ms_health_set_config_state(self->health, state, message);
}

/**
 * ms_gateway_dup_config_state:
 * @message: (out) (optional) (transfer full) (nullable): why it is not "ok"
 *
 * Returns: (transfer full): "ok", or "degraded" (systemctl status says so too)
 */
char *
ms_gateway_dup_config_state(MsGateway *self, char **message)
{
	return ms_health_dup_config_state(self->health, message);
}

/**
 * ms_gateway_dup_degraded_status:
 *
 * The one wording of a degraded configuration, for systemctl status and the log.
 *
 * Returns: (transfer full) (nullable): "degraded, serving the last good
 *   configuration: WHY", or %NULL when the configuration is what the operator wrote
 */
char *
ms_gateway_dup_degraded_status(MsGateway *self)
{
	g_autofree char *why = NULL;
	g_autofree char *state = ms_gateway_dup_config_state(self, &why);

	if (g_strcmp0(state, "ok") == 0)
		return NULL;
	return g_strdup_printf("degraded, serving the last good configuration: %s",
			       why != NULL ? why : state);
}
