/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/front/ms-gateway-server.h"

#include "common/ms-listen.h"
#include "common/ms-log.h"
#include "gateway/core/ms-gateway-config.h"
#include "gateway/adapters/front/ms-gateway-front.h"
#include "gateway/adapters/front/ms-gateway-limits.h"

typedef struct _Server Server;

typedef struct {
	Server *server;
	guint index;
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	MsGatewayEvents *events; /* until the front takes it */
	MsGatewayWorker *gateway_worker;
	MsGatewayFront *front; /* the main thread counts its connections, under front_lock */
	GMutex front_lock;     /* the worker frees its front while the main thread counts */
	GPtrArray *listeners;  /* GSocket: the worker's own duplicates of the sockets */
	GMutex ready_lock;
	GCond ready_cond;
	gboolean ready;
	GError *error;
} Worker;

struct _Server {
	MsRuntimeServer iface;
	MsGateway *gateway;
	GPtrArray *sockets; /* the runtime's, while start() runs */
	GPtrArray *workers; /* Worker */
	guint n_workers;
	MsGatewayLimits *limits; /* every worker's connections */
};

/* a worker's front is empty after a stop, or the drain gave up on it */
static gboolean
quit_worker_loop(gpointer user_data)
{
	Worker *worker = user_data;

	g_main_loop_quit(worker->loop);
	return G_SOURCE_REMOVE;
}

/* no new connections; idle ones close now, busy ones after their answer */
static gboolean
worker_stop(gpointer user_data)
{
	Worker *worker = user_data;

	/* a worker that never started, or failed to, has nothing to stop */
	if (worker->front != NULL)
		ms_gateway_front_stop(worker->front, quit_worker_loop, worker);
	return G_SOURCE_REMOVE;
}

static void
worker_signal_ready(Worker *worker)
{
	g_mutex_lock(&worker->ready_lock);
	worker->ready = TRUE;
	g_cond_signal(&worker->ready_cond);
	g_mutex_unlock(&worker->ready_lock);
}

static gboolean
worker_setup(Worker *worker, GError **error)
{
	MsGatewayFront *front;

	worker->gateway_worker = ms_gateway_attach_front(worker->server->gateway, worker->context);
	front = ms_gateway_front_new_with_events(worker->gateway_worker,
						 g_steal_pointer(&worker->events));
	ms_gateway_front_set_limits(front, worker->server->limits);
	/* the front closes its duplicate; systemd's copy keeps the backlog */
	for (guint i = 0; i < worker->listeners->len; i++)
		ms_gateway_front_listen(front, g_ptr_array_index(worker->listeners, i));
	g_mutex_lock(&worker->front_lock);
	worker->front = front;
	g_mutex_unlock(&worker->front_lock);
	g_clear_pointer(&worker->listeners, g_ptr_array_unref);
	return TRUE;
}

/*
 * Every worker's duplicates are made before the first worker accepts: a
 * worker that started later could otherwise find the descriptors all taken
 * by clients (EMFILE) and fail to start at all.
 */
static GPtrArray *
dup_listeners(GPtrArray *sockets, GError **error)
{
	g_autoptr(GPtrArray) listeners = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < sockets->len; i++) {
		GSocket *socket = ms_listen_socket_dup(g_ptr_array_index(sockets, i), error);

		if (socket == NULL)
			return NULL;
		g_ptr_array_add(listeners, socket);
	}
	return g_steal_pointer(&listeners);
}

static gpointer
worker_thread(gpointer user_data)
{
	Worker *worker = user_data;
	MsGatewayFront *front;

	g_main_context_push_thread_default(worker->context);
	if (!worker_setup(worker, &worker->error)) {
		g_clear_pointer(&worker->front, ms_gateway_front_free);
		if (worker->gateway_worker != NULL)
			ms_gateway_detach(worker->server->gateway, worker->gateway_worker);
		worker_signal_ready(worker);
		g_main_context_pop_thread_default(worker->context);
		return NULL;
	}
	worker_signal_ready(worker);
	g_main_loop_run(worker->loop);

	g_mutex_lock(&worker->front_lock);
	front = g_steal_pointer(&worker->front);
	g_mutex_unlock(&worker->front_lock);
	/* empty unless the drain timed out: what is left ends as aborted */
	ms_gateway_front_free(front);
	ms_gateway_detach(worker->server->gateway, worker->gateway_worker);
	/* let closed connections' sources run down in this context */
	while (g_main_context_iteration(worker->context, FALSE))
		;
	g_main_context_pop_thread_default(worker->context);
	return NULL;
}

static void
worker_free(Worker *worker)
{
	if (worker->thread != NULL)
		g_thread_join(worker->thread);
	g_main_loop_unref(worker->loop);
	g_clear_pointer(&worker->events, ms_gateway_events_free);
	g_main_context_unref(worker->context);
	g_clear_pointer(&worker->listeners, g_ptr_array_unref);
	g_mutex_clear(&worker->ready_lock);
	g_cond_clear(&worker->ready_cond);
	g_mutex_clear(&worker->front_lock);
	g_clear_error(&worker->error);
	g_free(worker);
}

/*
 * Everything a worker needs that takes a descriptor (its duplicates of the
 * listening sockets, its main context's wakeup, its front's epoll set) is
 * made for every worker before the first one accepts: a worker made later
 * could find them all taken by clients (EMFILE), and GLib aborts when it
 * cannot make a wakeup, as the front's events do without an epoll set.
 */
static Worker *
worker_new(Server *server, guint index, GError **error)
{
	GPtrArray *listeners = dup_listeners(server->sockets, error);
	Worker *worker;

	if (listeners == NULL)
		return NULL;
	worker = g_new0(Worker, 1);
	worker->server = server;
	worker->listeners = listeners;
	worker->index = index;
	worker->context = g_main_context_new();
	worker->loop = g_main_loop_new(worker->context, FALSE);
	worker->events = ms_gateway_events_new(worker->context);
	g_mutex_init(&worker->ready_lock);
	g_cond_init(&worker->ready_cond);
	g_mutex_init(&worker->front_lock);
	return worker;
}

/* starts @worker's thread and waits until it serves, or failed to */
static gboolean
worker_start(Worker *worker, GError **error)
{
	g_autofree char *name = g_strdup_printf("gateway-%u", worker->index);

	worker->thread = g_thread_new(name, worker_thread, worker);
	g_mutex_lock(&worker->ready_lock);
	while (!worker->ready)
		g_cond_wait(&worker->ready_cond, &worker->ready_lock);
	g_mutex_unlock(&worker->ready_lock);
	if (worker->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&worker->error));
		return FALSE;
	}
	return TRUE;
}

/* the worker's open connections; -1 once it has ended, or if it never started */
static gint
worker_count_open(Worker *worker)
{
	gint open = -1;

	g_mutex_lock(&worker->front_lock);
	if (worker->front != NULL)
		open = (gint)ms_gateway_front_get_n_connections(worker->front);
	g_mutex_unlock(&worker->front_lock);
	return open;
}

static guint
server_get_n_connections(MsRuntimeServer *iface)
{
	Server *server = (Server *)iface;
	guint open = 0;

	for (guint i = 0; i < server->workers->len; i++)
		open += MAX(worker_count_open(g_ptr_array_index(server->workers, i)), 0);
	return open;
}

/*
 * A stopping worker ends once its front has answered everything: until then
 * it counts as work left even when its last connection is closing.
 */
static guint
server_get_work_left(MsRuntimeServer *iface)
{
	Server *server = (Server *)iface;
	guint left = 0;

	for (guint i = 0; i < server->workers->len; i++) {
		gint open = worker_count_open(g_ptr_array_index(server->workers, i));

		if (open >= 0)
			left += MAX(open, 1);
	}
	return left;
}

/* @func runs in each worker's thread, with the worker */
static void
invoke_on_workers(Server *server, GSourceFunc func)
{
	for (guint i = 0; i < server->workers->len; i++) {
		Worker *worker = g_ptr_array_index(server->workers, i);
		g_main_context_invoke(worker->context, func, worker);
	}
}

static void
server_stop(MsRuntimeServer *iface)
{
	invoke_on_workers((Server *)iface, worker_stop);
}

/**
 * ms_gateway_server_apply_limits:
 *
 * Takes max_connections and max_connections_per_client from the gateway's
 * configuration: at start, and after each reload. max_connections = 0 is
 * derived from RLIMIT_NOFILE; a larger setting is kept, but accept() may then
 * fail with EMFILE, which only backs off.
 */
void
ms_gateway_server_apply_limits(MsRuntimeServer *iface)
{
	Server *server = (Server *)iface;
	g_autoptr(MsGatewayConfig) config = ms_gateway_dup_config(server->gateway);
	const MsGatewayGlobals *globals = ms_gateway_config_get_globals(config);
	guint fd_bound = ms_gateway_limits_default_max_connections();

	if (globals->max_connections > fd_bound)
		ms_warning("max_connections = %u, but RLIMIT_NOFILE leaves room for about %u "
			   "client connections with their upstream ones (raise LimitNOFILE=)",
			   globals->max_connections,
			   fd_bound);
	ms_gateway_limits_set(server->limits,
			      globals->max_connections,
			      globals->max_connections_per_client);
}

static gboolean
server_start(MsRuntimeServer *iface, GPtrArray *sockets, GError **error)
{
	Server *server = (Server *)iface;
	gboolean started = TRUE;

	server->sockets = sockets;
	ms_gateway_server_apply_limits(iface);
	for (guint i = 0; i < sockets->len; i++)
		g_socket_set_blocking(g_ptr_array_index(sockets, i), FALSE);
	for (guint i = 0; i < server->n_workers && started; i++) {
		Worker *worker = worker_new(server, i, error);

		started = worker != NULL;
		if (worker != NULL)
			g_ptr_array_add(server->workers, worker);
	}
	for (guint i = 0; i < server->workers->len && started; i++)
		started = worker_start(g_ptr_array_index(server->workers, i), error);
	server->sockets = NULL;
	if (started)
		ms_message("serving with %u workers, at most %u client connections",
			   server->n_workers,
			   ms_gateway_limits_get_max_connections(server->limits));
	return started;
}

static void
server_free(MsRuntimeServer *iface)
{
	Server *server = (Server *)iface;

	/*
	 * Drained workers have ended already; one that has not (the drain timed
	 * out, or start failed) ends now. Through its context, since its loop
	 * may not be running yet.
	 */
	invoke_on_workers(server, quit_worker_loop);
	/* joins every worker */
	g_ptr_array_unref(server->workers);
	/* after the fronts: their sockets held the slots */
	ms_gateway_limits_free(server->limits);
	g_object_unref(server->gateway);
	g_free(server);
}

/**
 * ms_gateway_server_new:
 * @n_workers: threads, one or more
 *
 * Returns: (transfer full): the gateway's server, for ms_runtime_set_server()
 */
MsRuntimeServer *
ms_gateway_server_new(MsGateway *gateway, guint n_workers)
{
	Server *server = g_new0(Server, 1);

	server->iface.start = server_start;
	server->iface.stop = server_stop;
	server->iface.get_n_connections = server_get_n_connections;
	server->iface.get_work_left = server_get_work_left;
	server->iface.free = server_free;
	server->gateway = g_object_ref(gateway);
	server->n_workers = MAX(n_workers, 1);
	server->workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	server->limits = ms_gateway_limits_new(0, 0);
	return &server->iface;
}
