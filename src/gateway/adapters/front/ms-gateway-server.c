#include "config.h"

#include "gateway/adapters/front/ms-gateway-server.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ms-log.h"
#include "common/ms-notify.h"
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
	MsGatewayWorker *gateway_worker;
	MsGatewayFront *front; /* the main thread reads its connection count */
	GPtrArray *listeners;  /* GSocket: the worker's own duplicates of the sockets */
	GMutex ready_lock;
	GCond ready_cond;
	gboolean ready;
	GError *error;
} Worker;

struct _Server {
	MsGateway *gateway;
	GPtrArray *sockets;
	GPtrArray *workers;      /* Worker */
	MsGatewayLimits *limits; /* every worker's connections */
	GMainLoop *loop;
	const char *config_path;
	guint idle_timeout;
	guint idle_seconds;
	gboolean stopping;
	gboolean exit_idle;
};

static gboolean
on_front_empty(gpointer user_data)
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
		ms_gateway_front_stop(worker->front, on_front_empty, worker);
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
	worker->gateway_worker = ms_gateway_attach_front(worker->server->gateway, worker->context);
	worker->front = ms_gateway_front_new(worker->gateway_worker, worker->context);
	ms_gateway_front_set_limits(worker->front, worker->server->limits);
	/* the front closes its duplicate; systemd's copy keeps the backlog */
	for (guint i = 0; i < worker->listeners->len; i++)
		ms_gateway_front_listen(worker->front, g_ptr_array_index(worker->listeners, i));
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
		int fd = dup(g_socket_get_fd(g_ptr_array_index(sockets, i)));
		GSocket *socket;

		if (fd < 0) {
			g_set_error(error,
				    G_IO_ERROR,
				    g_io_error_from_errno(errno),
				    "dup: %s",
				    g_strerror(errno));
			return NULL;
		}
		socket = g_socket_new_from_fd(fd, error);
		if (socket == NULL) {
			close(fd);
			return NULL;
		}
		g_ptr_array_add(listeners, socket);
	}
	return g_steal_pointer(&listeners);
}

static gpointer
worker_thread(gpointer user_data)
{
	Worker *worker = user_data;

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

	/* empty unless the loop ended early: what is left ends as aborted */
	ms_gateway_front_free(g_steal_pointer(&worker->front));
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
	g_main_context_unref(worker->context);
	g_clear_pointer(&worker->listeners, g_ptr_array_unref);
	g_mutex_clear(&worker->ready_lock);
	g_cond_clear(&worker->ready_cond);
	g_clear_error(&worker->error);
	g_free(worker);
}

/*
 * Everything a worker needs that takes a descriptor (its duplicates of the
 * listening sockets, its main context's wakeup) is made for every worker
 * before the first one accepts: a worker made later could find them all
 * taken by clients (EMFILE), and GLib aborts when it cannot make a wakeup.
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
	g_mutex_init(&worker->ready_lock);
	g_cond_init(&worker->ready_cond);
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

/*
 * A worker frees its front only after on_terminate(), after which the main
 * loop runs no more ticks: the fronts outlive every call of this.
 */
static guint
count_open(Server *server)
{
	guint open = 0;

	for (guint i = 0; i < server->workers->len; i++) {
		Worker *worker = g_ptr_array_index(server->workers, i);
		MsGatewayFront *front = g_atomic_pointer_get(&worker->front);

		if (front != NULL)
			open += ms_gateway_front_get_n_connections(front);
	}
	return open;
}

static void
stop_workers(Server *server)
{
	for (guint i = 0; i < server->workers->len; i++) {
		Worker *worker = g_ptr_array_index(server->workers, i);
		g_main_context_invoke(worker->context, worker_stop, worker);
	}
}

static gboolean
on_terminate(gpointer user_data)
{
	Server *server = user_data;

	if (server->stopping)
		return G_SOURCE_CONTINUE;
	server->stopping = TRUE;
	ms_message("stopping: no new connections, finishing what is in flight");
	ms_notify_stopping();
	stop_workers(server);
	/* the workers end their loops; joining them happens after ours */
	g_main_loop_quit(server->loop);
	return G_SOURCE_CONTINUE;
}

/* max_connections = 0 is derived from RLIMIT_NOFILE; a larger setting is kept, but
 * accept() may then fail with EMFILE, which only backs off */
static void
apply_limits(Server *server)
{
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
on_reload(gpointer user_data)
{
	Server *server = user_data;
	g_autoptr(GError) error = NULL;

	g_autofree char *degraded = NULL;

	ms_notify_reloading();
	if (!ms_gateway_reload(server->gateway, server->config_path, &error)) {
		ms_warning("reload refused, keeping the running configuration: %s", error->message);
	} else {
		apply_limits(server);
		ms_message("configuration reloaded");
	}
	/* a set the operator got wrong stays visible in systemctl status until it is fixed */
	degraded = ms_gateway_dup_degraded_status(server->gateway);
	if (degraded != NULL)
		ms_warning("%s", degraded);
	ms_notify_ready(degraded != NULL ? degraded : "serving");
	return G_SOURCE_CONTINUE;
}

static gboolean
on_idle_tick(gpointer user_data)
{
	Server *server = user_data;

	/* for the metrics' open-connections gauge */
	ms_gateway_set_n_connections(server->gateway, count_open(server));
	if (server->idle_timeout == 0 || server->stopping)
		return G_SOURCE_CONTINUE;
	if (count_open(server) > 0) {
		server->idle_seconds = 0;
		return G_SOURCE_CONTINUE;
	}
	if (++server->idle_seconds < server->idle_timeout)
		return G_SOURCE_CONTINUE;
	ms_message("idle for %u s, exiting; systemd starts the service again on demand",
		   server->idle_timeout);
	server->exit_idle = TRUE;
	on_terminate(server);
	return G_SOURCE_REMOVE;
}

/**
 * ms_gateway_server_run:
 * @sockets: (element-type GSocket): listening sockets, shared by every worker
 *
 * Serves until SIGTERM/SIGINT (after in-flight requests finish) or until idle;
 * SIGHUP reloads the configuration from @config_path.
 */
gboolean
ms_gateway_server_run(MsGateway *gateway,
		      GPtrArray *sockets,
		      guint n_workers,
		      guint idle_timeout,
		      const char *config_path,
		      GError **error)
{
	Server server = { 0 };
	g_autofree char *status = NULL;
	guint source_ids[4];
	guint watchdog_id;
	gboolean started = TRUE;

	server.gateway = gateway;
	server.sockets = sockets;
	server.config_path = config_path;
	server.idle_timeout = idle_timeout;
	server.workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	server.loop = g_main_loop_new(NULL, FALSE);
	server.limits = ms_gateway_limits_new(0, 0);
	apply_limits(&server);
	/* before any worker serves: a signal must never find the default action */
	source_ids[0] = g_unix_signal_add(SIGTERM, on_terminate, &server);
	source_ids[1] = g_unix_signal_add(SIGINT, on_terminate, &server);
	source_ids[2] = g_unix_signal_add(SIGHUP, on_reload, &server);
	source_ids[3] = g_timeout_add_seconds(1, on_idle_tick, &server);
	for (guint i = 0; i < sockets->len; i++)
		g_socket_set_blocking(g_ptr_array_index(sockets, i), FALSE);
	for (guint i = 0; i < n_workers && started; i++) {
		Worker *worker = worker_new(&server, i, error);

		started = worker != NULL;
		if (worker != NULL)
			g_ptr_array_add(server.workers, worker);
	}
	for (guint i = 0; i < server.workers->len && started; i++)
		started = worker_start(g_ptr_array_index(server.workers, i), error);
	if (!started) {
		for (guint j = 0; j < G_N_ELEMENTS(source_ids); j++)
			g_source_remove(source_ids[j]);
		stop_workers(&server);
		g_ptr_array_unref(server.workers);
		g_main_loop_unref(server.loop);
		ms_gateway_limits_free(server.limits);
		return FALSE;
	}

	watchdog_id = ms_notify_watchdog_start();
	/* started with the last good set: systemctl status says so from the start */
	status = ms_gateway_dup_degraded_status(gateway);
	if (status == NULL)
		status = g_strdup_printf("serving with %u workers; idle timeout %u s",
					 n_workers,
					 idle_timeout);
	ms_notify_ready(status);
	ms_message("microsoup-gateway %s ready, %u workers, at most %u client connections",
		   PACKAGE_VERSION,
		   n_workers,
		   ms_gateway_limits_get_max_connections(server.limits));

	g_main_loop_run(server.loop);

	for (guint i = 0; i < G_N_ELEMENTS(source_ids); i++) {
		if (i != 3 || !server.exit_idle)
			g_source_remove(source_ids[i]);
	}
	if (watchdog_id != 0)
		g_source_remove(watchdog_id);
	/* joins every worker once its connections are done */
	g_ptr_array_unref(server.workers);
	/* after the fronts: their sockets held the slots */
	ms_gateway_limits_free(server.limits);
	g_main_loop_unref(server.loop);
	ms_message("exiting%s", server.exit_idle ? " (idle)" : "");
	return TRUE;
}
