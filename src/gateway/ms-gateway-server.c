#include "config.h"

#include "ms-gateway-server.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ms-log.h"
#include "common/ms-notify.h"
#include "common/ms-peer.h"

#define MS_WORKER_ACCEPT_BATCH 16
#define MS_WORKER_SWEEP_MSEC   1000
#define MS_WORKER_DRAIN_MSEC   50

typedef struct _Server Server;

typedef struct {
	Server *server;
	guint index;
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	SoupServer *soup;
	MsGatewayWorker *gateway_worker;
	GPtrArray *accept_sources; /* GSource */
	GPtrArray *listen_sockets; /* dups of the shared listening sockets */
	GHashTable *connections;   /* GSocket → its client GSocketAddress, both owned */
	gint open;                 /* connections, read by the main thread */
	gboolean stopping;
	GMutex ready_lock;
	GCond ready_cond;
	gboolean ready;
	GError *error;
} Worker;

struct _Server {
	MsGateway *gateway;
	GPtrArray *sockets;
	GPtrArray *workers; /* Worker */
	GMainLoop *loop;
	const char *config_path;
	guint idle_timeout;
	guint idle_seconds;
	gboolean stopping;
	gboolean exit_idle;
};

/*
 * libsoup keeps a client connection open after a response only while its
 * server has a listener of its own. Workers accept themselves (a SoupListener
 * gives up for good on the EAGAIN that threads sharing a socket see), so each
 * server gets a listener that never receives a connection: an autobound
 * abstract Unix socket.
 */
static gboolean
worker_add_keepalive_anchor(Worker *worker, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	struct sockaddr_un {
		sa_family_t family;
	} address = { AF_UNIX };

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      error);
	if (socket == NULL)
		return FALSE;
	if (bind(g_socket_get_fd(socket), (struct sockaddr *)&address, sizeof address) != 0) {
		int errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "binding the keep-alive anchor: %s",
			    g_strerror(errsv));
		return FALSE;
	}
	if (!g_socket_listen(socket, error))
		return FALSE;
	return soup_server_listen_socket(worker->soup, socket, 0, error);
}

static gboolean
on_accept(GSocket *listener, GIOCondition condition, gpointer user_data)
{
	Worker *worker = user_data;

	for (guint i = 0; i < MS_WORKER_ACCEPT_BATCH && !worker->stopping; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) client = g_socket_accept(listener, NULL, &error);
		g_autoptr(GSocketConnection) connection = NULL;
		g_autoptr(GSocketAddress) local = NULL;
		g_autoptr(GSocketAddress) remote = NULL;
		GSocketFamily family;

		if (client == NULL) {
			/* another worker took it, or nothing is left */
			if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				ms_warning("accept failed: %s", error->message);
			break;
		}
		family = g_socket_get_family(client);
		if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
			g_socket_set_option(client, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
		connection = g_socket_connection_factory_create_connection(client);
		local = g_socket_get_local_address(client, NULL);
		remote = g_socket_get_remote_address(client, NULL);
		if (!soup_server_accept_iostream(worker->soup,
						 G_IO_STREAM(connection),
						 local,
						 remote,
						 &error)) {
			ms_warning("accepting a connection failed: %s", error->message);
			continue;
		}
		g_hash_table_insert(worker->connections,
				    g_steal_pointer(&client),
				    g_steal_pointer(&remote));
	}
	g_atomic_int_set(&worker->open, (gint)g_hash_table_size(worker->connections));
	return G_SOURCE_CONTINUE;
}

/*
 * Forgets closed connections and closes those whose client hung up with nothing
 * in flight: libsoup 3.2 never closes a kept-alive connection whose client hung
 * up between requests (fixed in 3.3). While stopping, idle ones are shut down.
 */
static gboolean
worker_sweep(gpointer user_data)
{
	Worker *worker = user_data;
	GHashTableIter iter;
	gpointer socket;
	gpointer remote;

	g_hash_table_iter_init(&iter, worker->connections);
	while (g_hash_table_iter_next(&iter, &socket, &remote)) {
		if (g_socket_is_closed(socket)) {
			g_hash_table_iter_remove(&iter);
			continue;
		}
		/* a TCP client's hang-up is a readable end of stream, not HUP */
		if (!worker->stopping && ms_peer_state(socket) != MS_PEER_GONE)
			continue;
		if (!ms_gateway_worker_is_busy(worker->gateway_worker)) {
			g_socket_shutdown(socket, TRUE, TRUE, NULL);
			g_socket_close(socket, NULL);
			g_hash_table_iter_remove(&iter);
		}
	}
	g_atomic_int_set(&worker->open, (gint)g_hash_table_size(worker->connections));
	if (worker->stopping && g_hash_table_size(worker->connections) == 0)
		g_main_loop_quit(worker->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
worker_stop(gpointer user_data)
{
	Worker *worker = user_data;
	GSource *drain;

	worker->stopping = TRUE;
	for (guint i = 0; i < worker->accept_sources->len; i++)
		g_source_destroy(g_ptr_array_index(worker->accept_sources, i));
	/* requests in flight finish; then their connections close */
	drain = g_timeout_source_new(MS_WORKER_DRAIN_MSEC);
	g_source_set_callback(drain, worker_sweep, worker, NULL);
	g_source_attach(drain, worker->context);
	g_source_unref(drain);
	worker_sweep(worker);
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
	GSource *sweep;

	worker->soup = soup_server_new("server-header", "microsoup-gateway", NULL);
	if (!worker_add_keepalive_anchor(worker, error))
		return FALSE;
	worker->gateway_worker = ms_gateway_attach(worker->server->gateway, worker->soup);
	for (guint i = 0; i < worker->server->sockets->len; i++) {
		GSocket *shared = g_ptr_array_index(worker->server->sockets, i);
		int fd = dup(g_socket_get_fd(shared));
		GSocket *socket;
		GSource *source;

		if (fd < 0) {
			g_set_error(error,
				    G_IO_ERROR,
				    g_io_error_from_errno(errno),
				    "dup: %s",
				    g_strerror(errno));
			return FALSE;
		}
		socket = g_socket_new_from_fd(fd, error);
		if (socket == NULL)
			return FALSE;
		g_socket_set_blocking(socket, FALSE);
		g_ptr_array_add(worker->listen_sockets, socket);
		source = g_socket_create_source(socket, G_IO_IN, NULL);
		g_source_set_callback(source, (GSourceFunc)(void (*)(void))on_accept, worker, NULL);
		g_source_attach(source, worker->context);
		g_ptr_array_add(worker->accept_sources, source);
	}
	sweep = g_timeout_source_new(MS_WORKER_SWEEP_MSEC);
	g_source_set_callback(sweep, worker_sweep, worker, NULL);
	g_source_attach(sweep, worker->context);
	g_source_unref(sweep);
	return TRUE;
}

static gpointer
worker_thread(gpointer user_data)
{
	Worker *worker = user_data;

	g_main_context_push_thread_default(worker->context);
	if (!worker_setup(worker, &worker->error)) {
		worker_signal_ready(worker);
		g_main_context_pop_thread_default(worker->context);
		return NULL;
	}
	worker_signal_ready(worker);
	g_main_loop_run(worker->loop);

	for (guint i = 0; i < worker->listen_sockets->len; i++)
		g_socket_close(g_ptr_array_index(worker->listen_sockets, i), NULL);
	ms_gateway_detach(worker->server->gateway, worker->gateway_worker);
	soup_server_disconnect(worker->soup);
	g_clear_object(&worker->soup);
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
	g_ptr_array_unref(worker->accept_sources);
	g_ptr_array_unref(worker->listen_sockets);
	g_hash_table_unref(worker->connections);
	g_main_loop_unref(worker->loop);
	g_main_context_unref(worker->context);
	g_mutex_clear(&worker->ready_lock);
	g_cond_clear(&worker->ready_cond);
	g_clear_error(&worker->error);
	g_free(worker);
}

static Worker *
worker_start(Server *server, guint index, GError **error)
{
	Worker *worker = g_new0(Worker, 1);
	g_autofree char *name = g_strdup_printf("gateway-%u", index);

	worker->server = server;
	worker->index = index;
	worker->context = g_main_context_new();
	worker->loop = g_main_loop_new(worker->context, FALSE);
	worker->accept_sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	worker->listen_sockets = g_ptr_array_new_with_free_func(g_object_unref);
	worker->connections = g_hash_table_new_full(NULL, NULL, g_object_unref, g_object_unref);
	g_mutex_init(&worker->ready_lock);
	g_cond_init(&worker->ready_cond);
	worker->thread = g_thread_new(name, worker_thread, worker);
	g_mutex_lock(&worker->ready_lock);
	while (!worker->ready)
		g_cond_wait(&worker->ready_cond, &worker->ready_lock);
	g_mutex_unlock(&worker->ready_lock);
	if (worker->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&worker->error));
		worker_free(worker);
		return NULL;
	}
	return worker;
}

static guint
count_open(Server *server)
{
	guint open = 0;

	for (guint i = 0; i < server->workers->len; i++) {
		Worker *worker = g_ptr_array_index(server->workers, i);
		open += (guint)g_atomic_int_get(&worker->open);
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

static gboolean
on_reload(gpointer user_data)
{
	Server *server = user_data;
	g_autoptr(GError) error = NULL;

	ms_notify_reloading();
	if (!ms_gateway_reload(server->gateway, server->config_path, &error))
		ms_warning("reload refused, keeping the running configuration: %s", error->message);
	else
		ms_message("configuration reloaded");
	ms_notify_ready("serving");
	return G_SOURCE_CONTINUE;
}

static gboolean
on_idle_tick(gpointer user_data)
{
	Server *server = user_data;

	/* for the metrics' open-connections gauge (security, issue 5) */
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
 * Serves until SIGTERM/SIGINT (after in-flight requests finish) or until idle.
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

	server.gateway = gateway;
	server.sockets = sockets;
	server.config_path = config_path;
	server.idle_timeout = idle_timeout;
	server.workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	server.loop = g_main_loop_new(NULL, FALSE);
	/* before any worker serves: a signal must never find the default action */
	source_ids[0] = g_unix_signal_add(SIGTERM, on_terminate, &server);
	source_ids[1] = g_unix_signal_add(SIGINT, on_terminate, &server);
	source_ids[2] = g_unix_signal_add(SIGHUP, on_reload, &server);
	source_ids[3] = g_timeout_add_seconds(1, on_idle_tick, &server);
	for (guint i = 0; i < sockets->len; i++)
		g_socket_set_blocking(g_ptr_array_index(sockets, i), FALSE);
	for (guint i = 0; i < n_workers; i++) {
		Worker *worker = worker_start(&server, i, error);
		if (worker == NULL) {
			for (guint j = 0; j < G_N_ELEMENTS(source_ids); j++)
				g_source_remove(source_ids[j]);
			stop_workers(&server);
			g_ptr_array_unref(server.workers);
			g_main_loop_unref(server.loop);
			return FALSE;
		}
		g_ptr_array_add(server.workers, worker);
	}

	watchdog_id = ms_notify_watchdog_start();
	status = g_strdup_printf("serving with %u workers; idle timeout %u s",
				 n_workers,
				 idle_timeout);
	ms_notify_ready(status);
	ms_message("microsoup-gateway %s ready, %u workers", PACKAGE_VERSION, n_workers);

	g_main_loop_run(server.loop);

	for (guint i = 0; i < G_N_ELEMENTS(source_ids); i++) {
		if (i != 3 || !server.exit_idle)
			g_source_remove(source_ids[i]);
	}
	if (watchdog_id != 0)
		g_source_remove(watchdog_id);
	/* joins every worker once its connections are done */
	g_ptr_array_unref(server.workers);
	g_main_loop_unref(server.loop);
	ms_message("exiting%s", server.exit_idle ? " (idle)" : "");
	return TRUE;
}
