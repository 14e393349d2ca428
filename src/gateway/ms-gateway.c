#include "config.h"

#include "ms-gateway-private.h"

#include "ms-aggregate.h"

#include "common/ms-i18n.h"
#include "common/ms-log.h"
#include "common/ms-problem.h"
#include "common/ms-request-id.h"

/*
 * Request flow on each worker's SoupServer:
 *   got headers   → early handler: strip forged identity, request id, route
 *                   lookup, 413 from Content-Length before the body is read
 *   body read     → handler: health, 404, 405, filters, then the proxy
 *   finished      → one access log entry
 * The configuration is an immutable snapshot; each request holds a reference
 * to the one it started with, so a reload never changes a request midway.
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
	g_signal_handlers_disconnect_by_data(worker->server, worker);
	soup_server_remove_handler(worker->server, NULL);
	g_object_unref(worker->server);
	g_hash_table_unref(worker->requests);
	ms_upstream_pool_free(worker->pool);
	g_free(worker);
}

static void
ms_gateway_finalize(GObject *object)
{
	MsGateway *self = MS_GATEWAY(object);

	g_ptr_array_unref(self->workers);
	g_array_unref(self->filters);
	g_array_unref(self->finish_funcs);
	g_array_unref(self->reload_funcs);
	g_hash_table_unref(self->endpoints);
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
	self->workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	self->filters = g_array_new(FALSE, FALSE, sizeof(Filter));
	self->finish_funcs = g_array_new(FALSE, FALSE, sizeof(FinishFunc));
	self->reload_funcs = g_array_new(FALSE, FALSE, sizeof(ReloadFunc));
	self->endpoints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * ms_gateway_new:
 * @config: the first configuration
 */
MsGateway *
ms_gateway_new(MsGatewayConfig *config)
{
	MsGateway *self = g_object_new(MS_TYPE_GATEWAY, NULL);

	self->config = ms_gateway_config_ref(config);
	return self;
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
 * Parses @path and swaps it in; on any error the running configuration stays.
 */
gboolean
ms_gateway_reload(MsGateway *self, const char *path, GError **error)
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

SoupServerMessage *
ms_gateway_request_get_message(MsGatewayRequest *request)
{
	return request->msg;
}

const MsRoute *
ms_gateway_request_get_route(MsGatewayRequest *request)
{
	return request->route;
}

MsGatewayConfig *
ms_gateway_request_get_config(MsGatewayRequest *request)
{
	return request->config;
}

const char *
ms_gateway_request_get_remote_addr(MsGatewayRequest *request)
{
	return soup_server_message_get_remote_host(request->msg);
}

static void
request_free(MsGatewayRequest *request)
{
	g_clear_pointer(&request->body, g_bytes_unref);
	g_clear_pointer(&request->aggregate, ms_aggregate_free);
	if (request->tap_destroy != NULL)
		request->tap_destroy(request->tap_data);
	ms_gateway_config_unref(request->config);
	g_free(request);
}

static void
send_too_large(SoupServerMessage *msg, const MsRoute *route)
{
	char limit[32];

	/* the connection is not kept for another request after a body over the limit */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
	g_snprintf(limit, sizeof limit, "%" G_GUINT64_FORMAT, route->max_body_bytes);
	ms_problem_sendf(msg,
			 SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
			 "body_too_large",
			 N_("Request body too large"),
			 N_("the request body may be at most %s bytes"),
			 limit);
}

static void
on_request_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	MsGatewayRequest *request = user_data;
	SoupMessageBody *body;

	request->chunked_bytes += g_bytes_get_size(chunk);
	if (request->too_large || request->chunked_bytes <= request->route->max_body_bytes)
		return;
	/* over the limit: stop keeping what still arrives, and answer 413 */
	request->too_large = TRUE;
	body = soup_server_message_get_request_body(msg);
	soup_message_body_set_accumulate(body, FALSE);
	soup_message_body_truncate(body);
}

static void
early_handler(SoupServer *server,
	      SoupServerMessage *msg,
	      const char *path,
	      GHashTable *query,
	      gpointer user_data)
{
	MsGatewayWorker *worker = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	MsGatewayRequest *request = g_new0(MsGatewayRequest, 1);
	goffset length;

	request->worker = worker;
	request->msg = msg;
	request->started = g_get_monotonic_time();
	request->config = ms_gateway_dup_config(worker->gateway);
	g_hash_table_insert(worker->requests, msg, request);

	/* identity headers come only from the gateway's own auth, never the client */
	soup_message_headers_remove(headers, "X-Microsoup-User");
	soup_message_headers_remove(headers, "X-Microsoup-Role");

	request->route = ms_gateway_config_lookup(request->config, path);
	if (request->route == NULL)
		return;
	switch (soup_message_headers_get_encoding(headers)) {
	case SOUP_ENCODING_CONTENT_LENGTH:
		length = soup_message_headers_get_content_length(headers);
		if ((guint64)length > request->route->max_body_bytes) {
			/* the body is not kept; libsoup closes rather than read it with
			 * 100-continue */
			request->too_large = TRUE;
			/* MsRuntime gives the id at request-read: this answer is made earlier */
			ms_request_id_ensure(msg);
			soup_message_body_set_accumulate(soup_server_message_get_request_body(msg),
							 FALSE);
			send_too_large(msg, request->route);
		}
		break;
	case SOUP_ENCODING_CHUNKED:
		g_signal_connect(msg, "got-chunk", G_CALLBACK(on_request_chunk), request);
		break;
	default:
		break;
	}
}

/* a CORS preflight is OPTIONS on any route with cors_origins: the security filter answers it */
static gboolean
is_cors_preflight(const MsRoute *route, SoupServerMessage *msg)
{
	return route->cors_origins != NULL && route->cors_origins[0] != NULL &&
	       soup_server_message_get_method(msg) == SOUP_METHOD_OPTIONS &&
	       soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Access-Control-Request-Method") != NULL;
}

/* returns TRUE when the request went on to the proxy or the aggregation (which answer and unpause)
 */
static gboolean
run_filters(MsGateway *self, MsGatewayRequest *request)
{
	while (request->next_filter < self->filters->len) {
		Filter *filter = &g_array_index(self->filters, Filter, request->next_filter++);
		if (!filter->func(request, filter->user_data))
			return FALSE;
	}
	if (request->route->upstreams != NULL) {
		ms_aggregate_start(request);
		return TRUE;
	}
	ms_proxy_start(request);
	return TRUE;
}

/**
 * ms_gateway_request_suspend:
 *
 * Keeps @request waiting (paused) after its filter returns %FALSE.
 */
void
ms_gateway_request_suspend(MsGatewayRequest *request)
{
	request->suspended = TRUE;
	g_object_ref(request->msg);
	soup_server_message_pause(request->msg);
}

/**
 * ms_gateway_request_resume:
 * @proceed: %TRUE to run the next filters and the proxy, %FALSE when the
 *   suspending filter has set the answer
 */
void
ms_gateway_request_resume(MsGatewayRequest *request, gboolean proceed)
{
	g_autoptr(SoupServerMessage) msg = request->msg; /* the suspend's reference */

	request->suspended = FALSE;
	if (request->aborted) {
		/* the client went away meanwhile: on_request_aborted() left it to us */
		request_free(request);
		return;
	}
	if (proceed && run_filters(request->worker->gateway, request))
		return;
	/* answered here or by a later filter, unless that one suspended again */
	if (!request->suspended)
		soup_server_message_unpause(msg);
}

/**
 * ms_gateway_request_set_tap:
 *
 * Lets a filter see the upstream's answer as the proxy relays it; @destroy
 * runs when the request ends.
 */
void
ms_gateway_request_set_tap(MsGatewayRequest *request,
			   const MsGatewayResponseTap *tap,
			   gpointer data,
			   GDestroyNotify destroy)
{
	if (request->tap_destroy != NULL)
		request->tap_destroy(request->tap_data);
	request->tap = tap;
	request->tap_data = data;
	request->tap_destroy = destroy;
}

guint
ms_gateway_request_get_upstream_failure(MsGatewayRequest *request)
{
	return request->upstream_failed;
}

void
ms_gateway_add_finish_func(MsGateway *self, MsGatewayFinishFunc func, gpointer user_data)
{
	FinishFunc finish = { func, user_data };

	g_array_append_val(self->finish_funcs, finish);
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

/* the access log and the finish funcs see the same duration, read once */
static void
request_finished(MsGatewayWorker *worker,
		 MsGatewayRequest *request,
		 SoupServerMessage *msg,
		 gboolean aborted)
{
	MsGateway *self = worker->gateway;
	gint64 duration = request != NULL ? g_get_monotonic_time() - request->started : 0;

	ms_gateway_log_access(request, msg, duration, aborted);
	for (guint i = 0; i < self->finish_funcs->len; i++) {
		FinishFunc *finish = &g_array_index(self->finish_funcs, FinishFunc, i);
		finish->func(request, msg, duration, finish->user_data);
	}
}

static void
handle_routed(MsGatewayWorker *worker, MsGatewayRequest *request)
{
	MsGateway *self = worker->gateway;
	SoupServerMessage *msg = request->msg;
	const MsRoute *route = request->route;

	if (request->too_large) {
		send_too_large(msg, route);
		return;
	}
	if (!ms_route_allows_method(route, soup_server_message_get_method(msg)) &&
	    !is_cors_preflight(route, msg)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Allow",
					     route->allow);
		ms_problem_sendf(msg,
				 SOUP_STATUS_METHOD_NOT_ALLOWED,
				 "method_not_allowed",
				 N_("Method not allowed"),
				 N_("%s is not allowed here; use %s"),
				 soup_server_message_get_method(msg),
				 route->allow);
		return;
	}
	run_filters(self, request);
}

static void
handler(SoupServer *server,
	SoupServerMessage *msg,
	const char *path,
	GHashTable *query,
	gpointer user_data)
{
	MsGatewayWorker *worker = user_data;
	MsGatewayRequest *request = g_hash_table_lookup(worker->requests, msg);

	if (request == NULL)
		return;
	/* MsRuntime gives ids at request-read; a gateway embedded elsewhere may not */
	if (ms_request_id_get(msg) == NULL)
		ms_request_id_ensure(msg);
	if (request->route != NULL) {
		handle_routed(worker, request);
		return;
	}
	if (g_strcmp0(path, "/healthz") == 0 || g_strcmp0(path, "/readyz") == 0) {
		ms_health_handle(worker->gateway, msg, path);
		return;
	}
	{
		Endpoint *endpoint = g_hash_table_lookup(worker->gateway->endpoints, path);
		if (endpoint != NULL) {
			endpoint->func(msg, endpoint->user_data);
			return;
		}
	}
	ms_problem_sendf(msg,
			 SOUP_STATUS_NOT_FOUND,
			 "not_found",
			 N_("Not found"),
			 N_("there is nothing at %s"),
			 path);
}

static void
on_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsGatewayWorker *worker = user_data;
	MsGatewayRequest *request = NULL;

	g_hash_table_steal_extended(worker->requests, msg, NULL, (gpointer *)&request);
	if (request != NULL)
		ms_proxy_finish(request);
	/* a request libsoup refused before its headers were parsed (400, 431) still counts */
	if (request != NULL || soup_server_message_get_status(msg) != 0)
		request_finished(worker, request, msg, FALSE);
	g_clear_pointer(&request, request_free);
}

static void
on_request_aborted(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsGatewayWorker *worker = user_data;
	MsGatewayRequest *request = NULL;

	if (!g_hash_table_steal_extended(worker->requests, msg, NULL, (gpointer *)&request))
		return;
	request->aborted = TRUE;
	ms_proxy_abort(request);
	ms_aggregate_abort(request);
	ms_proxy_finish(request);
	request_finished(worker, request, msg, TRUE);
	/* a suspended request is freed when its filter resumes it */
	if (!request->suspended)
		request_free(request);
}

/**
 * ms_gateway_attach:
 * @server: a server whose main context is the calling thread's default one
 *
 * Serves the gateway on @server: one worker with its own upstream pool.
 *
 * Returns: (transfer none): the worker, owned by the gateway
 */
MsGatewayWorker *
ms_gateway_attach(MsGateway *self, SoupServer *server)
{
	MsGatewayWorker *worker = g_new0(MsGatewayWorker, 1);

	worker->gateway = self;
	worker->server = g_object_ref(server);
	worker->pool = ms_upstream_pool_new(NULL);
	worker->requests = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)request_free);
	soup_server_add_early_handler(server, NULL, early_handler, worker, NULL);
	soup_server_add_handler(server, NULL, handler, worker, NULL);
	g_signal_connect(server, "request-finished", G_CALLBACK(on_request_finished), worker);
	g_signal_connect(server, "request-aborted", G_CALLBACK(on_request_aborted), worker);
	g_mutex_lock(&self->lock);
	g_ptr_array_add(self->workers, worker);
	g_mutex_unlock(&self->lock);
	return worker;
}

/**
 * ms_gateway_detach:
 *
 * Undoes ms_gateway_attach(); call from the worker's own thread.
 */
void
ms_gateway_detach(MsGateway *self, MsGatewayWorker *worker)
{
	g_mutex_lock(&self->lock);
	g_ptr_array_remove_fast(self->workers, worker);
	g_mutex_unlock(&self->lock);
}

/**
 * ms_gateway_worker_is_busy:
 * @remote: the client address of a connection handed to the worker's server
 *
 * libsoup gives no GSocket for connections passed to soup_server_accept_iostream(),
 * so a connection is found by its client address.
 *
 * Returns: %TRUE while a request from @remote is being answered
 */
gboolean
ms_gateway_worker_is_busy(MsGatewayWorker *worker, GSocketAddress *remote)
{
	GHashTableIter iter;
	gpointer msg;

	if (!G_IS_INET_SOCKET_ADDRESS(remote))
		return g_hash_table_size(worker->requests) > 0;
	g_hash_table_iter_init(&iter, worker->requests);
	while (g_hash_table_iter_next(&iter, &msg, NULL)) {
		GSocketAddress *address = soup_server_message_get_remote_address(msg);
		GInetSocketAddress *a = G_INET_SOCKET_ADDRESS(remote);
		GInetSocketAddress *b;

		if (address == remote)
			return TRUE;
		if (!G_IS_INET_SOCKET_ADDRESS(address))
			continue;
		b = G_INET_SOCKET_ADDRESS(address);
		if (g_inet_socket_address_get_port(a) == g_inet_socket_address_get_port(b) &&
		    g_inet_address_equal(g_inet_socket_address_get_address(a),
					 g_inet_socket_address_get_address(b)))
			return TRUE;
	}
	return FALSE;
}
